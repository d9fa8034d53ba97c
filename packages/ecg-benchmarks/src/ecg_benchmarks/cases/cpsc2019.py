"""cpsc2019: QRS detection on single-lead ECGs, scored with the official CPSC2019 QRS score.

The 2nd China Physiological Signal Challenge (2019): 10 s single-lead records at 500 Hz with
R-peak references. An ``ECG_SEQ_LAB_NET`` (ecg-models: a multi-scopic CNN, then a bidirectional
LSTM, then a per-step QRS probability at 1/8 of the input rate) is trained with ecg-train's
``BaseTrainer`` on the training part of the CPSC2019 records and, when ``ECG_SAMPLE_DATA`` holds
them, the QRS annotations of LUDB (per lead), MITDB and CPSC2021 (resampled to 500 Hz) and the
multi-lead consensus beats of CinC2021 and CPSC2018 (every agreeing lead), with ecg-signal's
augmenters plus spikes, motion and muscle artefacts. R peaks are the centres of the predicted
QRS segments (probabilities averaged over the record and its polarity inversion). The held-out
CPSC2019 records are scored with the official rule (75 ms window; a record scores 1 with no
error, 0.7 with one false positive, 0.3 with one false negative, else 0), next to ecg-signal's
classic detector on the same records and a hybrid of the two (the detector's beats that the
network confirms, plus the network's confident beats the detector missed).

With no ``data_dir`` the real CPSC2019 records in ``ECG_SAMPLE_DATA`` are used, and without
them the synthetic database of ecg-data (ECGSYN records with exact R peaks).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
import torch

from ecg_benchmarks.base import Benchmark, BenchmarkError, RunOptions
from ecg_benchmarks.cases import _qrs_data as qd
from ecg_benchmarks.cases._qrs import QRSTrainer, QRSWindows, hybrid_peaks, peaks_from_prob
from ecg_benchmarks.report import add_figure
from ecg_benchmarks.runs import RunDir

__all__ = ["CPSC2019Benchmark", "CPSC2019Settings"]

FS = 500.0  # Hz, the database's sampling rate
IntArray = npt.NDArray[np.int64]


@dataclass(slots=True)
class ModelSettings:
    """The ECG_SEQ_LAB_NET: multi-scopic backbone with its filter counts divided by
    ``width_divisor``, then a bidirectional LSTM of ``rnn_hidden`` units per direction."""

    width_divisor: int = 8
    rnn_hidden: int = 32

    def __post_init__(self) -> None:
        if self.width_divisor not in (1, 2, 4, 8, 16):
            raise ValueError(
                f"model.width_divisor must be 1, 2, 4, 8 or 16, got {self.width_divisor}"
            )
        if self.rnn_hidden < 1:
            raise ValueError(f"model.rnn_hidden must be >= 1, got {self.rnn_hidden}")


@dataclass(slots=True)
class TrainSettings:
    """Optimisation and data.

    ``cpsc_repeat`` is how many times each training record appears per epoch (each time with
    other augmentations). ``extra_databases`` are databases of ``ECG_SAMPLE_DATA`` whose QRS
    annotations are added to the training windows (those absent are skipped): ludb, mitdb and
    cpsc2021 with their reference annotations, cinc2021 and cpsc2018 (12 leads) labelled by the
    beats their leads agree on (:func:`ecg_signal.rpeaks.consensus_rpeaks`).
    ``threshold`` is the QRS probability above which a segment is a QRS complex.
    ``lr`` is the peak learning rate of the one-cycle schedule. The scores of the alternatives
    tried (repeats, databases, learning rates) are in the package README's cpsc2019 table.
    ``hybrid_confirm`` and ``hybrid_threshold`` set the network + classic detector hybrid
    (:func:`~ecg_benchmarks.cases._qrs.hybrid_peaks`), reported next to the network alone;
    chosen on the training records."""

    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 1e-2
    test_fraction: float = 0.25
    cpsc_repeat: int = 16
    extra_databases: list[str] = field(
        default_factory=lambda: ["ludb", "mitdb", "cpsc2021", "cinc2021", "cpsc2018"]
    )
    qrs_half_width_s: float = 0.08
    threshold: float = 0.3
    hybrid_confirm: float = 0.1
    hybrid_threshold: float = 0.5

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"train.batch_size must be >= 1, got {self.batch_size}")
        if not 0 < self.test_fraction < 1:
            raise ValueError(f"train.test_fraction must be in (0, 1), got {self.test_fraction}")
        unknown = sorted(set(self.extra_databases) - set(qd.EXTRA_DATABASES))
        if unknown:
            raise ValueError(
                f"train.extra_databases: unknown {unknown}; allowed: {sorted(qd.EXTRA_DATABASES)}"
            )
        for name in ("threshold", "hybrid_confirm", "hybrid_threshold"):
            value = getattr(self, name)
            if not 0 < value < 1:
                raise ValueError(f"train.{name} must be in (0, 1), got {value}")


@dataclass(slots=True)
class CPSC2019Settings:
    data_dir: str | None = None
    extra_data_dir: str | None = None
    epochs: int = 8
    device: Literal["cpu", "cuda"] = "cpu"
    seed: int = 0
    model: ModelSettings = field(default_factory=ModelSettings)
    train: TrainSettings = field(default_factory=TrainSettings)

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")


def build_model(cfg: ModelSettings) -> Any:
    """The ECG_SEQ_LAB_NET of this case: output ``(batch, samples // 8, 1)`` logits.

    Every part is set here (not inherited from the model's defaults), so the architecture of a
    saved run stays the one this case trains: a multi-scopic backbone with its filter counts
    divided by ``width_divisor``, one bidirectional LSTM layer, no attention, a 32-unit head."""
    from copy import deepcopy

    from ecg_models import (
        ECG_SEQ_LAB_NET,
        ECG_SEQ_LAB_NET_CONFIG,
        AttentionConfig,
        HeadConfig,
        RNNConfig,
        get_backbone_config,
    )

    config = deepcopy(ECG_SEQ_LAB_NET_CONFIG)
    backbone = get_backbone_config("multi_scopic")
    backbone.filters = [[max(4, f // cfg.width_divisor) for f in row] for row in backbone.filters]
    config.cnn.add("multi_scopic_qrs", backbone)
    config.cnn.name = "multi_scopic_qrs"
    config.rnn = RNNConfig(
        name="lstm", hidden_size=cfg.rnn_hidden, num_layers=1, bidirectional=True
    )
    config.attn = AttentionConfig(name="none")
    config.head = HeadConfig(hidden_sizes=[32], dropout=0.1)
    config.recover_length = False
    return ECG_SEQ_LAB_NET(["qrs"], 1, config)


def _split(n: int, s: CPSC2019Settings) -> tuple[list[int], list[int]]:
    order = np.random.default_rng(s.seed).permutation(n).tolist()
    n_test = max(1, round(n * s.train.test_fraction))
    test, train = order[:n_test], order[n_test:]
    if not train:
        raise BenchmarkError(f"{n} records are too few to split into train and test")
    return sorted(train), sorted(test)


class CPSC2019Benchmark(Benchmark):
    """QRS detection on CPSC2019, scored with the official QRS score."""

    name: ClassVar[str] = "cpsc2019"
    summary: ClassVar[str] = "QRS detection (CPSC 2019), ECG_SEQ_LAB_NET, official QRS score"

    def default_settings(self) -> CPSC2019Settings:
        return CPSC2019Settings()

    def run(self, settings: Any, run: RunDir, options: RunOptions) -> dict[str, Any]:
        from ecg_signal.rpeaks import cpsc2019_record_score, cpsc2019_score, detect_rpeaks
        from ecg_train import CheckpointMismatchError, TrainingInterruptedError

        s: CPSC2019Settings = settings
        if s.device == "cuda" and not torch.cuda.is_available():
            raise BenchmarkError("--device cuda was asked for, but torch sees no CUDA device")
        start = time.perf_counter()
        torch.manual_seed(s.seed)
        db = qd.load_cpsc2019(s.data_dir)
        train, test = _split(len(db.names), s)
        say = print if options.progress else (lambda *a, **k: None)
        say(
            f"cpsc2019: {len(db.names)} records ({db.source}): {len(train)} train, {len(test)} held out"
        )

        signals, masks, weights = [], [], []
        for _ in range(s.train.cpsc_repeat):
            for i in train:
                signals.append(db.signals[i])
                masks.append(
                    qd.qrs_mask(db.rpeaks[i], db.signals[i].shape[-1], FS, s.train.qrs_half_width_s)
                )
                weights.append(np.ones_like(masks[-1]))
        extra_root = qd.sample_root(s.extra_data_dir)
        extra_used: dict[str, int] = {}
        if db.source != "synthetic" and extra_root is not None:
            for name in s.train.extra_databases:
                got = qd.EXTRA_DATABASES[name](extra_root / name, s.train.qrs_half_width_s)
                if got is not None:
                    signals += got[0]
                    masks += got[1]
                    weights += got[2]
                    extra_used[name] = len(got[0])
        say(
            f"training windows: {len(signals)} (cpsc2019 x{s.train.cpsc_repeat}, extra {extra_used})"
        )
        dataset = QRSWindows(signals, masks, weights)

        model = build_model(s.model)
        train_config = {
            "n_epochs": s.epochs,
            "batch_size": s.train.batch_size,
            "learning_rate": s.train.lr,
            "weight_decay": s.train.weight_decay,
            "scheduler": "one_cycle",
            "grad_clip": 5.0,
            "checkpoint_dir": str(run.checkpoints),
            "log_dir": str(run.logs),
            "loggers": ("csv", "tensorboard"),
            "progress_bar": options.progress,
            "device": s.device,
            "seed": s.seed,
            "keep_checkpoint_max": 2,
        }
        trainer = QRSTrainer(model, train_config, dataset, fs=FS)
        resume_from = (
            run.checkpoints if options.resume and any(run.checkpoints.glob("*.pt")) else None
        )
        try:
            trainer.train(resume_from=resume_from)
        except CheckpointMismatchError as exc:
            raise BenchmarkError(f"cannot resume {run.path}: {exc}") from exc
        except TrainingInterruptedError as exc:
            raise BenchmarkError(
                f"training stopped ({exc}); a checkpoint was saved: continue with "
                f"ecg-bench run cpsc2019 --resume {run.path}"
            ) from exc
        finally:
            trainer.close()
        history = [{"epoch": k + 1, **h} for k, h in enumerate(trainer.epoch_history)]
        run.write_json(run.history, history)
        model.save(run.checkpoints / "model.safetensors")

        model.eval()
        test_refs = [db.rpeaks[i] for i in test]
        preds: list[IntArray] = []
        hybrid: list[IntArray] = []
        classic = [detect_rpeaks(db.raw[i][0], FS) for i in test]
        with torch.no_grad():
            for k, i in enumerate(test):
                x = torch.from_numpy(db.signals[i])[None].to(s.device)
                # test-time augmentation: the mean probability of the record and its inversion
                prob = torch.sigmoid(model(torch.cat([x, -x])))[:, :, 0].mean(0).cpu().numpy()
                preds.append(peaks_from_prob(prob, FS, s.train.threshold))
                hybrid.append(
                    hybrid_peaks(
                        prob,
                        classic[k],
                        FS,
                        s.train.hybrid_threshold,
                        confirm=s.train.hybrid_confirm,
                    )
                )
        score = cpsc2019_score(test_refs, preds, FS)
        hybrid_score = cpsc2019_score(test_refs, hybrid, FS)
        classic_score = cpsc2019_score(test_refs, classic, FS)
        per_record = {
            db.names[i]: cpsc2019_record_score(test_refs[k], preds[k], FS)[3]
            for k, i in enumerate(test)
        }
        _plot_examples(
            run, [db.names[i] for i in test], [db.signals[i][0] for i in test], test_refs, preds
        )
        elapsed = time.perf_counter() - start
        summary = (
            f"cpsc2019: QRS score {score:.4f} (ECG_SEQ_LAB_NET), {hybrid_score:.4f} (network + "
            f"classic detector hybrid) vs {classic_score:.4f} (ecg-signal's classic detector) "
            f"on {len(test)} held-out records of {db.source}, "
            f"{sum(v == 1.0 for v in per_record.values())} perfect; {elapsed:.0f} s"
        )
        return {
            "qrs_score": score,
            "classic_detector_qrs_score": classic_score,
            "hybrid_qrs_score": hybrid_score,
            "n_train_records": len(train),
            "n_test_records": len(test),
            "n_training_windows": len(signals),
            "extra_training_windows": extra_used,
            "data_source": db.source,
            "per_record_qrs_score": per_record,
            "elapsed_s": elapsed,
            "summary": summary,
        }


def _plot_examples(
    run: RunDir,
    names: list[str],
    sigs: list[npt.NDArray[np.float32]],
    refs: list[IntArray],
    preds: list[IntArray],
) -> None:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    k = min(4, len(sigs))
    fig, axes = plt.subplots(k, 1, figsize=(12, 2.2 * k), squeeze=False, constrained_layout=True)
    for row in range(k):
        ax = axes[row][0]
        t = np.arange(len(sigs[row])) / FS
        ax.plot(t, sigs[row], lw=0.7, color="k")
        ax.plot(refs[row] / FS, sigs[row][refs[row]], "go", ms=6, mfc="none", label="reference R")
        if len(preds[row]):
            p = np.clip(preds[row], 0, len(sigs[row]) - 1)
            ax.plot(p / FS, sigs[row][p], "rx", ms=6, label="predicted R")
        ax.set_title(f"record {names[row]}", fontsize=9)
        ax.set_xlabel("time (s)")
        ax.legend(fontsize=7, loc="upper right")
    fig.savefig(
        add_figure(run, "examples.png", "Held-out records: reference and predicted R peaks"), dpi=90
    )
    plt.close(fig)
