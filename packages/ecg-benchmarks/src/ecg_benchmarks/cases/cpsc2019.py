"""cpsc2019: QRS detection on single-lead ECGs, scored with the official CPSC2019 QRS score.

The 2nd China Physiological Signal Challenge (2019): 10 s single-lead records at 500 Hz with
R-peak references. An ``ECG_SEQ_LAB_NET`` (ecg-models; ``model.arch``: the strided, dilated,
polarity-invariant ``strided_cnn`` backbone, or a multi-scopic CNN with a bidirectional LSTM;
a per-step QRS probability at ``1 / reduction`` of its input rate ``data.fs``) is trained on the
training part of the CPSC2019 records (:class:`ecg_data.CPSC2019Dataset`) and, when the sample
data hold them, on windows drawn afresh each epoch from the QRS annotations of QTDB, LUDB,
MITDB, CPSC2021 and the consensus beats of CinC2021 and CPSC2018 (optionally favouring
recordings rich in ectopic beats, ``data.abnormal_weight``), with coloured noise at a drawn SNR
(:mod:`ecg_signal.augment.coloured_noise`) and ecg-signal's augmenters (baseline wander,
polarity flip and :class:`~ecg_signal.augment.RandomArtefacts`). Evaluation runs
the network as the shipped detector does (:class:`ecg_models.pretrained.qrs.QRSDetector`, R
peaks by ``ECG_SEQ_LAB_NET``'s post-processing) and scores the held-out CPSC2019 records with the
official rule (75 ms window; a record scores 1 with no error, 0.7 with one false positive, 0.3
with one false negative, else 0), next to ecg-signal's classic detector and a hybrid of the two
(the detector's beats that the network confirms, plus the network's confident beats the detector
missed). When the sample data hold NSTDB (a test set, never trained on), every record is scored
beat by beat (lead 0, F1 at 150 ms from minute 5, as ANSI/AAMI EC57) for the three detectors.

Without CPSC2019 records the synthetic database of ecg-data is used (ECGSYN records with exact
R peaks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import torch

from ecg_benchmarks.base import BenchmarkError, BenchmarkSettings, RunOptions, register_benchmark
from ecg_benchmarks.cases import _qrs_data as qd
from ecg_benchmarks.predictions import Prediction, Record
from ecg_benchmarks.runs import RunDir
from ecg_benchmarks.template import (
    Case,
    CaseData,
    DataSource,
    Evaluation,
    TrainSettings,
)

__all__ = ["CPSC2019Case", "CPSC2019Settings", "TestRecord"]

IntArray = npt.NDArray[np.int64]
ARCHS = ("multi_scopic_lstm", "strided_cnn")


@dataclass(slots=True)
class ModelSettings:
    """The network (``model.*`` keys).

    Attributes:
        arch: ``multi_scopic_lstm`` (a multi-scopic CNN and a bidirectional LSTM) or
            ``strided_cnn`` (ecg-models' strided, dilated, polarity-invariant CNN: no LSTM).
        width_divisor: the multi-scopic backbone's filter counts are divided by this (1 to 16).
        rnn_hidden: units per direction of the bidirectional LSTM.
        context_layers: residual layers appended to the ``strided_cnn`` backbone, with
            dilations 16, 32, ...: each doubles its receptive field (about 2 s without one).
    """

    arch: str = "strided_cnn"
    width_divisor: int = 8
    rnn_hidden: int = 32
    context_layers: int = 1

    def __post_init__(self) -> None:
        if self.arch not in ARCHS:
            raise ValueError(f"model.arch must be one of {ARCHS}, got {self.arch!r}")
        if self.width_divisor not in (1, 2, 4, 8, 16):
            raise ValueError(
                f"model.width_divisor must be 1, 2, 4, 8 or 16, got {self.width_divisor}"
            )
        if self.rnn_hidden < 1:
            raise ValueError(f"model.rnn_hidden must be >= 1, got {self.rnn_hidden}")
        if not 0 <= self.context_layers <= 3:
            raise ValueError(f"model.context_layers must be in [0, 3], got {self.context_layers}")


@dataclass(slots=True)
class DataSettings:
    """Training data (``data.*`` keys).

    Attributes:
        fs: the network's input rate in Hz (records are resampled to it).
        window_s: training window length in seconds.
        cpsc_repeat: times each CPSC2019 training record appears per epoch.
        pool_windows: windows drawn each epoch from the extra databases.
        extra_databases: databases of the sample data whose QRS annotations are added (absent
            ones are skipped): qtdb, ludb, mitdb, cpsc2021, cinc2021, cpsc2018.
        qrs_half_width_s: half-width of the QRS region labelled around each R peak (s).
        abnormal_weight: an extra recording is drawn ``1 + abnormal_weight * f`` times more
            often, ``f`` the share of its reference beats that are not normal (QTDB, MITDB,
            CPSC2021 beat symbols; 0: by annotated length only).
        synthetic_records: records of the synthetic database used without CPSC2019 data.
        synthetic_repeat: times each synthetic training record appears per epoch (it replaces
            ``cpsc_repeat`` there: the synthetic fallback has no extra databases).
    """

    fs: float = 250.0
    window_s: float = 10.0
    cpsc_repeat: int = 16
    pool_windows: int = 1200
    extra_databases: list[str] = field(
        default_factory=lambda: ["qtdb", "ludb", "mitdb", "cpsc2021", "cinc2021", "cpsc2018"]
    )
    qrs_half_width_s: float = 0.08
    abnormal_weight: float = 0.0
    synthetic_records: int = 40
    synthetic_repeat: int = 32

    def __post_init__(self) -> None:
        if not 50.0 <= self.fs <= 1000.0:
            raise ValueError(f"data.fs must be in [50, 1000] Hz, got {self.fs}")
        if not 2.0 <= self.window_s <= 60.0:
            raise ValueError(f"data.window_s must be in [2, 60] s, got {self.window_s}")
        for key in ("cpsc_repeat", "pool_windows", "synthetic_repeat", "abnormal_weight"):
            if getattr(self, key) < 0:
                raise ValueError(f"data.{key} must be >= 0, got {getattr(self, key)}")
        unknown = sorted(set(self.extra_databases) - set(qd.EXTRA_DATABASES))
        if unknown:
            raise ValueError(
                f"data.extra_databases: unknown {unknown}; allowed: {sorted(qd.EXTRA_DATABASES)}"
            )
        if not 0.01 <= self.qrs_half_width_s <= 0.2:
            raise ValueError(
                f"data.qrs_half_width_s must be in [0.01, 0.2] s, got {self.qrs_half_width_s}"
            )
        if self.synthetic_records < 8:
            raise ValueError(f"data.synthetic_records must be >= 8, got {self.synthetic_records}")


@dataclass(slots=True)
class DetectSettings:
    """Post-processing (``detect.*`` keys; they are the shipped detector's settings too).

    Attributes:
        threshold: QRS probability above which a run of steps is a QRS complex.
        refractory_ms: shortest R-R interval kept.
        flip_average: average the probabilities of each window and of its inversion.
        overlap_s: overlap of neighbouring windows on long records (s).
        refine_ms: move each network peak to the largest absolute filtered sample within this
            distance (0: keep the centre of the QRS run).
        hybrid_confirm: network probability that confirms a classic detector beat (hybrid).
        hybrid_threshold: threshold of the network's own beats added by the hybrid.
        nstdb: also score the NSTDB records of the sample data (a test set, never trained on).
    """

    threshold: float = 0.5
    refractory_ms: float = 200.0
    flip_average: bool = True
    overlap_s: float = 2.0
    refine_ms: float = 40.0
    hybrid_confirm: float = 0.1
    hybrid_threshold: float = 0.5
    nstdb: bool = True

    def __post_init__(self) -> None:
        for key in ("threshold", "hybrid_confirm", "hybrid_threshold"):
            if not 0 < getattr(self, key) < 1:
                raise ValueError(f"detect.{key} must be in (0, 1), got {getattr(self, key)}")
        if not 0 <= self.refractory_ms <= 1000:
            raise ValueError(f"detect.refractory_ms must be in [0, 1000], got {self.refractory_ms}")
        if not 0 <= self.refine_ms <= 100:
            raise ValueError(f"detect.refine_ms must be in [0, 100], got {self.refine_ms}")
        if self.overlap_s < 0:
            raise ValueError(f"detect.overlap_s must be >= 0, got {self.overlap_s}")


@dataclass(slots=True)
class AugmentSettings:
    """Training augmentation (``augment.*`` keys): probabilities per training window.

    Attributes:
        baseline_wander: baseline wander (ecg-signal's BaselineWander).
        flip: polarity inversion.
        artefacts: spikes, motion and muscle-noise bursts (RandomArtefacts), each kind with
            probability ``artefact_kind_prob``.
        artefact_kind_prob: probability of each kind of artefact in an augmented window.
        noise: coloured noise (a random mix of electrode motion, muscle noise and baseline
            wander) at an SNR drawn in [noise_snr_low_db, noise_snr_high_db], added first.
        noise_snr_low_db: lowest SNR of the added noise (dB, WFDB nst's convention).
        noise_snr_high_db: highest SNR of the added noise (dB).
        noise_kinds: the kinds mixed: motion, muscle, baseline, bursts.
        noise_only: share of training windows replaced by noise alone (a random mix of all
            four kinds) labelled QRS-free everywhere, before the other augmentation.
    """

    baseline_wander: float = 0.5
    flip: float = 0.5
    artefacts: float = 1.0
    artefact_kind_prob: float = 0.5
    noise: float = 0.5
    noise_snr_low_db: float = -6.0
    noise_snr_high_db: float = 24.0
    noise_kinds: list[str] = field(default_factory=lambda: ["motion", "muscle", "baseline"])
    noise_only: float = 0.0

    def __post_init__(self) -> None:
        keys = ("baseline_wander", "flip", "artefacts", "artefact_kind_prob", "noise", "noise_only")
        for key in keys:
            if not 0 <= getattr(self, key) <= 1:
                raise ValueError(f"augment.{key} must be in [0, 1], got {getattr(self, key)}")
        if not -30.0 <= self.noise_snr_low_db <= self.noise_snr_high_db <= 60.0:
            raise ValueError(
                "augment.noise_snr_low_db <= augment.noise_snr_high_db must hold within "
                f"[-30, 60] dB, got {self.noise_snr_low_db} and {self.noise_snr_high_db}"
            )
        from ecg_signal.augment.coloured_noise import NOISE_KINDS

        if not self.noise_kinds or not set(self.noise_kinds) <= set(NOISE_KINDS):
            raise ValueError(
                f"augment.noise_kinds must be a non-empty subset of {list(NOISE_KINDS)}, "
                f"got {self.noise_kinds}"
            )


@dataclass(slots=True)
class CPSC2019Settings(BenchmarkSettings):
    """Settings of the cpsc2019 case.

    Attributes:
        model: the network.
        data: rates, windows and the extra training databases.
        detect: post-processing and what is reported.
        augment: training augmentation.
        train: optimisation (``train.train_ratio`` of the CPSC2019 records train, the rest are
            held out).
        export_pretrained: after the run, write the model as the pretrained detector of this
            name into ecg-models (``ecg_models/pretrained/weights``; empty: no export).
    """

    epochs: int = 8
    model: ModelSettings = field(default_factory=ModelSettings)
    data: DataSettings = field(default_factory=DataSettings)
    detect: DetectSettings = field(default_factory=DetectSettings)
    augment: AugmentSettings = field(default_factory=AugmentSettings)
    train: TrainSettings = field(
        default_factory=lambda: TrainSettings(
            batch_size=16,
            lr=1e-3,
            weight_decay=1e-2,
            scheduler="one_cycle",
            grad_clip=5.0,
            train_ratio=0.75,
        )  # fmt: skip
    )
    export_pretrained: str = ""

    def validate(self) -> None:
        if self.export_pretrained and not self.export_pretrained.isidentifier():
            raise ValueError(
                f"export_pretrained must be a snake_case name, got {self.export_pretrained!r}"
            )


@dataclass(frozen=True, slots=True)
class TestRecord:
    """A held-out record: name, raw 1-D signal at ``fs`` (mV) and reference R peaks."""

    name: str
    signal: npt.NDArray[np.float64]
    fs: float
    rpeaks: IntArray


def build_model(cfg: ModelSettings, fs: float) -> Any:
    """The case's ECG_SEQ_LAB_NET: output ``(batch, samples // reduction, 1)`` logits.

    Every part is set here (not inherited from the model's defaults), so the architecture of a
    saved run stays the one this case trains: for ``multi_scopic_lstm`` a multi-scopic backbone
    with its filter counts divided by ``width_divisor``, one bidirectional LSTM layer, no
    attention, a 32-unit head; for ``strided_cnn`` that backbone, no RNN, no attention and a
    single linear head."""
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
    if cfg.arch == "strided_cnn":
        backbone = get_backbone_config("strided_cnn")
        n = cfg.context_layers
        backbone.filters = [*backbone.filters, *[backbone.filters[-1]] * n]
        backbone.filter_lengths = [*backbone.filter_lengths, *[5] * n]
        backbone.strides = [*backbone.strides, *[1] * n]
        backbone.dilations = [*backbone.dilations, *[16 * 2**k for k in range(n)]]
        config.cnn.add("strided_cnn_qrs", backbone, base="strided_cnn")
        config.cnn.name = "strided_cnn_qrs"
        config.rnn = RNNConfig(name="none")
        config.attn = AttentionConfig(name="none")
        config.head = HeadConfig(hidden_sizes=[], dropout=0.1)
        config.recover_length = False
        config.fs = fs
        return ECG_SEQ_LAB_NET(["qrs"], 1, config)
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
    config.fs = fs
    return ECG_SEQ_LAB_NET(["qrs"], 1, config)


def detector_config(s: CPSC2019Settings) -> dict[str, Any]:
    """The :class:`~ecg_models.pretrained.qrs.QRSDetector` settings of this case's runs."""
    d = s.detect
    return {
        "fs": s.data.fs,
        "window_s": s.data.window_s,
        "overlap_s": d.overlap_s,
        "threshold": d.threshold,
        "refractory_ms": d.refractory_ms,
        "flip_average": d.flip_average,
        "refine_ms": d.refine_ms,
    }


def _split(names: list[str], s: CPSC2019Settings) -> tuple[list[str], list[str]]:
    order = np.random.default_rng(s.seed).permutation(len(names)).tolist()
    n_test = max(1, round(len(names) * (1 - s.train.train_ratio)))
    test, train = order[:n_test], order[n_test:]
    if not train:
        raise BenchmarkError(f"{len(names)} records are too few to split into train and test")
    return [names[i] for i in sorted(train)], [names[i] for i in sorted(test)]


@register_benchmark
class CPSC2019Case(Case[CPSC2019Settings]):
    """QRS detection on CPSC2019, scored with the official QRS score."""

    name: ClassVar[str] = "cpsc2019"
    summary: ClassVar[str] = "QRS detection (CPSC 2019), ECG_SEQ_LAB_NET, official QRS score"
    settings_class = CPSC2019Settings
    database: ClassVar[str] = "cpsc2019"
    label: ClassVar[str] = "CPSC 2019"
    validation_metric: ClassVar[str] = "qrs_score"
    item_arities: ClassVar[tuple[int, ...]] = (3,)

    def check_folder(self, path: Path) -> str | None:
        if not any(path.rglob("data_*.mat")):
            return "it must hold data/data_*.mat and ref/R_*.mat"
        return None

    def resolve_data(self, settings: CPSC2019Settings) -> DataSource:
        from ecg_benchmarks.paths import sample_data_dir

        if settings.data_dir:
            return self.data_source(settings.data_dir)
        sample = sample_data_dir(self.database)
        if sample is not None and sample.is_dir() and any(sample.rglob("data_*.mat")):
            return self.data_source(None)
        return DataSource(None, "synthetic records (no sample data found)")

    # ------------------------------------------------------------------ data
    def _dataset(
        self, s: CPSC2019Settings, source: DataSource, fs: float, records: list[str] | None
    ) -> Any:
        from ecg_data.datasets.base import PreprocCfg
        from ecg_data.datasets.cpsc2019 import CPSC2019Dataset

        return CPSC2019Dataset(
            {
                "db_dir": None if source.path is None else str(source.path),
                "fs": fs,
                "input_len": round(s.data.window_s * fs),
                "bias_thr_s": s.data.qrs_half_width_s,
                "preproc": PreprocCfg(bandpass=None, normalize=None),
                "records": None if records is None else tuple(records),
                "synthetic_records": s.data.synthetic_records,
                "seed": s.seed,
            },
            training=True,
        )

    def _test_records(
        self, s: CPSC2019Settings, source: DataSource, names: list[str] | None
    ) -> list[TestRecord]:
        ds = self._dataset(s, source, 500.0, names)
        out = []
        for i, rec in enumerate(ds.records):
            sig = ds[i][0].numpy()[0].astype(np.float64)
            out.append(TestRecord(rec, sig, float(ds.fs), ds.rpeaks(i)))
        return out

    def load_data(self, s: CPSC2019Settings, source: DataSource) -> CaseData:
        from torch.utils.data import ConcatDataset, Dataset

        from ecg_benchmarks.cases._qrs import CPSCWindows, WindowPool
        from ecg_benchmarks.paths import sample_data_root

        with torch.random.fork_rng():  # the run's seeded model is built in build_model
            reduction = int(build_model(s.model, s.data.fs).reduction)
        names = list(self._dataset(s, source, 500.0, None).reader.all_records)
        if s.train.max_records:
            names = names[: s.train.max_records]
        train, test = _split(names, s)
        repeat = s.data.cpsc_repeat if source.path is not None else s.data.synthetic_repeat
        cpsc = CPSCWindows(self._dataset(s, source, s.data.fs, train), reduction, repeat)
        parts: list[Dataset[Any]] = [cpsc] if repeat else []
        used: dict[str, int] = {}
        pool = None
        root = sample_data_root()
        if source.path is not None and root is not None and s.data.pool_windows:
            recs, used = qd.load_extra(root, s.data.extra_databases, s.data.fs)
            if recs:
                pool = WindowPool(
                    recs, s.data.pool_windows, round(s.data.window_s * s.data.fs), s.data.fs,
                    s.data.qrs_half_width_s, reduction, s.seed,
                )  # fmt: skip
                if s.data.abnormal_weight > 0:
                    from ecg_benchmarks.cases._cpsc2019_sampling import abnormal_weights

                    sources = [r.source for r in pool.recs]
                    pool.p = abnormal_weights(sources, pool.p, root, s.data.abnormal_weight)
                parts.append(pool)
        if not parts:
            raise BenchmarkError("no training windows: data.cpsc_repeat and the pool are both 0")
        n_items = sum(len(p) for p in parts)  # type: ignore[arg-type, misc]
        return CaseData(
            train=ConcatDataset(parts),
            val=None,
            test=self._test_records(s, source, test),
            description=(
                f"{len(names)} records: {len(train)} train, {len(test)} held out; "
                f"{n_items} training windows per epoch (cpsc2019 x{repeat}, "
                f"{len(pool) if pool else 0} drawn from {used})"
            ),
            info={"pool": pool},
            metrics={
                "n_train_records": len(train),
                "n_test_records": len(test),
                "test_records": test,
                "n_training_windows": n_items,
                "extra_recordings": used,
                "data_source": "synthetic" if source.path is None else f"CPSC2019 at {source.path}",
            },
        )

    def eval_data(self, s: CPSC2019Settings, source: DataSource) -> list[TestRecord]:
        return self._test_records(s, source, None)

    # ------------------------------------------------------------------ model and training
    def build_model(self, s: CPSC2019Settings, data: CaseData) -> torch.nn.Module:
        model: torch.nn.Module = build_model(s.model, s.data.fs)
        self._pool = data.info.get("pool")
        self._augmenter: Any = None
        return model

    def _augment(self, s: CPSC2019Settings, trainer: Any, x: torch.Tensor) -> torch.Tensor:
        from ecg_signal import AugmenterManager

        a = s.augment
        if getattr(self, "_augmenter", None) is None:
            self._augmenter = AugmenterManager.from_config(
                {
                    "fs": s.data.fs,
                    "seed": s.seed,
                    "baseline_wander": {"prob": a.baseline_wander},
                    "random_flip": {"prob": a.flip},
                    "random_artefacts": {
                        "prob": a.artefacts,
                        "spike_prob": a.artefact_kind_prob,
                        "motion_prob": a.artefact_kind_prob,
                        "muscle_prob": a.artefact_kind_prob,
                    },
                }
            )
        aug = self._augmenter
        # the augmentation of a batch is a function of (seed, epoch, batch): resumable exactly
        base = (s.seed * 1_000_003 + trainer.epoch) * 1_000_003 + trainer.batches_done
        for k, one in enumerate(aug.augmenters):
            one.manual_seed((base * 31 + k + 1) % 2**62)
        if a.noise > 0:
            from ecg_signal.augment.coloured_noise import add_noise_at_snr

            gen = torch.Generator().manual_seed((base * 31) % 2**62)
            x = add_noise_at_snr(
                x, s.data.fs, a.noise, a.noise_snr_low_db, a.noise_snr_high_db, gen,
                tuple(a.noise_kinds),
            )  # fmt: skip
        aug.train()
        out: torch.Tensor = aug(x)[0]
        return out

    def loss(
        self, s: CPSC2019Settings, trainer: Any, batch: tuple[torch.Tensor, ...]
    ) -> torch.Tensor:
        from ecg_benchmarks.cases._qrs import scale_batch
        from ecg_train import masked_bce_with_logits

        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.epoch = int(trainer.epoch)
        x, y, w = batch
        if s.augment.noise_only > 0:
            from ecg_benchmarks.cases._qrs import noise_only_windows

            base = (s.seed * 1_000_003 + trainer.epoch) * 1_000_003 + trainer.batches_done
            gen = torch.Generator().manual_seed((base * 37 + 5) % 2**62)
            x, y, w = noise_only_windows(x, y, w, s.data.fs, s.augment.noise_only, gen)
        x = scale_batch(self._augment(s, trainer, x))
        logits = trainer.forward(x)
        y, w = y.to(logits.device), w.to(logits.device)
        loss: torch.Tensor = masked_bce_with_logits(logits, y, w, reduction="sum") / y.numel()
        return loss

    def validate(
        self, s: CPSC2019Settings, model: torch.nn.Module, loader: Any
    ) -> dict[str, float]:
        raise BenchmarkError("cpsc2019 trains without a validation set")  # val is None

    # ------------------------------------------------------------------ evaluation
    def detector(self, s: CPSC2019Settings, model: Any) -> Any:
        """The shipped detector around ``model`` (or ``model`` itself when it is one)."""
        from ecg_models.pretrained.qrs import QRSDetector

        if isinstance(model, QRSDetector):
            return model
        return QRSDetector(model, **detector_config(s))

    def _three(
        self, s: CPSC2019Settings, det: Any, sig: npt.NDArray[np.float64], fs: float
    ) -> tuple[IntArray, IntArray, IntArray]:
        """Network, hybrid and classic R peaks of a finite 1-D record."""
        from ecg_benchmarks.cases._qrs import hybrid_peaks
        from ecg_models.pretrained.qrs import qrs_input
        from ecg_signal.rpeaks import detect_rpeaks

        x = qrs_input(sig, fs, det.fs)
        prob = det.probabilities(x)
        net = det.to_input_rate(det.peaks_from_probabilities(prob, x), fs, len(sig))
        own = det.to_input_rate(
            det.peaks_from_probabilities(prob, x, s.detect.hybrid_threshold), fs, len(sig)
        )
        classic = detect_rpeaks(sig, fs)
        hyb = hybrid_peaks(prob, classic, own, fs, det.reduction / det.fs, s.detect.hybrid_confirm)
        return net, hyb, classic

    def evaluate_model(self, s: CPSC2019Settings, model: torch.nn.Module, test: Any) -> Evaluation:
        from ecg_signal.rpeaks import cpsc2019_record_score, cpsc2019_score

        det = self.detector(s, model)
        recs: list[TestRecord] = test
        preds: dict[str, list[IntArray]] = {"network": [], "hybrid": [], "classic": []}
        for r in recs:
            for key, p in zip(preds, self._three(s, det, r.signal, r.fs), strict=True):
                preds[key].append(p)
        fs = recs[0].fs if recs else 500.0
        refs = [r.rpeaks for r in recs]
        scores = {k: cpsc2019_score(refs, v, fs) for k, v in preds.items()}
        per_record = {
            r.name: {k: cpsc2019_record_score(r.rpeaks, preds[k][i], r.fs)[3] for k in preds}
            for i, r in enumerate(recs)
        }
        metrics: dict[str, Any] = {
            "qrs_score": scores["network"],
            "hybrid_qrs_score": scores["hybrid"],
            "classic_detector_qrs_score": scores["classic"],
            "per_record_qrs_score": per_record,
        }
        summary = (
            f"cpsc2019: QRS score {scores['network']:.4f} (ECG_SEQ_LAB_NET), "
            f"{scores['hybrid']:.4f} (network + classic detector hybrid) vs "
            f"{scores['classic']:.4f} (ecg-signal's classic detector) on {len(recs)} records, "
            f"{sum(v['network'] == 1.0 for v in per_record.values())} perfect"
        )
        from ecg_benchmarks.cases._cpsc2019_report import score_nstdb

        nst = score_nstdb(lambda sig, fs: self._three(s, det, sig, fs)) if s.detect.nstdb else None
        if nst is not None:
            metrics["nstdb"] = nst
            o = nst["overall"]
            summary += (
                f"; NSTDB F1 {o['network']:.3f} (network), {o['hybrid']:.3f} (hybrid), "
                f"{o['classic']:.3f} (classic)"
            )
        details = {"records": recs, "preds": preds["network"]}
        return Evaluation(metrics, summary, details)

    def predict_record(self, s: CPSC2019Settings, model: Any, record: Record) -> Prediction:
        det = self.detector(s, model)
        return Prediction(beats={"N": det(record.signal[0], record.fs)}, lead=0)

    def figures(
        self, s: CPSC2019Settings, run: RunDir, evaluation: Evaluation, data: CaseData
    ) -> None:
        from ecg_benchmarks.cases._cpsc2019_report import plot_examples

        plot_examples(run, evaluation.details["records"], evaluation.details["preds"])

    # ------------------------------------------------------------------ run + export
    def run(self, settings: Any, run: RunDir, options: RunOptions) -> dict[str, Any]:
        metrics = Case.run(self, settings, run, options)
        s: CPSC2019Settings = settings
        if s.export_pretrained and "qrs_score" in metrics:
            from ecg_benchmarks.cases._cpsc2019_report import export_pretrained

            card = export_pretrained(s, run, metrics)
            metrics["pretrained_card"] = str(card)
        return metrics
