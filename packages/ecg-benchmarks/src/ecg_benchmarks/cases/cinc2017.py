"""cinc2017: AF classification from a short single-lead ECG (PhysioNet/CinC Challenge 2017).

Clifford et al., "AF Classification from a Short Single Lead ECG Recording: the
PhysioNet/Computing in Cardiology Challenge 2017", CinC 44, 2017: AliveCor records of 9 to
60 s at 300 Hz labelled N (normal), A (AF), O (other rhythm) or ~ (noisy). The score is the
organisers' (``score2017Challenge.m``, ecg-train's ``cinc2017_score``): the mean F1 of N, A
and O; the F1 of ~ is reported but not averaged.

ecg-data's ``CINC2017Dataset`` gives a stratified, seeded, record-disjoint split: by default
fold ``data.fold`` (0) of ``data.n_folds`` (5) is the test part and 10 % of each class of the
other folds the validation part (``data.n_folds=0``: plain test / validation fractions);
records are resampled to
``data.fs``, band-passed and z-scored by ecg-signal, cached on disk and streamed through
DataLoader workers. An ECG_CRNN (ecg-models) is trained on random crops of ``data.crop_s``
seconds with ecg-train's class-weighted cross-entropy (or focal loss), the best epoch is
chosen by the score on the validation records (whole records). The RR head (``head.kind``
"rr") then combines the network's log-probabilities with those of a small network over the
RR-interval features of the record (ecg-signal's ``rr_features``: irregularity of the R-R
intervals marks AF; fitted on the training records) in a multinomial logistic regression
fitted on the validation records. The held-out test records (whole
records, never seen in training or selection) are scored. The report shows the
per-class F1, the confusion matrix and test records with their Grad-CAM saliency
(ecg-models' ``grad_cam``).
"""

from __future__ import annotations

import csv
import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
import torch
from torch.utils.data import DataLoader, Dataset, Subset

from ecg_benchmarks.base import BenchmarkError, BenchmarkSettings, RunOptions, register_benchmark
from ecg_benchmarks.cases._cinc2017_head import fit_rr_head, record_features
from ecg_benchmarks.cases._cinc2017_report import CLASSES, plot_saliency
from ecg_benchmarks.cases._common import TRAIN_AUGMENT, plot_confusion, plot_per_class
from ecg_benchmarks.cases._multilabel import CRNNSettings, build_crnn
from ecg_benchmarks.predictions import Prediction, Record
from ecg_benchmarks.runs import RunDir
from ecg_benchmarks.template import Case, CaseData, DataSource, Evaluation, TrainSettings

if TYPE_CHECKING:
    from ecg_train import TrainConfig

__all__ = [
    "CINC2017Benchmark",
    "CINC2017Settings",
    "CINC2017DataSettings",
    "CINC2017HeadSettings",
    "CINC2017LossSettings",
    "check_cinc2017_folder",
]

#: Shortest record classified, in s (a rhythm label needs a few beats; records are >= 9 s).
MIN_DURATION_S = 2.0
#: the RR head of a run, in its checkpoints folder
HEAD_FILE = "rr_head.json"
HINT = "download https://physionet.org/content/challenge-2017/1.0.0/ (training2017.zip)"


