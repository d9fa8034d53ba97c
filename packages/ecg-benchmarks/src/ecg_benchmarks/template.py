"""The case template: load data -> build model -> fit -> evaluate -> report.

A case study subclasses :class:`Case`, gives its settings class (extending
:class:`~ecg_benchmarks.base.BenchmarkSettings`) and the hooks that differ between cases, and
registers itself with :func:`~ecg_benchmarks.base.register_benchmark`:

=====================  =========================================================================
hook                   what it gives
=====================  =========================================================================
``load_data``          the training, validation and held-out test data (:class:`CaseData`)
``build_model``        the ecg-models task model
``loss``               the training loss of one batch
``validate``           the case's metric on the validation loader (per epoch, model selection)
``evaluate_model``     the official metric on held-out data (:class:`Evaluation`)
``eval_data``          every record of a folder, in the form ``evaluate_model`` takes
``predict_record``     the predictions for one record of any database (:class:`Prediction`)
``figures``            the report figures (optional)
``train_config``       the typed :class:`ecg_train.TrainConfig` (default: from ``settings.train``)
``resolve_data``       where the data are (default: ``data_dir`` or the sample data)
``load_model``         the model of a finished run (default: ``checkpoints/model.safetensors``)
``pretrained_names``,  the pretrained models (ecg-models) this case predicts with, and how to
``load_pretrained``    build settings and model from one
=====================  =========================================================================

``ecg-bench run`` calls :meth:`Case.run`, ``ecg-bench evaluate`` :meth:`Case.evaluate` and
``ecg-bench predict`` :meth:`Case.predict`; they call the hooks above.
"""

from __future__ import annotations

import abc
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

from ecg_benchmarks.base import (
    Benchmark,
    BenchmarkError,
    BenchmarkSettings,
    RunInterruptedError,
    RunOptions,
    check_finite,
)
from ecg_benchmarks.paths import SAMPLE_DATA_ENV, sample_data_dir
from ecg_benchmarks.predictions import Prediction, Record, load_record, write_prediction
from ecg_benchmarks.runs import RunDir

if TYPE_CHECKING:
    import torch
    from torch.utils.data import DataLoader, Dataset

    from ecg_train import TrainConfig

__all__ = [
    "Case",
    "CaseData",
    "DataSource",
    "Evaluation",
    "PredictSource",
    "TrainSettings",
    "check_device",
]

S = TypeVar("S", bound=BenchmarkSettings)
Schedulers = Literal["none", "plateau", "one_cycle", "cosine"]


@dataclass(slots=True)
class TrainSettings:
    """Optimisation settings (``train.*`` keys).

    Attributes:
        batch_size: training batch size (records or windows).
        lr: learning rate (the peak of one_cycle).
        weight_decay: AdamW weight decay.
        scheduler: learning-rate schedule: none, plateau (on the validation metric), one_cycle
            or cosine.
        grad_clip: largest gradient L2 norm.
        early_stopping_patience: epochs without a better validation metric before stopping
            (0: never stop early).
        train_ratio: fraction of the records (or subjects) used for training.
        max_records: use only this many records (0: all), for quick runs.
        tensorboard: also write TensorBoard event files into logs/.
        threads: torch threads while training (restored afterwards). One by default: the
            cases' networks are small, and on a machine shared with other jobs more threads
            than free cores wait for each other; DataLoader workers run beside it.
    """

    batch_size: int = 8
    lr: float = 1e-3
    weight_decay: float = 1e-2
    scheduler: Schedulers = "plateau"
    grad_clip: float = 1.0
    early_stopping_patience: int = 0
    train_ratio: float = 0.8
    max_records: int = 0
    tensorboard: bool = True
    threads: int = 1

    def __post_init__(self) -> None:
        for key in ("lr", "weight_decay", "grad_clip", "train_ratio"):
            check_finite(f"train.{key}", getattr(self, key))
        if self.batch_size < 1:
            raise ValueError(f"train.batch_size must be >= 1, got {self.batch_size}")
        if not self.lr > 0:
            raise ValueError(f"train.lr must be > 0, got {self.lr}")
        if self.weight_decay < 0:
            raise ValueError(f"train.weight_decay must be >= 0, got {self.weight_decay}")
        if self.grad_clip <= 0:
            raise ValueError(f"train.grad_clip must be > 0, got {self.grad_clip}")
        if self.early_stopping_patience < 0:
            raise ValueError(
                "train.early_stopping_patience must be >= 0 epochs (0: off), got "
                f"{self.early_stopping_patience}"
            )
        if not 0 < self.train_ratio < 1:
            raise ValueError(f"train.train_ratio must lie in (0, 1), got {self.train_ratio}")
        if self.max_records < 0:
            raise ValueError(f"train.max_records must be >= 0 (0: all), got {self.max_records}")
        if self.threads < 1:
            raise ValueError(f"train.threads must be >= 1, got {self.threads}")


