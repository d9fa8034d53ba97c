"""cpsc2020: premature ventricular (PVC, V) and supraventricular (SPB, S) beat detection.

The 3rd China Physiological Signal Challenge 2020 (Cai et al., "An Open-Access Long-Term Wearable
ECG Database for Premature Ventricular Contractions and Supraventricular Premature Beat
Detection", J. Med. Imaging Health Inform. 10(11), 2020): 10 single-lead Holter records of about
24 h at 400 Hz with the reference positions of the S and V beats. The score is the official
CPSC2020 score (ecg-train's ``cpsc2020_score``): per record and beat type, -1 per false positive
and -5 per missed beat within 0.15 s; 0 is perfect, more negative is worse.

Two models (``model.kind``), both trained with ecg-train's ``BaseTrainer`` on a record-disjoint
split (the held-out records alternate between validation and test):

- ``crnn``: an ECG_CRNN classifies beat-centred windows as N, S or V (softmax, cross-entropy);
  beats are the R peaks of ecg-signal's classic detector, so a premature beat it misses is a
  false negative;
- ``seq_lab``: an ECG_SEQ_LAB_NET tags every sample of 10-s segments as near an S and/or V beat
  (sigmoid, binary cross-entropy); each run of tagged samples is one detection at its centre.

There are no CPSC 2020 sample records: pass ``--data-dir`` (the folder holding ``data/A01.mat``
and ``ref/R01.mat``...). ``data.max_minutes`` keeps only the first minutes of each record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
import torch
from torch.utils.data import DataLoader, Dataset

from ecg_benchmarks.base import BenchmarkError, BenchmarkSettings, check_finite, register_benchmark
from ecg_benchmarks.cases._common import plot_confusion, plot_per_class, small_resnet
from ecg_benchmarks.cases._cpsc2020_data import (
    BEAT_CLASSES,
    REF_FS,
    BeatWindows,
    CPSC2020Record,
    Segments,
    check_cpsc2020_folder,
    label_beats,
    load_records,
    preprocess,
)
from ecg_benchmarks.cases._multilabel import check_crnn_fields
from ecg_benchmarks.predictions import Prediction, Record
from ecg_benchmarks.report import add_figure
from ecg_benchmarks.runs import RunDir
from ecg_benchmarks.template import Case, CaseData, DataSource, Evaluation, TrainSettings

__all__ = [
    "CPSC2020Benchmark",
    "CPSC2020Settings",
    "CPSC2020DataSettings",
    "CPSC2020ModelSettings",
    "runs_to_positions",
    "detections",
    "score_detections",
    "build_model",
    "check_cpsc2020_folder",
]

HINT = "download the CPSC 2020 training set (http://2020.icbeb.org/CSPC2020)"


@dataclass(slots=True)
class CPSC2020DataSettings:
    """Data settings (``data.*`` keys).

    Attributes:
        fs: model rate in Hz (records are resampled from 400 Hz).
        window_s: beat window of ``crnn`` in seconds (centred on the R peak).
        segment_s: segment length of ``seq_lab`` in seconds.
        max_minutes: keep the first minutes of each record (0: whole records).
        max_normal_per_record: N beats per training record for ``crnn`` (0: all).
        max_plain_segments: segments without premature beats per training record (0: all).
        label_tolerance_s: largest distance in s between a detected beat and its reference.
        tag_half_width_s: half width in s of the tagged zone around a reference beat (seq_lab).
        records: record names to use (empty: all).
    """

    fs: float = 200.0
    window_s: float = 1.28
    segment_s: float = 10.0
    max_minutes: float = 0.0
    max_normal_per_record: int = 4000
    max_plain_segments: int = 300
    label_tolerance_s: float = 0.1
    tag_half_width_s: float = 0.05
    records: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for key in ("fs", "window_s", "segment_s", "max_minutes"):
            check_finite(f"data.{key}", getattr(self, key))
        for key in ("label_tolerance_s", "tag_half_width_s"):
            check_finite(f"data.{key}", getattr(self, key))
        if not 50 <= self.fs <= REF_FS:
            raise ValueError(f"data.fs must lie in [50, 400] Hz, got {self.fs}")
        if not 0.3 <= self.window_s <= 5:
            raise ValueError(f"data.window_s must lie in [0.3, 5] s, got {self.window_s}")
        if not 1 <= self.segment_s <= 60:
            raise ValueError(f"data.segment_s must lie in [1, 60] s, got {self.segment_s}")
        if self.max_minutes < 0:
            raise ValueError(f"data.max_minutes must be >= 0 min (0: all), got {self.max_minutes}")
        for key in ("max_normal_per_record", "max_plain_segments"):
            if getattr(self, key) < 0:
                raise ValueError(f"data.{key} must be >= 0 (0: all), got {getattr(self, key)}")
        if not 0 < self.label_tolerance_s <= 0.15:
            raise ValueError(
                f"data.label_tolerance_s must lie in (0, 0.15] s, got {self.label_tolerance_s}"
            )
        if not 0 < self.tag_half_width_s <= 0.15:
            raise ValueError(
                f"data.tag_half_width_s must lie in (0, 0.15] s, got {self.tag_half_width_s}"
            )


@dataclass(slots=True)
class CPSC2020ModelSettings:
    """Model settings (``model.*`` keys).

    Attributes:
        kind: ``crnn`` (beat classification) or ``seq_lab`` (sequence tagging).
        width: filters of the first stage of the small ResNet backbone.
        rnn: recurrent layer after the backbone (``seq_lab`` uses a bidirectional one).
        rnn_hidden: units of the recurrent layer.
        dropout: dropout of the head.
        threshold: probability threshold of ``seq_lab`` tags.
    """

    kind: Literal["crnn", "seq_lab"] = "crnn"
    width: int = 16
    rnn: Literal["none", "lstm", "gru"] = "none"
    rnn_hidden: int = 32
    dropout: float = 0.2
    threshold: float = 0.5

    def __post_init__(self) -> None:
        if self.kind not in ("crnn", "seq_lab"):
            raise ValueError(f"model.kind must be 'crnn' or 'seq_lab', got {self.kind!r}")
        check_crnn_fields(self.width, self.rnn_hidden, self.dropout, self.threshold)


@dataclass(slots=True)
class CPSC2020Settings(BenchmarkSettings):
    """Settings of the cpsc2020 case (``--set model.kind=seq_lab``, ``--set data.fs=250``...).

    Attributes:
        data: rates, windows, record selection and labelling tolerances.
        model: crnn (beat classification) or seq_lab (sequence tagging) and its size.
        train: optimisation (``train.train_ratio`` of the records train, the rest alternate
            between validation and test).
    """

    data: CPSC2020DataSettings = field(default_factory=CPSC2020DataSettings)
    model: CPSC2020ModelSettings = field(default_factory=CPSC2020ModelSettings)
    train: TrainSettings = field(default_factory=lambda: TrainSettings(batch_size=64))


# ---------------------------------------------------------------- model and detections


def build_model(m: CPSC2020ModelSettings, fs: float) -> Any:
    """ECG_CRNN (N/S/V beat classes) or ECG_SEQ_LAB_NET (S/V tags), single lead."""
    from ecg_models.models.crnn import ECG_CRNN, CRNNConfig
    from ecg_models.models.seq_lab_net import ECG_SEQ_LAB_NET, SeqLabNetConfig

    cfg: Any = CRNNConfig(fs=fs) if m.kind == "crnn" else SeqLabNetConfig(fs=fs)
    cfg.cnn.add("small", small_resnet(m.width, 3))
    cfg.cnn.name = "small"
    cfg.head.dropout = m.dropout
    if m.kind == "crnn":
        cfg.rnn.name = m.rnn
        cfg.rnn.hidden_size = m.rnn_hidden
        cfg.attn.name = "se"
        cfg.multilabel = False
        return ECG_CRNN(list(BEAT_CLASSES), 1, cfg)
    cfg.rnn.name = "lstm" if m.rnn == "none" else m.rnn
    cfg.rnn.hidden_size = m.rnn_hidden
    cfg.multilabel = True
    cfg.threshold = m.threshold
    return ECG_SEQ_LAB_NET(["S", "V"], 1, cfg)


def runs_to_positions(
    mask: npt.NDArray[np.bool_], min_len: int = 1, merge_gap: int = 0
) -> npt.NDArray[np.int64]:
    """Centres of the runs of True in ``mask`` at least ``min_len`` samples long; runs separated
    by at most ``merge_gap`` False samples are first merged into one (one beat, one detection)."""
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(m.astype(np.int8)))
    starts, ends = edges[0::2], edges[1::2]
    if merge_gap > 0 and len(starts) > 1:
        join = (starts[1:] - ends[:-1]) <= merge_gap
        starts = np.concatenate([starts[:1], starts[1:][~join]])
        ends = np.concatenate([ends[:-1][~join], ends[-1:]])
    keep = (ends - starts) >= min_len
    return ((starts[keep] + ends[keep] - 1) // 2).astype(np.int64)


def _to_ref(pos: npt.NDArray[np.int64], fs: float) -> npt.NDArray[np.int64]:
    return np.round(np.asarray(pos, dtype=np.float64) * REF_FS / fs).astype(np.int64)


def detections(
    dataset: Dataset[Any],
    index: npt.NDArray[np.int64],
    outputs: npt.NDArray[np.float32],
    settings: CPSC2020Settings,
) -> tuple[list[npt.NDArray[np.int64]], list[npt.NDArray[np.int64]]]:
    """S and V detections per record (samples at 400 Hz) from the outputs of items ``index``."""
    n_rec = len(dataset.records)  # type: ignore[attr-defined]
    fs = settings.data.fs
    s_out: list[npt.NDArray[np.int64]] = []
    v_out: list[npt.NDArray[np.int64]] = []
    if isinstance(dataset, BeatWindows):
        cls = outputs.argmax(axis=1)
        rec = dataset.rec_idx[index]
        pos = dataset.positions[index]
        for r in range(n_rec):
            sel = rec == r
            s_out.append(np.sort(_to_ref(pos[sel & (cls == 1)], fs)))
            v_out.append(np.sort(_to_ref(pos[sel & (cls == 2)], fs)))
        return s_out, v_out
    if not isinstance(dataset, Segments):
        raise TypeError(f"expected BeatWindows or Segments, got {type(dataset).__name__}")
    length = dataset.length
    min_len = max(1, int(round(0.02 * fs)))
    gap = int(round(0.15 * fs))  # runs of one beat split by a dip of the tag probability
    thr = settings.model.threshold
    tags = [np.zeros((len(r.signal), 2), dtype=bool) for r in dataset.records]
    for k, i in enumerate(index):
        r, s = dataset.items[int(i)]
        n = len(dataset.records[r].signal)
        part = outputs[k][: max(0, min(length, n - s))] >= thr
        tags[r][s : s + len(part)] = part
    for t in tags:
        s_out.append(_to_ref(runs_to_positions(t[:, 0], min_len, gap), fs))
        v_out.append(_to_ref(runs_to_positions(t[:, 1], min_len, gap), fs))
    return s_out, v_out


def score_detections(
    records: list[CPSC2020Record],
    s_det: list[npt.NDArray[np.int64]],
    v_det: list[npt.NDArray[np.int64]],
) -> dict[str, float]:
    """The official CPSC2020 score (``cpsc2020_score``: S, V and their sum) of the detections
    (samples at 400 Hz, one array per record), with the sensitivity and PPV of S and V."""
    from ecg_train.metrics.cpsc2020 import cpsc2020_record_counts, cpsc2020_score

    s, v = cpsc2020_score(
        [r.spb for r in records], [r.pvc for r in records], s_det, v_det, fs=REF_FS
    )
    out = {"cpsc2020_score": float(s + v), "s_score": float(s), "v_score": float(v)}
    for name, refs, dets in (("S", "spb", s_det), ("V", "pvc", v_det)):
        tp = fp = fn = 0
        for r, d in zip(records, dets, strict=True):
            c = cpsc2020_record_counts(getattr(r, refs), d, REF_FS)
            tp, fp, fn = tp + c.tp, fp + c.fp, fn + c.fn
        out[f"{name}_sensitivity"] = tp / (tp + fn) if tp + fn else float("nan")
        out[f"{name}_ppv"] = tp / (tp + fp) if tp + fp else float("nan")
    return out


@torch.no_grad()
def _predict(
    model: torch.nn.Module, loader: DataLoader[Any], device: torch.device, kind: str
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    model.eval()
    idx, outs = [], []
    for batch in loader:
        y = model(batch[0].to(device)).float()
        y = torch.softmax(y, dim=-1) if kind == "crnn" else torch.sigmoid(y)
        outs.append(y.cpu().numpy())
        idx.append(batch[2].numpy())
    if not outs:
        return np.zeros(0, np.int64), np.zeros((0, 3), np.float32)
    return np.concatenate(idx).astype(np.int64), np.concatenate(outs).astype(np.float32)


# ---------------------------------------------------------------- the case


def _split(names: list[str], s: CPSC2020Settings) -> tuple[list[str], list[str], list[str]]:
    n = len(names)
    if n < 2:
        raise BenchmarkError(
            f"cpsc2020 needs at least 2 records (training and held-out), found {n}: {names}"
        )
    order = np.random.default_rng(s.seed).permutation(n)
    n_train = max(1, min(n - 1, int(round(n * s.train.train_ratio))))
    train = sorted(names[i] for i in order[:n_train])
    held = sorted(names[i] for i in order[n_train:])
    if len(held) == 1:
        return train, held, held
    return train, held[0::2], held[1::2]


def _items(s: CPSC2020Settings, records: list[CPSC2020Record], training: bool) -> Dataset[Any]:
    """Beat windows (crnn) or segments (seq_lab) of ``records``."""
    d = s.data
    if s.model.kind == "crnn":
        return BeatWindows(
            records,
            int(round(d.window_s * d.fs)),
            training=training,
            max_normal=d.max_normal_per_record,
            seed=s.seed,
        )
    return Segments(
        records,
        int(round(d.segment_s * d.fs)),
        max(1, int(round(d.tag_half_width_s * d.fs))),
        training=training,
        max_plain=d.max_plain_segments,
        seed=s.seed,
    )


@register_benchmark
class CPSC2020Benchmark(Case[CPSC2020Settings]):
    """PVC/SPB detection on CPSC 2020 with ECG_CRNN or ECG_SEQ_LAB_NET, CPSC2020 score."""

    name: ClassVar[str] = "cpsc2020"
    summary: ClassVar[str] = (
        "PVC/SPB detection (CPSC 2020), ECG_CRNN beats or ECG_SEQ_LAB_NET tags, CPSC2020 score"
    )
    settings_class = CPSC2020Settings
    database: ClassVar[str] = "cpsc2020"
    label: ClassVar[str] = "CPSC 2020"
    download_hint: ClassVar[str] = HINT
    validation_metric: ClassVar[str] = "cpsc2020_score"
    item_arities: ClassVar[tuple[int, ...]] = (3,)

    def check_folder(self, path: Path) -> str | None:
        return check_cpsc2020_folder(path)

    @staticmethod
    def _names(s: CPSC2020Settings, path: Path) -> list[str]:
        from ecg_data.readers.base import ReaderError
        from ecg_data.readers.cpsc2020 import CPSC2020

        try:
            names = list(CPSC2020(path).all_records)
        except (ReaderError, ValueError) as exc:
            raise BenchmarkError(f"cannot read CPSC 2020 records in {path}: {exc}") from exc
        if s.data.records:
            unknown = sorted(set(s.data.records) - set(names))
            if unknown:
                raise BenchmarkError(f"data.records {unknown} are not in {path} (found {names})")
            names = [n for n in names if n in s.data.records]
        return names

    def load_data(self, settings: CPSC2020Settings, source: DataSource) -> CaseData:
        s = settings
        path = source.folder()
        names = self._names(s, path)
        if s.train.max_records:
            names = names[: s.train.max_records]
        train_names, val_names, test_names = _split(names, s)
        d = s.data
        loaded = {
            r.name: r for r in load_records(path, names, d.fs, d.max_minutes, d.label_tolerance_s)
        }
        train_set = _items(s, [loaded[n] for n in train_names], True)
        val_set = _items(s, [loaded[n] for n in val_names], False)
        test_set = _items(s, [loaded[n] for n in test_names], False)
        if len(train_set) == 0:  # type: ignore[arg-type]
            raise BenchmarkError(f"no training item in the records {train_names} of {path}")
        description = (
            f"({s.model.kind}) {len(names)} records from {path}: train {train_names}, val "
            f"{val_names}, test {test_names}; {len(train_set)} training items"  # type: ignore[arg-type]
        )
        split = {
            "train_records": train_names,
            "val_records": val_names,
            "test_records": test_names,
            "n_train_items": len(train_set),  # type: ignore[arg-type]
        }
        return CaseData(train_set, val_set, test_set, description, metrics=split)

    def build_model(self, settings: CPSC2020Settings, data: CaseData) -> torch.nn.Module:
        model: torch.nn.Module = build_model(settings.model, settings.data.fs)
        return model

    def loss(
        self, settings: CPSC2020Settings, trainer: Any, batch: tuple[torch.Tensor, ...]
    ) -> torch.Tensor:
        from ecg_train import masked_bce_with_logits, weighted_cross_entropy

        out = trainer.forward(batch[0]).float()
        if settings.model.kind == "crnn":
            return weighted_cross_entropy(out, batch[1])
        pos_weight = torch.tensor([5.0, 5.0], device=out.device)
        return masked_bce_with_logits(out, batch[1], torch.ones_like(out), pos_weight=pos_weight)

    def validate(
        self, settings: CPSC2020Settings, model: torch.nn.Module, loader: DataLoader[Any]
    ) -> dict[str, float]:
        device = next(model.parameters()).device
        idx, outs = _predict(model, loader, device, settings.model.kind)
        s_det, v_det = detections(loader.dataset, idx, outs, settings)
        scores = score_detections(loader.dataset.records, s_det, v_det)  # type: ignore[attr-defined]
        return {k: v for k, v in scores.items() if np.isfinite(v)}

    def eval_data(self, settings: CPSC2020Settings, source: DataSource) -> Dataset[Any]:
        path = source.folder()
        d = settings.data
        names = self._names(settings, path)
        records = load_records(path, names, d.fs, d.max_minutes, d.label_tolerance_s)
        return _items(settings, records, False)

    def evaluate_model(
        self, settings: CPSC2020Settings, model: torch.nn.Module, test: Any
    ) -> Evaluation:
        s = settings
        loader: DataLoader[Any] = DataLoader(test, batch_size=s.train.batch_size)
        idx, outs = _predict(model, loader, next(model.parameters()).device, s.model.kind)
        records: list[CPSC2020Record] = list(test.records)
        s_det, v_det = detections(test, idx, outs, s)
        scores = score_detections(records, s_det, v_det)
        confusion = _beat_confusion(records, s_det, v_det, s.data.label_tolerance_s)
        names = [r.name for r in records]
        metrics: dict[str, Any] = {k: (v if np.isfinite(v) else None) for k, v in scores.items()}
        metrics.update(
            {
                "model_kind": s.model.kind,
                "test_records": names,
                "n_ref_S": int(sum(len(r.spb) for r in records)),
                "n_ref_V": int(sum(len(r.pvc) for r in records)),
                "beat_confusion": confusion.astype(int).tolist(),
            }
        )
        summary = (
            f"{self.name} ({s.model.kind}): CPSC2020 score {scores['cpsc2020_score']:.0f} "
            f"(S {scores['s_score']:.0f}, V {scores['v_score']:.0f}; 0 is perfect) on "
            f"{len(records)} test records {names}"
        )
        details = {"records": records, "s": s_det, "v": v_det, "scores": scores, "cm": confusion}
        return Evaluation(metrics, summary, details)

    def figures(
        self, settings: CPSC2020Settings, run: RunDir, evaluation: Evaluation, data: CaseData
    ) -> None:
        d = evaluation.details
        _figures(run, d["records"], d["s"], d["v"], d["scores"], d["cm"])

    def predict_record(self, settings: CPSC2020Settings, model: Any, record: Record) -> Prediction:
        """S and V beats of one record (its first lead) at the record's rate; the other beats
        of ecg-signal's detector are N (crnn)."""
        from ecg_signal.rpeaks import detect_rpeaks

        s = settings
        fs = s.data.fs
        sig = preprocess(record.signal[0], record.fs, fs)
        beats = np.asarray(detect_rpeaks(sig, fs), dtype=np.int64)
        empty = np.zeros(0, dtype=np.int64)
        rec = CPSC2020Record(record.name, sig, fs, empty, empty, beats, np.zeros_like(beats))
        items = _items(s, [rec], False)
        loader: DataLoader[Any] = DataLoader(items, batch_size=s.train.batch_size)
        idx, outs = _predict(model, loader, next(model.parameters()).device, s.model.kind)
        s_det, v_det = detections(items, idx, outs, s)

        def at_record(pos: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
            return np.round(pos * record.fs / REF_FS).astype(np.int64)

        out = {"S": at_record(s_det[0]), "V": at_record(v_det[0])}
        if s.model.kind == "crnn":
            premature = set(np.round(np.r_[s_det[0], v_det[0]] * fs / REF_FS).astype(int).tolist())
            normal = np.array([b for b in beats.tolist() if b not in premature], dtype=np.int64)
            out["N"] = np.round(normal * record.fs / fs).astype(np.int64)
        return Prediction(beats=out)


def _beat_confusion(
    records: list[CPSC2020Record],
    s_det: list[npt.NDArray[np.int64]],
    v_det: list[npt.NDArray[np.int64]],
    tolerance_s: float,
) -> npt.NDArray[np.float64]:
    """3x3 counts of the detected beats: reference class (row) against predicted (column)."""
    m = np.zeros((3, 3))
    for r, sd, vd in zip(records, s_det, v_det, strict=True):
        k = r.fs / REF_FS
        pred = label_beats(
            r.beats,
            np.round(sd * k).astype(np.int64),
            np.round(vd * k).astype(np.int64),
            tolerance_s * r.fs,
        )
        np.add.at(m, (r.labels, pred), 1)
    return m


def _figures(
    run: RunDir,
    records: list[CPSC2020Record],
    s_det: list[npt.NDArray[np.int64]],
    v_det: list[npt.NDArray[np.int64]],
    scores: dict[str, float],
    confusion: npt.NDArray[np.float64],
) -> None:
    from ecg_benchmarks.cases._common import _plt

    plot_confusion(
        run,
        confusion,
        list(BEAT_CLASSES),
        "confusion.png",
        "Detected beats of the test records: reference class (row) against predicted (column)",
    )
    plot_per_class(
        run,
        {
            "sensitivity": {c: scores[f"{c}_sensitivity"] for c in ("S", "V")},
            "PPV": {c: scores[f"{c}_ppv"] for c in ("S", "V")},
        },
        "per_class.png",
        "Sensitivity and positive predictive value of S and V detections (0.15 s tolerance)",
    )
    plt = _plt()
    k = min(3, len(records))
    fig, axes = plt.subplots(k, 1, figsize=(11, 2.4 * k), squeeze=False)
    for row in range(k):
        r = records[row]
        refs = np.sort(np.concatenate([r.spb, r.pvc]))
        centre = int(refs[0] * r.fs / REF_FS) if len(refs) else len(r.signal) // 2
        a = max(0, centre - int(5 * r.fs))
        b = min(len(r.signal), a + int(10 * r.fs))
        ax = axes[row][0]
        t = np.arange(a, b) / r.fs
        ax.plot(t, r.signal[a:b], lw=0.6, color="k")
        top, bottom = float(r.signal[a:b].max(initial=1.0)), float(r.signal[a:b].min(initial=-1))
        for pos, y, mark, label in (
            (r.spb, top, "v", "S ref"),
            (r.pvc, top, "s", "V ref"),
            (s_det[row], bottom, "^", "S pred"),
            (v_det[row], bottom, "D", "V pred"),
        ):
            sel = pos[(pos * r.fs / REF_FS >= a) & (pos * r.fs / REF_FS < b)] / REF_FS
            ax.plot(sel, np.full(len(sel), y), mark, ms=5, label=label, ls="none")
        ax.set_title(f"{r.name}: references (top) and detections (bottom)", fontsize=8)
        ax.set_xlabel("time (s)", fontsize=8)
        ax.legend(fontsize=7, loc="upper right", ncol=4)
    fig.tight_layout()
    fig.savefig(
        add_figure(run, "examples.png", "Test records: reference and detected S/V beats"), dpi=90
    )
    plt.close(fig)
