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
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
import torch
from torch.utils.data import DataLoader, Dataset

from ecg_benchmarks.base import Benchmark, BenchmarkError, RunOptions
from ecg_benchmarks.cases._common import (
    TaskTrainer,
    TrainSettings,
    check_device,
    fit,
    plot_confusion,
    plot_per_class,
    resolve_data_dir,
    save_best_model,
    small_resnet,
    train_config,
)
from ecg_benchmarks.cases._cpsc2020_data import (
    BEAT_CLASSES,
    REF_FS,
    BeatWindows,
    CPSC2020Record,
    Segments,
    check_cpsc2020_folder,
    label_beats,
    load_records,
)
from ecg_benchmarks.cases._multilabel import check_crnn_fields
from ecg_benchmarks.report import add_figure
from ecg_benchmarks.runs import RunDir

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
class CPSC2020Settings:
    """Settings of the cpsc2020 case (``--set model.kind=seq_lab``, ``--set data.fs=250``...)."""

    data_dir: str | None = None
    epochs: int = 10
    device: Literal["cpu", "cuda"] = "cpu"
    seed: int = 0
    data: CPSC2020DataSettings = field(default_factory=CPSC2020DataSettings)
    model: CPSC2020ModelSettings = field(default_factory=CPSC2020ModelSettings)
    train: TrainSettings = field(default_factory=lambda: TrainSettings(batch_size=64))

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")


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


class CPSC2020Benchmark(Benchmark):
    """PVC/SPB detection on CPSC 2020 with ECG_CRNN or ECG_SEQ_LAB_NET, CPSC2020 score."""

    name: ClassVar[str] = "cpsc2020"
    summary: ClassVar[str] = (
        "PVC/SPB detection (CPSC 2020), ECG_CRNN beats or ECG_SEQ_LAB_NET tags, CPSC2020 score"
    )

    def default_settings(self) -> CPSC2020Settings:
        return CPSC2020Settings()

    def _datasets(
        self, s: CPSC2020Settings, records: list[CPSC2020Record], training: bool
    ) -> Dataset[Any]:
        d = s.data
        if s.model.kind == "crnn":
            window = int(round(d.window_s * d.fs))
            return BeatWindows(
                records,
                window,
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

    def run(self, settings: Any, run: RunDir, options: RunOptions) -> dict[str, Any]:
        s: CPSC2020Settings = settings
        check_device(s.device)
        path = resolve_data_dir(s.data_dir, "cpsc2020", "CPSC 2020", check_cpsc2020_folder, HINT)
        from ecg_data.readers.cpsc2020 import CPSC2020

        names = CPSC2020(path).all_records
        if s.data.records:
            unknown = sorted(set(s.data.records) - set(names))
            if unknown:
                raise BenchmarkError(f"data.records {unknown} are not in {path} (found {names})")
            names = [n for n in names if n in s.data.records]
        if s.train.max_records:
            names = names[: s.train.max_records]
        train_names, val_names, test_names = _split(names, s)
        loaded = load_records(path, names, s.data.fs, s.data.max_minutes, s.data.label_tolerance_s)
        load = {r.name: r for r in loaded}
        train_recs = [load[n] for n in train_names]
        val_recs = [load[n] for n in val_names]
        test_recs = [load[n] for n in test_names]
        train_set = self._datasets(s, train_recs, True)
        val_set = self._datasets(s, val_recs, False)
        test_set = self._datasets(s, test_recs, False)
        if len(train_set) == 0:  # type: ignore[arg-type]
            raise BenchmarkError(f"no training item in the records {train_names} of {path}")
        if options.progress:
            print(
                f"{self.name} ({s.model.kind}): {len(names)} records from {path}: "
                f"train {train_names}, val {val_names}, test {test_names}; "
                f"{len(train_set)} training items",  # type: ignore[arg-type]
                flush=True,
            )
        torch.manual_seed(s.seed)
        model = build_model(s.model, s.data.fs)
        kind = s.model.kind

        def loss_fn(trainer: Any, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
            out = trainer.forward(batch[0]).float()
            if kind == "crnn":
                return torch.nn.functional.cross_entropy(out, batch[1])
            return torch.nn.functional.binary_cross_entropy_with_logits(
                out, batch[1], pos_weight=torch.tensor([5.0, 5.0], device=out.device)
            )

        def eval_fn(trainer: Any, loader: DataLoader[Any]) -> dict[str, float]:
            idx, outs = _predict(trainer.model, loader, trainer.device, kind)
            s_det, v_det = detections(loader.dataset, idx, outs, s)
            scores = score_detections(val_recs, s_det, v_det)
            return {f"val_{k}": v for k, v in scores.items() if np.isfinite(v)}

        cfg = train_config(
            s.train,
            epochs=s.epochs,
            device=s.device,
            seed=s.seed,
            run=run,
            monitor="val_cpsc2020_score",
            progress=options.progress,
        )
        trainer = TaskTrainer.create(model, cfg, train_set, val_set, loss_fn, eval_fn, (3,))
        history = fit(trainer, run, options, self.name)
        model = trainer.model
        if not trainer.is_main_process:
            return {"summary": f"{self.name}: rank {trainer.rank} done"}

        loader: DataLoader[Any] = DataLoader(test_set, batch_size=s.train.batch_size)
        idx, outs = _predict(model, loader, torch.device(s.device), kind)
        s_det, v_det = detections(test_set, idx, outs, s)
        scores = score_detections(test_recs, s_det, v_det)
        confusion = _beat_confusion(test_recs, s_det, v_det, s.data.label_tolerance_s)
        _figures(run, test_recs, s_det, v_det, scores, confusion)
        model_file = save_best_model(model, run)
        best = trainer.best_epoch
        metrics: dict[str, Any] = {k: (v if np.isfinite(v) else None) for k, v in scores.items()}
        metrics.update(
            {
                "model_kind": kind,
                "best_epoch": int(best) if best is not None else len(history),
                "epochs_run": len(history),
                "train_records": train_names,
                "val_records": val_names,
                "test_records": test_names,
                "n_train_items": len(train_set),  # type: ignore[arg-type]
                "n_ref_S": int(sum(len(r.spb) for r in test_recs)),
                "n_ref_V": int(sum(len(r.pvc) for r in test_recs)),
                "beat_confusion": confusion.astype(int).tolist(),
            }
        )
        if model_file is not None:
            metrics["model_file"] = model_file
        metrics["summary"] = (
            f"{self.name} ({kind}): CPSC2020 score {scores['cpsc2020_score']:.0f} "
            f"(S {scores['s_score']:.0f}, V {scores['v_score']:.0f}; 0 is perfect) on "
            f"{len(test_recs)} test records {test_names}; {len(history)} epochs"
        )
        return metrics


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