@dataclass(slots=True)
class CINC2017DataSettings:
    """Data settings (``data.*`` keys).

    Attributes:
        fs: model input rate in Hz (records are resampled from 300 Hz).
        crop_s: length of a training item in s (random window of a longer record; shorter
            records are zero-padded).
        crop: training window: random (new each epoch), center or start.
        test_ratio: fraction of each class held out for the test (only with n_folds 0).
        val_ratio: fraction of each class (of the folds not held out) used for model
            selection and for fitting the RR head.
        n_folds: folds of the stratified, seeded k-fold split (0: the plain split by
            test_ratio / val_ratio).
        fold: the held-out test fold (with ``n_folds``; the default run holds out fold 0).
        augment: random scaling, noise and baseline wander on training items.
        flip_prob: probability of inverting a training item (AliveCor leads held reversed).
        use_cache: cache the preprocessed records on disk (ecg-data's Dataset cache).
        workers: DataLoader worker processes (records stream through them).
    """

    fs: float = 100.0
    crop_s: float = 20.0
    crop: Literal["random", "center", "start"] = "random"
    test_ratio: float = 0.2
    val_ratio: float = 0.1
    n_folds: int = 5
    fold: int = 0
    augment: bool = True
    flip_prob: float = 0.0
    use_cache: bool = True
    workers: int = 1

    def __post_init__(self) -> None:
        if not 50 <= self.fs <= 300:
            raise ValueError(f"data.fs must lie in [50, 300] Hz, got {self.fs}")
        if not 2 <= self.crop_s <= 61:
            raise ValueError(f"data.crop_s must lie in [2, 61] s, got {self.crop_s}")
        if not 0 <= self.flip_prob <= 1:
            raise ValueError(f"data.flip_prob must lie in [0, 1], got {self.flip_prob}")
        if self.workers < 0:
            raise ValueError(f"data.workers must be >= 0, got {self.workers}")
        if self.n_folds == 1 or self.n_folds < 0:
            raise ValueError(f"data.n_folds must be 0 or >= 2, got {self.n_folds}")
        if self.n_folds and not 0 <= self.fold < self.n_folds:
            raise ValueError(f"data.fold must lie in [0, {self.n_folds - 1}], got {self.fold}")


@dataclass(slots=True)
class CINC2017LossSettings:
    """Loss settings (``loss.*`` keys), all from ecg-train's losses.

    Attributes:
        kind: weighted_ce (class-weighted cross-entropy), ce or focal (softmax focal loss).
        beta: class weights of weighted_ce / focal by the effective number of training records
            per class (Cui et al. 2019; 0: inverse frequency).
        gamma: focusing exponent of the focal loss.
        label_smoothing: label smoothing of the cross-entropies.
    """

    kind: Literal["weighted_ce", "ce", "focal"] = "weighted_ce"
    beta: float = 0.999
    gamma: float = 2.0
    label_smoothing: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.beta < 1:
            raise ValueError(f"loss.beta must lie in [0, 1), got {self.beta}")
        if self.gamma < 0:
            raise ValueError(f"loss.gamma must be >= 0, got {self.gamma}")
        if not 0 <= self.label_smoothing < 1:
            raise ValueError(f"loss.label_smoothing must lie in [0, 1), got {self.label_smoothing}")


@dataclass(slots=True)
class CINC2017HeadSettings:
    """RR head settings (``head.*`` keys).

    Attributes:
        kind: rr (a small network over the RR-interval features, fitted on the training
            records, and a logistic regression over its and the ECG network's
            log-probabilities, fitted on the validation records) or none (the network alone).
        l2: weight penalty of the logistic regression (mean cross-entropy + l2 * sum of
            squared weights).
        feature_l2: weight penalty of the RR-feature network.
        hidden: hidden units of the RR-feature network.
    """

    kind: Literal["rr", "none"] = "rr"
    l2: float = 0.001
    feature_l2: float = 0.001
    hidden: int = 32

    def __post_init__(self) -> None:
        if self.kind not in ("rr", "none"):
            raise ValueError(f"head.kind must be 'rr' or 'none', got {self.kind!r}")
        if not 0 <= self.l2 <= 10:
            raise ValueError(f"head.l2 must lie in [0, 10], got {self.l2}")
        if not 0 <= self.feature_l2 <= 10:
            raise ValueError(f"head.feature_l2 must lie in [0, 10], got {self.feature_l2}")
        if not 1 <= self.hidden <= 1024:
            raise ValueError(f"head.hidden must lie in [1, 1024], got {self.hidden}")


def _default_model() -> CRNNSettings:
    return CRNNSettings(width=16, rnn="lstm", rnn_hidden=64, attention="se", global_pool="max")


