"""The settings of the cpsc2019 case: the network, the data, the detection and the augmentation.

Each section is a ``slots=True`` dataclass checked on construction; :class:`CPSC2019Settings`
gathers them (``ecg-bench run cpsc2019 --help`` lists every field with its default).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ecg_benchmarks.base import BenchmarkSettings
from ecg_benchmarks.cases import _qrs_data as qd
from ecg_benchmarks.template import TrainSettings

__all__ = [
    "ARCHS",
    "AugmentSettings",
    "CPSC2019Settings",
    "DataSettings",
    "DetectSettings",
    "ModelSettings",
]

ARCHS = ("multi_scopic_lstm", "strided_cnn")
#: the case's default ``train.train_ratio`` (the plain split of ``data.n_folds`` 0)
TRAIN_RATIO = 0.75


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
        n_folds: folds of the record-disjoint k-fold split: consecutive chunks of one
            permutation of the records seeded by ``seed`` (0: the plain split by
            ``train.train_ratio``, its held-out records being the first of the same permutation).
        fold: the held-out fold (with ``n_folds``; the default run holds out fold 0, the
            same records as the plain 75/25 split).
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
    n_folds: int = 4
    fold: int = 0

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
        if self.n_folds == 1 or self.n_folds < 0:
            raise ValueError(f"data.n_folds must be 0 or >= 2, got {self.n_folds}")
        if self.n_folds and not 0 <= self.fold < self.n_folds:
            raise ValueError(f"data.fold must lie in [0, {self.n_folds - 1}], got {self.fold}")
        if not self.n_folds and self.fold:
            raise ValueError(f"data.fold needs data.n_folds >= 2, got fold {self.fold}")


@dataclass(slots=True)
class DetectSettings:
    """Post-processing (``detect.*`` keys; they are the shipped detector's settings too).

    Attributes:
        threshold: QRS probability above which a run of steps is a QRS complex.
        low_threshold: hysteresis: a QRS run is a stretch above this lower probability (at
            least 40 ms) whose maximum reaches ``threshold``, so a narrow beat whose probability
            passes ``threshold`` for one 32-ms step is kept (taken as at most ``threshold``,
            and at most ``hybrid_threshold`` for the hybrid's own beats; equal: no hysteresis).
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
    low_threshold: float = 0.15
    refractory_ms: float = 200.0
    flip_average: bool = True
    overlap_s: float = 2.0
    refine_ms: float = 40.0
    hybrid_confirm: float = 0.1
    hybrid_threshold: float = 0.5
    nstdb: bool = True

    def __post_init__(self) -> None:
        for key in ("threshold", "low_threshold", "hybrid_confirm", "hybrid_threshold"):
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
        time_scale: share of the pool's windows (extra databases) time-scaled by a factor
            log-uniform in [1 / time_scale_max, time_scale_max], R peaks alike (heart rate
            variety).
        time_scale_max: largest time-scale factor, in [1, 2].
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
    time_scale: float = 0.5
    time_scale_max: float = 1.25

    def __post_init__(self) -> None:
        keys = ("baseline_wander", "flip", "artefacts", "artefact_kind_prob", "noise", "noise_only")
        for key in (*keys, "time_scale"):
            if not 0 <= getattr(self, key) <= 1:
                raise ValueError(f"augment.{key} must be in [0, 1], got {getattr(self, key)}")
        if not -30.0 <= self.noise_snr_low_db <= self.noise_snr_high_db <= 60.0:
            raise ValueError(
                "augment.noise_snr_low_db <= augment.noise_snr_high_db must hold within "
                f"[-30, 60] dB, got {self.noise_snr_low_db} and {self.noise_snr_high_db}"
            )
        if not 1.0 <= self.time_scale_max <= 2.0:
            raise ValueError(f"augment.time_scale_max must be in [1, 2], got {self.time_scale_max}")
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
        train: optimisation (with ``data.n_folds`` 0, ``train.train_ratio`` of the CPSC2019
            records train and the rest are held out; unused with folds).
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
            train_ratio=TRAIN_RATIO,
        )  # fmt: skip
    )
    export_pretrained: str = ""

    def validate(self) -> None:
        if self.data.n_folds and self.train.train_ratio != TRAIN_RATIO:
            raise ValueError(
                "cpsc2019 splits by data.n_folds / data.fold; train.train_ratio is used only "
                f"with data.n_folds=0, got {self.train.train_ratio}"
            )
        if self.export_pretrained and not self.export_pretrained.isidentifier():
            raise ValueError(
                f"export_pretrained must be a snake_case name, got {self.export_pretrained!r}"
            )