@dataclass(frozen=True, slots=True)
class DataSource:
    """Where a run's data come from.

    Attributes:
        path: the database folder (None for data made up by the case, e.g. synthetic records).
        description: what the summary line says, e.g. ``"sample data /x/cpsc2019"``,
            ``"--data-dir /data/cpsc2019"`` or ``"synthetic records (no sample data found)"``.
    """

    path: Path | None
    description: str

    def folder(self) -> Path:
        """The database folder, for hooks that read records from disk.

        Raises:
            BenchmarkError: the source has no folder (data made up by the case).
        """
        if self.path is None:
            raise BenchmarkError(
                f"this step reads records from a database folder, but the data are {self.description}"
            )
        return self.path


@dataclass(slots=True)
class CaseData:
    """What :meth:`Case.load_data` returns.

    Attributes:
        train: the training Dataset (items ``(signal (leads, samples), target[, weight])``).
        val: the validation Dataset scored by :meth:`Case.validate` after every epoch (None:
            no validation, the last epoch is kept).
        test: the held-out data in the form :meth:`Case.evaluate_model` takes (a Dataset, a
            list of records...).
        description: one line printed before training (counts of records and items).
        info: anything else the later hooks need (classes, lead names, the split...).
        metrics: facts of the split reported with the run's metrics (record names, counts).
    """

    train: Dataset[Any]
    val: Dataset[Any] | None
    test: Any
    description: str = ""
    info: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Evaluation:
    """What :meth:`Case.evaluate_model` returns.

    Attributes:
        metrics: JSON-able metrics, the official one first (per-record dicts allowed).
        summary: one line, e.g. ``"cpsc2019: QRS score 0.7100 on 10 held-out records"``; the
            template appends the epochs and which data were used.
        details: what :meth:`Case.figures` needs (predictions, references...).
    """

    metrics: dict[str, Any]
    summary: str
    details: Any = None


@dataclass(frozen=True, slots=True)
class PredictSource:
    """The model that ``ecg-bench predict`` uses: a finished run's or a pretrained one."""

    settings: Any
    model: Any
    description: str


def check_device(device: str) -> None:
    """Raise BenchmarkError when ``device`` is cuda and torch sees no CUDA device."""
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        raise BenchmarkError("--device cuda was asked for, but torch sees no CUDA device")