@dataclass(slots=True)
class CINC2017Settings(BenchmarkSettings):
    """Settings of the cinc2017 case (``--set data.fs=150``, ``--set model.width=24``...).

    Attributes:
        epochs: training epochs (one_cycle schedule over all of them).
        data: the records, the split and the items.
        model: the ECG_CRNN.
        loss: the training loss (ecg-train).
        head: the RR head on top of the network.
        train: the optimisation.
    """

    epochs: int = 32
    data: CINC2017DataSettings = field(default_factory=CINC2017DataSettings)
    model: CRNNSettings = field(default_factory=_default_model)
    loss: CINC2017LossSettings = field(default_factory=CINC2017LossSettings)
    head: CINC2017HeadSettings = field(default_factory=CINC2017HeadSettings)
    train: TrainSettings = field(
        default_factory=lambda: TrainSettings(batch_size=32, lr=2e-3, scheduler="one_cycle")
    )

    def validate(self) -> None:
        if self.train.train_ratio != TrainSettings().train_ratio:
            raise ValueError(
                "cinc2017 splits by data.test_ratio / data.val_ratio (or data.n_folds); "
                f"train.train_ratio is not used, got {self.train.train_ratio}"
            )


def check_cinc2017_folder(path: Path) -> str | None:
    """None when ``path`` (or its ``training2017/``) holds ``REFERENCE.csv`` and ``.mat`` files."""
    sub = path / "training2017"
    folder = sub if sub.is_dir() else path
    if not (folder / "REFERENCE.csv").is_file():
        return f"it has no REFERENCE.csv (looked in {folder})"
    if next(folder.glob("*.mat"), None) is None:
        return f"it has no .mat record (looked in {folder})"
    return None


# ---------------------------------------------------------------- data, model, loss


def _dataset_kwargs(s: CINC2017Settings, path: Path, min_len: int) -> dict[str, Any]:
    """The CINC2017TrainConfig keys of the settings."""
    d = s.data
    augment: dict[str, float] = dict(TRAIN_AUGMENT) if d.augment else {}
    if d.flip_prob:
        augment["flip_prob"] = d.flip_prob
    return {
        "db_dir": str(path),
        "fs": float(d.fs),
        "input_len": int(round(d.crop_s * d.fs)),
        "crop": d.crop,
        "min_len": int(min_len),
        "test_ratio": d.test_ratio,
        "val_ratio": d.val_ratio,
        "n_folds": d.n_folds,
        "fold": d.fold,
        "seed": s.seed,
        "use_cache": d.use_cache,
        "augment": augment,
    }


def _datasets(
    s: CINC2017Settings, path: Path, min_len: int, parts: tuple[str, ...] = ("train", "val", "test")
) -> dict[str, Any]:
    from ecg_data.datasets.cinc2017 import CINC2017Dataset, CINC2017TrainConfig
    from ecg_data.readers.base import ReaderError

    kwargs = _dataset_kwargs(s, path, min_len)
    try:
        return {
            p: CINC2017Dataset(CINC2017TrainConfig(**kwargs, part=p), training=p == "train")
            for p in parts
        }
    except (ValueError, TypeError, ReaderError) as exc:
        raise BenchmarkError(f"cannot build the CinC 2017 dataset from {path}: {exc}") from exc


def min_input_samples(model: Any, fs: float) -> int:
    """The shortest record the case classifies, in samples at ``fs`` (the network's minimum
    or :data:`MIN_DURATION_S`, whichever is longer)."""
    return max(int(getattr(model, "min_input_length", 1)), int(round(MIN_DURATION_S * fs)))


def split_text(s: CINC2017Settings) -> str:
    """The split of ``s`` in words (for the summary and the pretrained card)."""
    d = s.data
    if d.n_folds:
        return f"fold {d.fold} of {d.n_folds} (seed {s.seed})"
    return f"test {d.test_ratio:g} / val {d.val_ratio:g} per class (seed {s.seed})"


def _capped(ds: Any, n: int) -> Any:
    """The first ``n`` items of ``ds`` spread over the classes (every k-th item)."""
    if not n or n >= len(ds):
        return ds
    step = len(ds) / n
    return Subset(ds, [int(i * step) for i in range(n)])


def _base(ds: Any) -> Any:
    return ds.dataset if isinstance(ds, Subset) else ds


def _labels(ds: Any) -> npt.NDArray[np.int64]:
    base = _base(ds)
    lab = np.asarray(base.labels)
    return lab[list(ds.indices)] if isinstance(ds, Subset) else lab


def _records(ds: Any) -> list[str]:
    base = _base(ds)
    return [base.records[i] for i in ds.indices] if isinstance(ds, Subset) else list(base.records)


