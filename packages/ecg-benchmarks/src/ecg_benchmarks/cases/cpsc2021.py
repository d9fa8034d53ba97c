"""cpsc2021: paroxysmal atrial fibrillation episode detection, scored with the CPSC2021 score.

The 4th China Physiological Signal Challenge 2021 (Wang et al., "Paroxysmal Atrial Fibrillation
Events Detection from Dynamic ECG Recordings: The 4th China Physiological Signal Challenge 2021",
2021): two-lead 200 Hz Holter excerpts labelled non-AF, persistent AF or paroxysmal AF with the
AF/AFL episodes annotated. torch_ecg solves it with three models; two are trained here:

- ``task = "main"``: an ECG_CRNN sequence tagger (no global pooling, outputs interpolated to the
  input length) gives a per-sample AF probability on windows of the two leads (masked BCE);
- ``task = "rr_lstm"``: an RR_LSTM gives a per-beat AF probability from the RR intervals of the
  reference beats (masked BCE);

(the third, ``qrs_detection``, would provide the beats to the RR-LSTM from the signal; here the
reference beats are used). Each held-out record is then predicted whole, its AF runs shorter than
``min_af_s`` are dropped, runs closer than ``merge_gap_s`` merged, a record with AF over more
than ``persistent_fraction`` of its length becomes one episode over the whole record, and the
episodes are scored with the official rule (``U = Ur + Ue``, mean over records;
:func:`ecg_train.metrics.cpsc2021.cpsc2021_record_score`).

With no ``data_dir`` the CPSC2021 sample records in ``ECG_SAMPLE_DATA/cpsc2021`` are used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
import torch
from torch.utils.data import DataLoader, Dataset, Subset

from ecg_benchmarks.base import BenchmarkError, BenchmarkSettings, check_finite, register_benchmark
from ecg_benchmarks.cases._common import TRAIN_AUGMENT, _plt, plot_confusion
from ecg_benchmarks.cases._multilabel import CRNNSettings, build_crnn
from ecg_benchmarks.predictions import Prediction, Record
from ecg_benchmarks.report import add_figure
from ecg_benchmarks.runs import RunDir
from ecg_benchmarks.template import Case, CaseData, DataSource, Evaluation, TrainSettings

__all__ = ["CPSC2021Benchmark", "CPSC2021Settings", "mask_to_episodes", "check_cpsc2021_folder"]

CLASS_NAMES = ("non-AF", "persistent AF", "paroxysmal AF")
_LABEL_CLASS = {"N": 0, "AFf": 1, "AFp": 2}
LEADS = ("I", "II")


@dataclass(slots=True)
class CPSC2021DataSettings:
    """Data settings (``data.*`` keys).

    Attributes:
        fs: model input rate in Hz (records are resampled from 200 Hz).
        window_s: window of the signal model in seconds.
        overlap_s: overlap of consecutive training windows in seconds.
        rr_seq_len: RR intervals per item of the RR-LSTM.
        augment: random scaling, noise and baseline wander on training windows (task main).
        split_seed: seed of the subject-disjoint split (the 5 sample subjects split into 3
            training and 2 held-out ones with the default).
    """

    fs: float = 100.0
    window_s: float = 30.0
    overlap_s: float = 15.0
    rr_seq_len: int = 60
    augment: bool = True
    split_seed: int = 3

    def __post_init__(self) -> None:
        for key in ("fs", "window_s", "overlap_s"):
            check_finite(f"data.{key}", getattr(self, key))
        if not 50 <= self.fs <= 200:
            raise ValueError(f"data.fs must lie in [50, 200] Hz, got {self.fs}")
        if not 2 <= self.window_s <= 300:
            raise ValueError(f"data.window_s must lie in [2, 300] s, got {self.window_s}")
        if not 0 <= self.overlap_s < self.window_s:
            raise ValueError(
                f"data.overlap_s must lie in [0, window_s={self.window_s}) s, got {self.overlap_s}"
            )
        if self.rr_seq_len < 4:
            raise ValueError(f"data.rr_seq_len must be >= 4 beats, got {self.rr_seq_len}")


@dataclass(slots=True)
class PostSettings:
    """Post-processing of the AF probabilities (``post.*`` keys).

    Attributes:
        threshold: AF probability above which a sample (or beat) is AF, in (0, 1).
        min_af_s: AF runs shorter than this many seconds are dropped.
        merge_gap_s: AF runs closer than this many seconds are merged.
        persistent_fraction: a record with AF over more than this fraction of its length
            becomes one episode over the whole record.
    """

    threshold: float = 0.5
    min_af_s: float = 5.0
    merge_gap_s: float = 5.0
    persistent_fraction: float = 0.95

    def __post_init__(self) -> None:
        for key in ("threshold", "min_af_s", "merge_gap_s", "persistent_fraction"):
            check_finite(f"post.{key}", getattr(self, key))
        if not 0 < self.threshold < 1:
            raise ValueError(f"post.threshold must lie in (0, 1), got {self.threshold}")
        if self.min_af_s < 0 or self.merge_gap_s < 0:
            raise ValueError("post.min_af_s and post.merge_gap_s must be >= 0 s")
        if not 0.5 < self.persistent_fraction <= 1:
            raise ValueError(
                f"post.persistent_fraction must lie in (0.5, 1], got {self.persistent_fraction}"
            )


@dataclass(slots=True)
class CPSC2021Settings(BenchmarkSettings):
    """Settings of the cpsc2021 case (``--set task=rr_lstm``...).

    Attributes:
        task: main (an ECG_CRNN tags every sample of the two leads) or rr_lstm (an RR_LSTM tags
            every beat from the RR intervals).
        data: rates, windows and the split.
        model: the ECG_CRNN (task main; rr_lstm uses model.rnn_hidden).
        post: from AF probabilities to episodes.
        train: optimisation.
    """

    epochs: int = 20
    task: Literal["main", "rr_lstm"] = "main"
    data: CPSC2021DataSettings = field(default_factory=CPSC2021DataSettings)
    model: CRNNSettings = field(default_factory=lambda: CRNNSettings(rnn="lstm", attention="none"))
    post: PostSettings = field(default_factory=PostSettings)
    train: TrainSettings = field(
        default_factory=lambda: TrainSettings(batch_size=16, train_ratio=0.6)
    )

    def validate(self) -> None:
        if self.task not in ("main", "rr_lstm"):
            raise ValueError(f"task must be main or rr_lstm, got {self.task!r}")


def check_cpsc2021_folder(path: Path) -> str | None:
    """None when ``path`` holds CPSC 2021 records (``data_<subject>_<n>.hea`` + ``.atr``)."""
    headers = sorted(path.rglob("data_*_*.hea"))
    if not headers:
        return "it holds no data_<subject>_<n>.hea record of CPSC 2021"
    if not any(h.with_suffix(".atr").is_file() for h in headers):
        return "its records have no .atr beat/rhythm annotation"
    return None


def mask_to_episodes(
    mask: npt.NDArray[np.bool_], fs: float, post: PostSettings
) -> npt.NDArray[np.int64]:
    """AF episodes ``(n, 2)`` (first and last sample, inclusive) of a per-sample mask at ``fs``.

    Runs closer than ``merge_gap_s`` are merged, runs shorter than ``min_af_s`` dropped, and a
    mask with AF over more than ``persistent_fraction`` of the record becomes ``[[0, n - 1]]``.
    """
    n = mask.size
    if n and mask.mean() > post.persistent_fraction:
        return np.array([[0, n - 1]], dtype=np.int64)
    d = np.diff(np.r_[0, mask.astype(np.int8), 0])
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1
    merged: list[list[int]] = []
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        if merged and a - merged[-1][1] <= post.merge_gap_s * fs:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    kept = [e for e in merged if (e[1] - e[0] + 1) >= post.min_af_s * fs]
    return np.asarray(kept, dtype=np.int64).reshape(-1, 2)


def _reference(reader: Any, rec: str) -> dict[str, Any]:
    """Beats, AF episodes as beat indices, class and length of ``rec`` (official inputs)."""
    ann = reader.load_ann(rec)
    beats = np.sort(np.asarray(ann.beat_samples, dtype=np.int64))
    episodes = sorted(ann.rhythms.get("AFIB", []) + ann.rhythms.get("AFL", []))
    starts, ends = [], []
    for on, off in episodes:
        inside = np.flatnonzero((beats >= on) & (beats < off))
        if inside.size:
            starts.append(int(inside[0]))
            ends.append(int(inside[-1]))
    return {
        "beats": beats,
        "af_starts": np.asarray(starts, dtype=np.int64),
        "af_ends": np.asarray(ends, dtype=np.int64),
        "class_true": _LABEL_CLASS.get(reader.get_label(rec), 0),
        "len_sig": int(reader.get_siglen(rec)),
        "fs": float(reader.get_fs(rec)),
        "af_mask": reader.af_mask(rec),
    }


class _LeadsFirst(Dataset[tuple[torch.Tensor, ...]]):
    """RR items ``(seq_len, 1)`` as ``(1, seq_len)`` (the trainer checks leads-first items)."""

    def __init__(self, base: Any) -> None:
        self.base = base

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, ...]:
        x, *rest = self.base[i]
        return (x.transpose(0, 1), *rest)


@dataclass(slots=True)
class CPSC2021Test:
    """Held-out records: the reader and the record names scored."""

    reader: Any
    records: list[str]


@torch.no_grad()
def af_mask(
    s: CPSC2021Settings,
    model: Any,
    signal: npt.NDArray[np.float32],
    fs: float,
    beats: npt.NDArray[np.int64],
) -> npt.NDArray[np.bool_]:
    """Per-sample AF decision of a whole record at its own rate ``fs``.

    Args:
        s: the settings (task, data.fs, data.window_s, post.threshold).
        model: the trained model (ECG_CRNN tagger or RR_LSTM).
        signal: ``(2, samples)`` in mV at ``fs`` (task main).
        fs: the record's sampling rate in Hz.
        beats: R peaks in samples at ``fs`` (task rr_lstm).
    """
    from ecg_data.datasets.base import PreprocCfg, apply_preproc, fix_length
    from ecg_signal import resample

    n = signal.shape[-1]
    device = next(model.parameters()).device
    model.eval()
    mask = np.zeros(n, dtype=bool)
    if s.task == "rr_lstm":
        if beats.size < 2:
            return mask
        rr = torch.from_numpy((np.diff(beats) / fs).astype(np.float32))[None, :, None]
        prob = model.inference(rr.to(device)).prob[0, :, 0]
        for k in np.flatnonzero(prob >= s.post.threshold):
            mask[beats[k] : beats[k + 1] + 1] = True
        return mask
    target = float(s.data.fs)
    x = resample(signal, fs, target).astype(np.float32) if fs != target else signal
    length = int(round(s.data.window_s * target))
    total = x.shape[-1]
    prob = np.zeros(total, dtype=np.float32)
    starts = list(range(0, max(total - length, 0) + 1, length))
    if starts[-1] + length < total:
        starts.append(total - length)
    preproc = PreprocCfg(bandpass=(0.5, 45.0))
    for a in starts:
        window, _ = fix_length(apply_preproc(x[:, a : a + length], target, preproc), length)
        out = model.inference(torch.from_numpy(window)[None].to(device)).prob
        part = out[0, :, 0][: max(0, min(length, total - a))]
        prob[a : a + part.size] = part
    pos = np.clip(np.floor(np.arange(n) * target / fs).astype(np.int64), 0, max(total - 1, 0))
    return np.asarray(prob[pos] >= s.post.threshold)


@register_benchmark
class CPSC2021Benchmark(Case[CPSC2021Settings]):
    """Paroxysmal AF detection on CPSC 2021, scored with the official CPSC2021 score."""

    name: ClassVar[str] = "cpsc2021"
    summary: ClassVar[str] = (
        "paroxysmal AF episodes (CPSC 2021), CRNN tagger or RR-LSTM, official CPSC2021 score"
    )
    settings_class = CPSC2021Settings
    database: ClassVar[str] = "cpsc2021"
    label: ClassVar[str] = "CPSC 2021"
    download_hint: ClassVar[str] = "download https://physionet.org/content/cpsc2021/1.0.0/"
    validation_metric: ClassVar[str] = "af_f1"
    item_arities: ClassVar[tuple[int, ...]] = (3,)

    def check_folder(self, path: Path) -> str | None:
        return check_cpsc2021_folder(path)

    def _dataset(self, s: CPSC2021Settings, path: Path, training: bool, **extra: Any) -> Any:
        from ecg_data.datasets.cpsc2021 import CPSC2021Dataset, CPSC2021TrainConfig

        d = s.data
        kwargs: dict[str, Any] = {
            "db_dir": str(path),
            "task": s.task,
            "fs": d.fs,
            "input_len": int(round(d.window_s * d.fs)),
            "overlap_len": int(round(d.overlap_s * d.fs)),
            "rr_seq_len": d.rr_seq_len,
            "rr_overlap": d.rr_seq_len // 2,
            "seed": d.split_seed,
            "train_ratio": s.train.train_ratio,
            **extra,
        }
        if training and d.augment and s.task == "main":
            kwargs["augment"] = dict(TRAIN_AUGMENT)
        try:
            return CPSC2021Dataset(CPSC2021TrainConfig(**kwargs), training=training)
        except (ValueError, TypeError, KeyError) as exc:
            raise BenchmarkError(f"cannot build the CPSC2021 dataset from {path}: {exc}") from exc

    def load_data(self, settings: CPSC2021Settings, source: DataSource) -> CaseData:
        s = settings
        path = source.folder()
        train_set = self._dataset(s, path, True)
        held = self._dataset(s, path, False)
        records = list(held.records)
        cap = s.train.max_records
        train_part: Any = train_set
        if cap:
            keep = set(train_set.records[:cap])
            train_part = Subset(
                train_set, [i for i, (r, _) in enumerate(train_set.segments) if r in keep]
            )
            records = records[: max(2, cap // 2)]
        if not records or len(train_part) == 0:
            raise BenchmarkError(f"too few CPSC 2021 subjects in {path} for a train/held-out split")
        val_recs, test_recs = records[0::2], records[1::2] or records[0::2]
        val_items = [i for i, (r, _) in enumerate(held.segments) if r in set(val_recs)]
        val_set: Any = Subset(held, val_items) if val_items else None
        if s.task == "rr_lstm":
            train_part = _LeadsFirst(train_part)
            val_set = _LeadsFirst(val_set) if val_set is not None else None
        description = (
            f"({s.task}) {len(train_set.records)} train records ({len(train_part)} items), "
            f"{len(val_recs)} validation, {len(test_recs)} test records from {path}"
        )
        return CaseData(train_part, val_set, CPSC2021Test(held.reader, test_recs), description)

    def build_model(self, settings: CPSC2021Settings, data: CaseData) -> torch.nn.Module:
        s = settings
        if s.task == "rr_lstm":
            from ecg_models.models.rr_lstm import RR_LSTM, RRLSTMConfig

            h = s.model.rnn_hidden
            return RR_LSTM(["af"], 1, RRLSTMConfig(hidden_sizes=[h, h // 2 or 1]))
        m = s.model
        if m.global_pool != "max":
            raise BenchmarkError("cpsc2021 tags every sample: model.global_pool is not used")
        model = build_crnn(m, ["af"], 2, s.data.fs)
        model.config.global_pool = "none"
        model.config.recover_length = True
        from ecg_models.models.crnn import ECG_CRNN

        return ECG_CRNN(["af"], 2, model.config)

    def loss(
        self, settings: CPSC2021Settings, trainer: Any, batch: tuple[torch.Tensor, ...]
    ) -> torch.Tensor:
        from ecg_train import masked_bce_with_logits

        x, y, w = batch
        logits = trainer.forward(x.transpose(1, 2) if settings.task == "rr_lstm" else x).float()
        return masked_bce_with_logits(logits, y, w)

    def validate(
        self, settings: CPSC2021Settings, model: torch.nn.Module, loader: DataLoader[Any]
    ) -> dict[str, float]:
        tp = fp = fn = 0.0
        device = next(model.parameters()).device
        for x, y, w in loader:
            x = x.transpose(1, 2) if settings.task == "rr_lstm" else x
            p = torch.sigmoid(model(x.to(device)).float()).cpu()
            pred, true, valid = p >= settings.post.threshold, y > 0.5, w > 0
            tp += float((pred & true & valid).sum())
            fp += float((pred & ~true & valid).sum())
            fn += float((~pred & true & valid).sum())
        return {"af_f1": 2 * tp / max(2 * tp + fp + fn, 1.0)}

    def eval_data(self, settings: CPSC2021Settings, source: DataSource) -> CPSC2021Test:
        from ecg_data import CPSC2021, ReaderError

        path = source.folder()
        try:
            reader = CPSC2021(path)
            return CPSC2021Test(reader, list(reader.all_records))
        except ReaderError as exc:
            raise BenchmarkError(f"cannot read the CPSC2021 records of {path}: {exc}") from exc

    def evaluate_model(
        self, settings: CPSC2021Settings, model: torch.nn.Module, test: Any
    ) -> Evaluation:
        from ecg_train.metrics.cpsc2021 import cpsc2021_record_score, cpsc2021_score

        s = settings
        if not isinstance(test, CPSC2021Test):
            raise TypeError(f"expected a CPSC2021Test, got {type(test).__name__}")
        scores, per_record, examples = [], {}, []
        confusion = np.zeros((3, 3))
        for rec in test.records:
            ref = _reference(test.reader, rec)
            signal = test.reader.load_data(rec, leads=list(LEADS))
            mask = af_mask(s, model, signal, ref["fs"], ref["beats"])
            episodes = mask_to_episodes(mask, ref["fs"], s.post)
            sc = cpsc2021_record_score(
                episodes,
                beat_loc=ref["beats"],
                af_starts=ref["af_starts"],
                af_ends=ref["af_ends"],
                class_true=ref["class_true"],
                len_sig=ref["len_sig"],
            )
            scores.append(sc)
            per_record[rec] = sc.u
            confusion[sc.class_true, sc.class_pred] += 1
            examples.append((rec, ref, mask, episodes))
        if not scores:
            raise BenchmarkError("cpsc2021: no record to evaluate")
        score = cpsc2021_score(scores)
        metrics: dict[str, Any] = {
            "cpsc2021_score": score,
            "task": s.task,
            "record_class_accuracy": float(np.trace(confusion) / max(confusion.sum(), 1)),
            "per_record_u": per_record,
            "n_test_records": len(test.records),
        }
        summary = (
            f"cpsc2021 ({s.task}): CPSC2021 score {score:.4f} on {len(test.records)} held-out "
            f"records (record class accuracy {metrics['record_class_accuracy']:.2f}; higher is "
            "better: a perfect record scores 1 + 2 x its number of AF episodes)"
        )
        return Evaluation(metrics, summary, {"confusion": confusion, "examples": examples[:3]})

    def figures(
        self, settings: CPSC2021Settings, run: RunDir, evaluation: Evaluation, data: CaseData
    ) -> None:
        plot_confusion(
            run,
            evaluation.details["confusion"],
            list(CLASS_NAMES),
            "confusion.png",
            "Record classes on the test records (non-AF / persistent / paroxysmal AF)",
        )
        _plot_examples(run, evaluation.details["examples"])

    def predict_record(self, settings: CPSC2021Settings, model: Any, record: Record) -> Prediction:
        """AF episodes of one record (its first two leads, or I and II by name); the RR-LSTM
        reads the R peaks of ecg-signal's detector."""
        from ecg_benchmarks.cases._multilabel import select_leads
        from ecg_signal.rpeaks import detect_rpeaks

        sig = (
            select_leads(record, LEADS) if record.signal.shape[0] != 2 else record.signal
        ).astype(np.float32)
        beats = np.asarray(detect_rpeaks(sig[0], record.fs), dtype=np.int64)
        mask = af_mask(settings, model, sig, record.fs, beats)
        episodes = mask_to_episodes(mask, record.fs, settings.post)
        return Prediction(
            beats={"N": beats},
            episodes={"AFIB": [(int(a), int(b)) for a, b in episodes]},
        )


def _plot_examples(run: RunDir, examples: list[Any]) -> None:
    plt = _plt()
    k = max(1, len(examples))
    fig, axes = plt.subplots(k, 1, figsize=(11, 2.2 * k), squeeze=False)
    for row, (rec, ref, mask, episodes) in enumerate(examples):
        ax = axes[row][0]
        fs = ref["fs"]
        t = np.arange(ref["len_sig"]) / fs
        ax.fill_between(t, 0.55, 1.0, where=ref["af_mask"], color="tab:red", alpha=0.5)
        ax.fill_between(t, 0.0, 0.45, where=mask, color="tab:blue", alpha=0.5)
        for a, b in episodes:
            ax.axvspan(a / fs, b / fs, ymin=0, ymax=0.45, fill=False, ec="k", lw=0.6)
        ax.set_yticks([0.22, 0.78], ["predicted AF", "true AF"], fontsize=8)
        ax.set_title(f"record {rec} ({CLASS_NAMES[ref['class_true']]})", fontsize=9)
        ax.set_xlabel("time (s)", fontsize=8)
    fig.tight_layout()
    fig.savefig(
        add_figure(run, "examples.png", "Test records: true and predicted AF episodes"),
        dpi=90,
    )
    plt.close(fig)