class Case(Benchmark, Generic[S]):
    """Template of a case study; subclasses give the hooks (see the module docstring).

    Class attributes:
        settings_class: the settings dataclass (extends BenchmarkSettings).
        database: the sample-data sub-folder (``$ECG_SAMPLE_DATA/<database>``).
        label: the database as named in messages (``"CPSC 2019"``).
        download_hint: where to get the database (shown when the folder is missing).
        validation_metric: the key of :meth:`validate` that selects the best epoch (logged as
            ``val_<key>``); larger is better unless ``monitor_mode`` is ``"min"``.
        item_arities: the tuple lengths of the training items (2: signal, target; 3: + weight).
        val_batch_size: batch size of the validation loader (None: the training batch size; 1
            for items of different lengths).
        val_collate: collate function of the validation loader (None: torch's default).

    Before every epoch the trainer calls ``set_epoch(epoch)`` on the training Dataset (and the
    Datasets a Subset or ConcatDataset wraps) when it has one, so random crops change per epoch.
    """

    settings_class: ClassVar[type[BenchmarkSettings]]
    database: ClassVar[str]
    label: ClassVar[str]
    download_hint: ClassVar[str] = ""
    validation_metric: ClassVar[str]
    monitor_mode: ClassVar[Literal["max", "min"]] = "max"
    item_arities: ClassVar[tuple[int, ...]] = (2, 3)
    val_batch_size: ClassVar[int | None] = None
    val_collate: ClassVar[Callable[[list[Any]], Any] | None] = None
    calls_begin: ClassVar[bool] = True

    # ---------------------------------------------------------------- hooks
    def default_settings(self) -> S:
        return self.settings_class()  # type: ignore[return-value]

    def check_folder(self, path: Path) -> str | None:
        """None when ``path`` holds this case's database, else what is wrong (default: None)."""
        return None

    def resolve_data(self, settings: S) -> DataSource:
        """``settings.data_dir``, else the sample folder of :attr:`database`, checked.

        Raises:
            BenchmarkError: the folder is missing, empty or of another database.
        """
        return self.data_source(settings.data_dir)

    @abc.abstractmethod
    def load_data(self, settings: S, source: DataSource) -> CaseData:
        """Training, validation and held-out test data (ecg-data Datasets)."""

    @abc.abstractmethod
    def build_model(self, settings: S, data: CaseData) -> torch.nn.Module:
        """The ecg-models task model."""

    @abc.abstractmethod
    def loss(self, settings: S, trainer: Any, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """The scalar loss of one batch; call the model as ``trainer.forward(batch[0])``."""

    def validate(
        self, settings: S, model: torch.nn.Module, loader: DataLoader[Any]
    ) -> dict[str, float]:
        """Metrics of ``model`` (eval mode, no grad) on the validation loader, by name; must hold
        :attr:`validation_metric`."""
        raise NotImplementedError(f"{type(self).__name__} has validation data but no validate")

    @abc.abstractmethod
    def evaluate_model(self, settings: S, model: torch.nn.Module, test: Any) -> Evaluation:
        """The official metric of ``model`` on ``test`` (``CaseData.test`` or :meth:`eval_data`)."""

    def eval_data(self, settings: S, source: DataSource) -> Any:
        """Every record of ``source`` in the form :meth:`evaluate_model` takes."""
        raise BenchmarkError(f"benchmark {self.name!r} does not support `ecg-bench evaluate`")

    def predict_record(self, settings: S, model: torch.nn.Module, record: Record) -> Prediction:
        """Predictions for one record (positions in samples at ``record.fs``)."""
        raise BenchmarkError(f"benchmark {self.name!r} does not support `ecg-bench predict`")

    def figures(self, settings: S, run: RunDir, evaluation: Evaluation, data: CaseData) -> None:
        """Draw the report figures (save each at ``add_figure(run, file, caption)``)."""

    def train_config(
        self, settings: S, run: RunDir, options: RunOptions, monitor: str | None
    ) -> TrainConfig:
        """The trainer's typed config; by default from ``settings.train`` (:class:`TrainSettings`)."""
        from ecg_train import TrainConfig

        t = getattr(settings, "train", None)
        if not isinstance(t, TrainSettings):
            raise TypeError(
                f"{type(self).__name__}: settings.train is not a TrainSettings; override "
                "train_config"
            )
        loggers = ("csv", "text", "tensorboard") if t.tensorboard else ("csv", "text")
        scheduler = t.scheduler if monitor is not None or t.scheduler != "plateau" else "none"
        patience = t.early_stopping_patience if t.early_stopping_patience and monitor else None
        return TrainConfig(
            n_epochs=settings.epochs,
            batch_size=t.batch_size,
            learning_rate=t.lr,
            weight_decay=t.weight_decay,
            scheduler=scheduler,
            grad_clip=t.grad_clip,
            monitor=monitor,
            monitor_mode=self.monitor_mode,
            early_stopping_patience=patience,
            checkpoint_dir=str(run.checkpoints),
            log_dir=str(run.logs),
            loggers=loggers,
            log_every_n_steps=1,
            keep_checkpoint_max=2,
            seed=settings.seed,
            progress_bar=options.progress,
            device=settings.device,
            num_threads=t.threads,
        )

    def load_model(self, settings: S, run: RunDir) -> torch.nn.Module:
        """The model of a finished run (``checkpoints/model.safetensors``)."""
        from ecg_models import CheckpointError, TaskModel

        path = run.checkpoints / "model.safetensors"
        if not path.is_file():
            raise BenchmarkError(f"{run.path} holds no model ({path} is missing): not finished?")
        try:
            model = TaskModel.from_checkpoint(path, map_location=settings.device)
        except (CheckpointError, ValueError, OSError) as exc:
            raise BenchmarkError(f"cannot load the model {path}: {exc}") from exc
        model.eval()
        return model

    def pretrained_names(self) -> tuple[str, ...]:
        """The pretrained models of ecg-models made by this case: those whose provenance command
        is ``ecg-bench run <name> ...``."""
        try:
            from ecg_models.pretrained import list_pretrained
        except ImportError:  # pragma: no cover - an ecg-models without pretrained models
            return ()
        own = ["ecg-bench", "run", self.name]
        return tuple(
            info.name
            for info in list_pretrained()
            if str(info.provenance.get("command", "")).split()[:3] == own
        )

    def load_pretrained(self, name: str) -> tuple[S, Any]:
        """Settings and predictor of the pretrained model ``name`` (one of
        :meth:`pretrained_names`): by default the case's default settings and what
        ``ecg_models.pretrained.load_pretrained(name)`` returns; :meth:`predict_record` gets that
        object as its ``model``."""
        from ecg_models.pretrained import PretrainedError, load_pretrained

        if name not in self.pretrained_names():
            raise BenchmarkError(f"benchmark {self.name!r} has no pretrained model {name!r}")
        try:
            return self.default_settings(), load_pretrained(name)
        except PretrainedError as exc:
            raise BenchmarkError(f"cannot load the pretrained model {name!r}: {exc}") from exc

    # ---------------------------------------------------------------- helpers for the hooks
    def data_source(self, data_dir: str | Path | None) -> DataSource:
        """The checked database folder ``data_dir``, else the sample folder of the case."""
        hint = f" ({self.download_hint})" if self.download_hint else ""
        if data_dir:
            path, how = Path(data_dir), f"--data-dir {data_dir}"
        else:
            sample = sample_data_dir(self.database)
            if sample is None:
                raise BenchmarkError(
                    f"no {self.label} folder: pass --data-dir or set {SAMPLE_DATA_ENV}{hint}"
                )
            path, how = sample, f"sample data {sample}"
        if not path.is_dir():
            where = "" if data_dir else f" and no sample data was found; pass --data-dir{hint}"
            raise BenchmarkError(f"{self.label} data folder {path} does not exist{where}")
        if not any(path.iterdir()):
            raise BenchmarkError(f"{self.label} data folder {path} is empty{hint}")
        problem = self.check_folder(path)
        if problem is not None:
            raise BenchmarkError(f"{path} is not a {self.label} folder: {problem}")
        return DataSource(path, how)

    def say(self, options: RunOptions, text: str) -> None:
        """Print ``text`` when the run shows progress (``options.progress``)."""
        if options.progress:
            print(text, flush=True)

    # ---------------------------------------------------------------- the template
    def run(self, settings: Any, run: RunDir, options: RunOptions) -> dict[str, Any]:
        """Load data, build the model, fit, evaluate on the held-out data, draw the figures."""
        import torch

        s: S = settings
        check_device(s.device)
        source = self.resolve_data(s)
        data = self.load_data(s, source)
        if data.description:
            self.say(options, f"{self.name}: {data.description}")
        torch.manual_seed(s.seed)
        model = self.build_model(s, data)
        monitor = None if data.val is None else f"val_{self.validation_metric}"
        try:
            config = self.train_config(s, run, options, monitor)
        except (ValueError, TypeError) as exc:
            raise BenchmarkError(f"bad training settings: {exc}") from exc
        options.begin()
        start = time.perf_counter()
        trainer, history = self._fit(s, model, data, config, run, options)
        train_seconds = round(time.perf_counter() - start, 1)
        model = trainer.model
        if not trainer.is_main_process:
            return {"summary": f"{self.name}: rank {trainer.rank} done"}
        model.eval()
        model_file = _save_model(model, run)
        evaluation = self.evaluate_model(s, model, data.test)
        self.figures(s, run, evaluation, data)
        best = trainer.best_epoch
        metrics: dict[str, Any] = {**data.metrics, **evaluation.metrics}
        metrics.update(
            {
                "best_epoch": int(best) if best is not None else len(history),
                "epochs_run": len(history),
                "train_seconds": train_seconds,
                "data": source.description,
            }
        )
        if model_file is not None:
            metrics["model_file"] = model_file
        metrics["summary"] = (
            f"{evaluation.summary}; {len(history)} epochs; data: {source.description}"
        )
        out: dict[str, Any] = _jsonable(metrics)
        return out

    def _fit(
        self,
        s: S,
        model: torch.nn.Module,
        data: CaseData,
        config: TrainConfig,
        run: RunDir,
        options: RunOptions,
    ) -> tuple[Any, list[dict[str, Any]]]:
        from ecg_benchmarks._trainer import CaseTrainer, load_best_weights
        from ecg_train import CheckpointMismatchError, TrainingInterruptedError

        def show(epoch: int, values: dict[str, float]) -> None:
            if options.progress:
                shown = ", ".join(
                    f"{k} {v:.4f}" for k, v in values.items() if k != "lr" and math.isfinite(v)
                )
                print(f"{self.name}: epoch {epoch}/{s.epochs}: {shown}", flush=True)

        def loss(trainer: Any, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
            return self.loss(s, trainer, batch)

        def validate(model: torch.nn.Module, loader: DataLoader[Any]) -> dict[str, float]:
            values = self.validate(s, model, loader)
            if self.validation_metric not in values:
                raise BenchmarkError(
                    f"{type(self).__name__}.validate returned {sorted(values)}, without its "
                    f"validation_metric {self.validation_metric!r}"
                )
            return values

        try:
            trainer = CaseTrainer(
                model,
                config,
                data.train,
                data.val,
                loss=loss,
                validate=validate,
                arities=self.item_arities,
                on_epoch=show,
                on_resumed=options.resumed,
                say=lambda text: print(f"{self.name}: {text}", flush=True),
                val_batch_size=self.val_batch_size,
                val_collate=type(self).val_collate,
            )
        except (ValueError, TypeError) as exc:
            raise BenchmarkError(f"cannot train {self.name}: {exc}") from exc
        try:
            trainer.train(resume_from=run.checkpoints if options.resume else None)
        except TrainingInterruptedError as exc:
            reason = str(exc)
            sig = "SIGTERM" if "SIGTERM" in reason else "SIGINT"
            raise RunInterruptedError(sig, exc.checkpoint, run.path, self.name) from exc
        except CheckpointMismatchError as exc:
            raise BenchmarkError(f"cannot resume {run.path}: {exc}") from exc
        finally:
            trainer.close()
        history = [{"epoch": i + 1, **h} for i, h in enumerate(trainer.epoch_history)]
        if trainer.is_main_process:
            run.write_json(run.history, history)
        load_best_weights(trainer, run.checkpoints)
        return trainer, history

    def evaluate(self, settings: Any, run: RunDir, data_dir: Path) -> dict[str, Any]:
        """Score the finished run's model on every record of ``data_dir`` (official metric)."""
        s: S = settings
        check_device(s.device)
        source = self.data_source(data_dir)
        test = self.eval_data(s, source)
        model = self.load_model(s, run)
        evaluation = self.evaluate_model(s, model, test)
        metrics = dict(evaluation.metrics)
        metrics["benchmark"] = self.name
        metrics["run"] = str(run.path)
        metrics["data"] = source.description
        metrics["summary"] = f"{evaluation.summary}; data: {source.description}"
        out: dict[str, Any] = _jsonable(metrics)
        return out

    def predict(self, source: Any, records: list[Path], out: Path) -> list[Path]:
        """Predict every record of ``records`` with ``source`` (a :class:`PredictSource`) and
        write the files into ``out``; returns the files written."""
        if not isinstance(source, PredictSource):
            raise TypeError(f"expected a PredictSource, got {type(source).__name__}")
        written: list[Path] = []
        for path in records:
            record = load_record(path)
            prediction = self.predict_record(source.settings, source.model, record)
            written += write_prediction(record, prediction, out, source.description)
        return written

    def predict_source(self, settings: S, run: RunDir) -> PredictSource:
        """The model of a finished run, for :meth:`predict`."""
        return PredictSource(settings, self.load_model(settings, run), f"run {run.path}")

    def pretrained_source(self, name: str) -> PredictSource:
        """The pretrained model ``name``, for :meth:`predict`."""
        settings, model = self.load_pretrained(name)
        return PredictSource(settings, model, f"pretrained {name}")


def _save_model(model: Any, run: RunDir) -> str | None:
    save: Callable[[Path], Path] | None = getattr(model, "save", None)
    if save is None:
        return None
    path = save(run.checkpoints / "model.safetensors")
    return str(Path(path).relative_to(run.path))


def _jsonable(value: Any) -> Any:
    """Plain JSON data: numpy scalars/arrays as numbers/lists, non-finite floats as None."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