def make_loss(s: CINC2017Settings, counts: list[int]) -> Any:
    """``loss(logits (batch, 4), target (batch,) int64) -> scalar`` of ``s.loss``."""
    from ecg_train import class_weights, focal_loss, weighted_cross_entropy

    lo = s.loss
    weights = None
    if lo.kind != "ce":
        weights = class_weights([max(1, c) for c in counts], beta=lo.beta or None)

    def loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        w = None if weights is None else weights.to(logits.device)
        if lo.kind == "focal":
            out: torch.Tensor = focal_loss(logits, target, gamma=lo.gamma, alpha=w)
            return out
        return weighted_cross_entropy(logits, target, w, label_smoothing=lo.label_smoothing)

    return loss


@torch.no_grad()
def predict_probs(model: torch.nn.Module, ds: Dataset[Any], device: Any) -> npt.NDArray[np.float64]:
    """Softmax probabilities (n_records, 4) of whole records, one record per forward pass."""
    model.eval()
    probs = []
    loader: DataLoader[Any] = DataLoader(ds, batch_size=1, shuffle=False)
    for x, _ in loader:
        probs.append(torch.softmax(model(x.to(device)).float(), -1).cpu().numpy()[0])
    return np.asarray(probs, dtype=np.float64).reshape(-1, len(CLASSES))


# ---------------------------------------------------------------- the case


@register_benchmark
class CINC2017Benchmark(Case[CINC2017Settings]):
    """CinC 2017 AF classification: ECG_CRNN on whole single-lead records, challenge F1.

    The template's trainer draws new random crops every epoch (the Dataset's ``set_epoch``)
    and validates on whole records, one at a time (``val_batch_size`` 1).
    """

    name: ClassVar[str] = "cinc2017"
    summary: ClassVar[str] = (
        "CinC 2017 AF classification (N/A/O/~, single lead), ECG_CRNN, mean F1 of N, A, O"
    )
    settings_class: ClassVar[type[BenchmarkSettings]] = CINC2017Settings
    database: ClassVar[str] = "cinc2017"
    label: ClassVar[str] = "CinC 2017"
    download_hint: ClassVar[str] = HINT
    validation_metric: ClassVar[str] = "f1"
    item_arities: ClassVar[tuple[int, ...]] = (2,)
    val_batch_size: ClassVar[int | None] = 1
    #: the training loss with the class weights of the training records (set by load_data)
    _train_loss: Any = None
    #: the training / validation records (set by load_data; the RR head is fitted on them)
    _train_set: Any = None
    _val_set: Any = None
    #: the fitted RR head (by evaluate_model, or read by load_model from the run)
    _head: Any = None

    def check_folder(self, path: Path) -> str | None:
        return check_cinc2017_folder(path)

    def build_model(self, settings: CINC2017Settings, data: CaseData | None) -> torch.nn.Module:
        model: torch.nn.Module = build_crnn(settings.model, CLASSES, 1, float(settings.data.fs))
        return model

    def load_data(self, settings: CINC2017Settings, source: DataSource) -> CaseData:
        s = settings
        if source.path is None:
            raise BenchmarkError("cinc2017 needs the CinC 2017 records (--data-dir)")
        min_len = min_input_samples(self.build_model(s, None), s.data.fs)
        sets = _datasets(s, source.path, min_len)
        cap = s.train.max_records
        held = max(4, cap // 4) if cap else 0
        train, val, test = (
            _capped(sets["train"], cap),
            _capped(sets["val"], held),
            _capped(sets["test"], held),
        )
        counts = np.bincount(_labels(train), minlength=4).tolist()
        split = split_text(s)
        self._train_loss = make_loss(s, counts)
        self._train_set, self._val_set, self._head = train, val, None
        return CaseData(
            train,
            val,
            test,
            description=(
                f"{len(train)} train {dict(zip(CLASSES, counts, strict=True))}, {len(val)} "
                f"validation, {len(test)} test records from {source.path}; split {split}"
            ),
            info={"counts": counts, "split": split},
            metrics={"n_train": len(train), "n_val": len(val), "split": split},
        )

    def loss(
        self, settings: CINC2017Settings, trainer: Any, batch: tuple[torch.Tensor, ...]
    ) -> torch.Tensor:
        fn = self._train_loss
        if fn is None:
            raise BenchmarkError("cinc2017: the loss needs the class counts of the training set")
        out: torch.Tensor = fn(trainer.forward(batch[0]).float(), batch[1])
        return out

    def validate(
        self, settings: CINC2017Settings, model: torch.nn.Module, loader: DataLoader[Any]
    ) -> dict[str, float]:
        from ecg_train import cinc2017_score

        ref: list[int] = []
        ans: list[int] = []
        device = next(model.parameters()).device
        for x, y in loader:
            ans += model(x.to(device)).float().argmax(-1).cpu().tolist()
            ref += y.tolist()
        sc = cinc2017_score(ref, ans)
        return {k: float(v) for k, v in sc.items() if k != "confusion"}

    def evaluate_model(
        self, settings: CINC2017Settings, model: torch.nn.Module, test: Any
    ) -> Evaluation:
        from ecg_models.pretrained.cinc2017 import apply_rr_head
        from ecg_train import cinc2017_score

        device = next(model.parameters()).device
        net_probs = predict_probs(model, test, device)
        ref = _labels(test)
        probs = net_probs
        if settings.head.kind == "rr":
            head = self.rr_head(settings, model)
            feats = record_features(_base(test), _records(test))
            probs = apply_rr_head(head, net_probs, feats)
        ans = probs.argmax(-1)
        score = cinc2017_score(ref.tolist(), ans.tolist())
        metrics: dict[str, Any] = {
            k: score[k] for k in ("f1", "f1_normal", "f1_af", "f1_other", "f1_noisy")
        }
        metrics["confusion"] = score["confusion"]
        if settings.head.kind == "rr":
            net = cinc2017_score(ref.tolist(), net_probs.argmax(-1).tolist())
            for k in ("f1", "f1_normal", "f1_af", "f1_other", "f1_noisy"):
                metrics[f"network_{k}"] = net[k]
        metrics["accuracy"] = float((ref == ans).mean()) if len(ref) else None
        metrics["n_test"] = len(ref)
        metrics["min_input_samples"] = min_input_samples(model, settings.data.fs)
        summary = (
            f"{self.name}: challenge F1 {score['f1']:.4f} (N {score['f1_normal']:.3f}, "
            f"A {score['f1_af']:.3f}, O {score['f1_other']:.3f}; noisy "
            f"{score['f1_noisy']:.3f}) on {len(ref)} records"
        )
        if settings.head.kind == "rr":
            summary += f" [network alone {metrics['network_f1']:.4f}; with the RR head]"
        if getattr(_base(test), "part", "all") != "all":
            summary += f" (held-out {_base(test).part}, split {split_text(settings)})"
        details = {
            "ref": ref,
            "ans": ans,
            "probs": probs,
            "names": _records(test),
            "test": test,
            "model": model,
        }
        return Evaluation(metrics, summary, details)

    def rr_head(self, settings: CINC2017Settings, model: torch.nn.Module) -> dict[str, Any]:
        """The RR head: the one of the run (load_model), else fitted on the validation records."""
        from ecg_signal.rr_intervals import RR_FEATURES

        if self._head is not None:
            head: dict[str, Any] = self._head
            return head
        val = self._val_set
        if val is None or not len(val):
            raise BenchmarkError(
                "cinc2017: the RR head needs the validation records (data.val_ratio > 0) or a "
                "run that saved checkpoints/rr_head.json (or use --set head.kind=none)"
            )
        probs = predict_probs(model, val, next(model.parameters()).device)
        feats = record_features(_base(val), _records(val))
        train = self._train_set
        if train is None or not len(train):
            raise BenchmarkError("cinc2017: the RR head needs the training records")
        h = settings.head
        fitted: dict[str, Any] = fit_rr_head(
            probs,
            feats,
            _labels(val),
            record_features(_base(train), _records(train)),
            _labels(train),
            l2=h.l2,
            feature_l2=h.feature_l2,
            hidden=h.hidden,
            seed=settings.seed,
            feature_names=RR_FEATURES,
        )
        self._head = fitted
        return fitted

    def load_model(self, settings: CINC2017Settings, run: RunDir) -> torch.nn.Module:
        """The run's network, and its RR head (``checkpoints/rr_head.json``) when it has one."""
        model = Case.load_model(self, settings, run)
        path = run.checkpoints / HEAD_FILE
        if settings.head.kind == "rr":
            if not path.is_file():
                raise BenchmarkError(f"{run.path} has no RR head ({path} is missing)")
            self._head = json.loads(path.read_text())
        return model

    def eval_data(self, settings: CINC2017Settings, source: DataSource) -> Any:
        if source.path is None:
            raise BenchmarkError("cinc2017 needs a CinC 2017 folder")
        min_len = min_input_samples(self.build_model(settings, None), settings.data.fs)
        return _datasets(settings, source.path, min_len, ("all",))["all"]

    def figures(
        self, settings: CINC2017Settings, run: RunDir, evaluation: Evaluation, data: CaseData
    ) -> None:
        d = evaluation.details
        m = evaluation.metrics
        if settings.head.kind == "rr" and self._head is not None:
            (run.checkpoints / HEAD_FILE).write_text(json.dumps(self._head, indent=1))
        with open(run.path / "test_predictions.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["record", "reference", "answer", *[f"p_{c}" for c in CLASSES]])
            for rec, r, a, p in zip(d["names"], d["ref"], d["ans"], d["probs"], strict=True):
                w.writerow([rec, CLASSES[r], CLASSES[a], *[f"{v:.4f}" for v in p]])
        per_f1 = {
            c: float(m[f"f1_{k}"]) if m[f"f1_{k}"] == m[f"f1_{k}"] else float("nan")
            for c, k in zip(CLASSES, ("normal", "af", "other", "noisy"), strict=True)
        }
        plot_per_class(
            run,
            {"F1": per_f1},
            "per_class.png",
            "Per-class F1 on the held-out test records (the score averages N, A and O)",
        )
        plot_confusion(
            run,
            np.asarray(m["confusion"], dtype=np.float64),
            list(CLASSES),
            "confusion.png",
            "Confusion matrix of the held-out test records (rows: reference, columns: answer)",
            xlabel="answer",
            ylabel="reference",
        )
        model = d.get("model")
        if model is not None:
            plot_saliency(
                run,
                model,
                d["test"],
                d["ref"],
                d["ans"],
                d["probs"],
                d["names"],
                float(settings.data.fs),
                next(model.parameters()).device,
            )

    def predict_record(
        self, settings: CINC2017Settings, model: torch.nn.Module, record: Record
    ) -> Prediction:
        from ecg_models.pretrained.cinc2017 import AFClassifier

        clf = (
            model
            if isinstance(model, AFClassifier)
            else self.classifier(
                settings, model, self._head if settings.head.kind == "rr" else None
            )
        )
        try:  # the case is single-lead: lead 0 of a multi-lead record
            probs = clf(record.signal[0], record.fs)
        except (ValueError, TypeError) as exc:
            raise BenchmarkError(f"record {record.name}: {exc}") from exc
        best = max(probs, key=lambda c: probs[c])
        return Prediction(classes=probs, labels=[best], lead=0)

    @staticmethod
    def classifier(settings: CINC2017Settings, model: torch.nn.Module, head: Any = None) -> Any:
        """The :class:`ecg_models.pretrained.cinc2017.AFClassifier` of a trained model with the
        case's preprocessing (the Dataset's band-pass and the case's minimum duration) and the
        RR head ``head`` (None: the network alone)."""
        from ecg_data.datasets.cinc2017 import CINC2017TrainConfig
        from ecg_models.pretrained.cinc2017 import AFClassifier

        pre = CINC2017TrainConfig().preproc
        lo, hi = pre.bandpass if pre.bandpass is not None else (0.5, 45.0)
        return AFClassifier(
            model,
            fs=float(settings.data.fs),
            bandpass=(float(lo or 0.5), float(hi or 45.0)),
            order=int(pre.order),
            min_duration_s=MIN_DURATION_S,
            rr_head=head,
        )

    def train_config(
        self, settings: CINC2017Settings, run: RunDir, options: RunOptions, monitor: str | None
    ) -> TrainConfig:
        """The template's config with ``data.workers`` DataLoader workers."""
        config = Case.train_config(self, settings, run, options, monitor)
        return dataclasses.replace(config, num_workers=settings.data.workers)
