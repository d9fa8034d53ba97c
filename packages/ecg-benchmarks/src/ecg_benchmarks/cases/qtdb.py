"""qtdb: wave delineation on the QT Database's manual annotations, the LUDB-trained network next
to neurokit2's ``ecg_delineate`` (its ``dwt`` and ``peak`` methods).

Evaluation only (nothing is trained): the network of the ludb case (the pretrained
``delineation`` model, or the model of a ludb run folder) is applied to every QTDB record at its
250 Hz, both leads serving as context, and scored on one lead against annotator 1's second-pass
boundaries (``.q1c``). neurokit2 runs in a separate Python (``peer_python``, e.g. the
``.venv-peer`` of ``make bench``: it pins pandas < 3) on the same lead of the same segments, with
its own R peaks (``ecg_clean`` then ``ecg_peaks``).

Scoring follows the QTDB delineation literature (Martínez et al., "A wavelet-based ECG
delineator: evaluation on standard databases", IEEE TBME 51(4), 2004): per boundary (P onset,
peak, offset; QRS onset, offset; T peak, offset) sensitivity, positive predictivity and the mean
and SD of the error (ms) of the matched marks, a mark matching a reference within 150 ms
(one-to-one, :class:`ecg_train.metrics.wave_delineation.WaveDelineationMetrics`). Only the
annotated beats are scored (QTDB annotates 30 to 100 selected beats per record, skipping some
inside a run): a detection counts when it lies in the window of its wave around the QRS peak of
an annotated beat (:data:`WINDOWS_S`), the same windows for every method.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from ecg_benchmarks.base import Benchmark, BenchmarkError, BenchmarkSettings, register_benchmark
from ecg_benchmarks.runs import RunDir

__all__ = ["QTDBBenchmark", "QTDBSettings", "BOUNDARIES", "score_boundaries"]

#: Scored boundary -> (wave, mark) of the delineations.
BOUNDARIES: dict[str, tuple[str, str]] = {
    "P onset": ("p", "onset"),
    "P peak": ("p", "peak"),
    "P offset": ("p", "offset"),
    "QRS onset": ("qrs", "onset"),
    "QRS offset": ("qrs", "offset"),
    "T peak": ("t", "peak"),
    "T offset": ("t", "offset"),
}
#: neurokit2 key of each boundary.
NEUROKIT_KEYS: dict[str, str] = {
    "P onset": "ECG_P_Onsets",
    "P peak": "ECG_P_Peaks",
    "P offset": "ECG_P_Offsets",
    "QRS onset": "ECG_R_Onsets",
    "QRS offset": "ECG_R_Offsets",
    "T peak": "ECG_T_Peaks",
    "T offset": "ECG_T_Offsets",
}
_RUN_GAP_S = 1.2
#: Where a wave's marks of an annotated beat lie, s from its QRS peak: a detection outside the
#: window of its wave around every annotated beat belongs to a beat the annotator skipped.
WINDOWS_S: dict[str, tuple[float, float]] = {
    "p": (-0.5, 0.0),
    "qrs": (-0.25, 0.25),
    "t": (0.0, 0.7),
}
#: Table of the network given the scored lead alone.
SINGLE = "ours, lead alone"
Marks = dict[str, npt.NDArray[np.int64]]


@dataclass(slots=True)
class QTDBSettings(BenchmarkSettings):
    """Settings of the qtdb evaluation.

    Attributes:
        epochs: unused (nothing is trained).
        model: the pretrained model name (``delineation``) or a ludb run folder.
        lead: the scored signal (0 or 1).
        annotator: the manual boundary file (``q1c``, or ``q2c`` for the 11 records that have it).
        tolerance_ms: matching tolerance, ms.
        margin_s: signal kept before and after each run of annotated beats, s (each run is
            delineated as one segment).
        peer_python: a Python with neurokit2 (empty: ``$ECG_BENCH_PEER_PYTHON``; neither: the
            neurokit2 columns are left out).
        methods: neurokit2 delineation methods.
        max_records: score only this many records (0: all).
        single_lead: also score the network given the scored lead alone (no context lead), the
            input neurokit2 gets.
    """

    epochs: int = 1
    model: str = "delineation"
    lead: int = 0
    annotator: str = "q1c"
    tolerance_ms: float = 150.0
    margin_s: float = 4.0
    peer_python: str = ""
    methods: list[str] = field(default_factory=lambda: ["dwt", "peak"])
    max_records: int = 0
    single_lead: bool = True

    def validate(self) -> None:
        if self.lead not in (0, 1):
            raise ValueError(f"lead must be 0 or 1, got {self.lead}")
        if self.annotator not in ("q1c", "q2c"):
            raise ValueError(f"annotator must be q1c or q2c, got {self.annotator!r}")
        if not self.tolerance_ms > 0:
            raise ValueError(f"tolerance_ms must be > 0 ms, got {self.tolerance_ms}")
        if not 2.0 <= self.margin_s <= 60.0:
            raise ValueError(f"margin_s must lie in [2, 60] s, got {self.margin_s}")
        bad = [m for m in self.methods if m not in ("dwt", "peak", "cwt")]
        if bad:
            raise ValueError(f"methods {bad} unknown; allowed: dwt, peak, cwt")
        if self.max_records < 0:
            raise ValueError(f"max_records must be >= 0 (0: all), got {self.max_records}")


def _reference(waves: Any) -> Marks:
    """The scored reference marks of one record (a boundary annotated -1 is left out), and under
    ``"beats"`` the annotated beats (their QRS peak, else the middle of the annotated QRS)."""
    names = {"p": "pwave", "qrs": "qrs", "t": "twave"}
    out: Marks = {}
    for label, (wave, mark) in BOUNDARIES.items():
        v = np.asarray(getattr(waves[names[wave]], mark), dtype=np.int64)
        out[label] = v[v >= 0]
    q = waves["qrs"]
    peak, on, off = (np.asarray(getattr(q, m), dtype=np.int64) for m in ("peak", "onset", "offset"))
    mid = np.where((on >= 0) & (off >= 0), (on + off) // 2, np.maximum(on, off))
    beats = np.where(peak >= 0, peak, mid)
    out["beats"] = np.sort(beats[beats >= 0])
    return out


def _beat_windows(beats: npt.NDArray[np.int64], wave: str, fs: float) -> list[tuple[float, float]]:
    """The spans where the marks of ``wave`` of the annotated ``beats`` lie (:data:`WINDOWS_S`)."""
    a, b = WINDOWS_S[wave]
    return [(float(r) + a * fs, float(r) + b * fs) for r in beats]


def _annotated_runs(ref: Marks, fs: float, tol: float) -> list[tuple[float, float]]:
    marks = np.sort(np.concatenate([v for k, v in ref.items() if k != "beats"]))
    if marks.size == 0:
        return []
    cut = np.flatnonzero(np.diff(marks) > _RUN_GAP_S * fs)
    starts = np.r_[marks[0], marks[cut + 1]]
    stops = np.r_[marks[cut], marks[-1]]
    return [(float(a) - tol, float(b) + tol) for a, b in zip(starts, stops, strict=True)]


def _merge(runs: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for a, b in sorted(runs):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _inside(v: npt.NDArray[np.int64], runs: list[tuple[float, float]]) -> npt.NDArray[np.int64]:
    keep = np.zeros(v.size, dtype=bool)
    for a, b in runs:
        keep |= (v >= a) & (v <= b)
    return v[keep]


def score_boundaries(
    refs: list[Marks], preds: list[Marks | None], fs: float, tolerance_ms: float = 150.0
) -> dict[str, dict[str, float]]:
    """Sensitivity, PPV, F1 and error (mean, SD in ms) per boundary over records.

    Args:
        refs: per record, boundary name (:data:`BOUNDARIES`) -> reference samples, and
            ``"beats"``: the annotated beats (QRS peaks). A detection is scored only inside the
            window of its wave (:data:`WINDOWS_S`) around an annotated beat, so that the beats
            the annotator skipped count for nothing, as in the beat-by-beat evaluation of
            Martínez et al. 2004.
        preds: per record, boundary name -> detected samples; a missing name (or None) means
            the method does not give that boundary (scored as not available).
        fs: sampling rate in Hz; tolerance_ms: the matching tolerance.

    Returns:
        boundary -> ``{"sensitivity", "ppv", "f1", "mean_error_ms", "sd_error_ms", "n_ref"}``
        (NaN everywhere for a boundary the method never gives).
    """
    from ecg_train.metrics.wave_delineation import WaveDelineationMetrics

    keys = {label: label.lower().replace(" ", "_") for label in BOUNDARIES}
    metric = WaveDelineationMetrics(fs=fs, tolerance_ms=tolerance_ms, waves=tuple(keys.values()))
    r_in, p_in = [], []
    given = dict.fromkeys(BOUNDARIES, False)
    for ref, pred in zip(refs, preds, strict=True):
        if "beats" not in ref:
            raise ValueError("each reference needs its annotated beats under 'beats'")
        rr, pp = {}, {}
        for label, key in keys.items():
            r = ref[label]
            p = None if pred is None else pred.get(label)
            given[label] |= p is not None
            windows = _beat_windows(ref["beats"], BOUNDARIES[label][0], fs)
            p = _inside(np.asarray(p if p is not None else [], dtype=np.int64), windows)
            rr[key] = {"onset": r, "offset": r[:0]}
            pp[key] = {"onset": p, "offset": p[:0]}
        r_in.append(rr)
        p_in.append(pp)
    res = metric.compute(r_in, p_in)
    out: dict[str, dict[str, float]] = {}
    for label, key in keys.items():
        k = f"{key}_onset"
        n_ref = res[f"{k}_tp"] + res[f"{k}_fn"]
        if not given[label]:
            out[label] = {
                m: float("nan")
                for m in ("sensitivity", "ppv", "f1", "mean_error_ms", "sd_error_ms")
            }
            out[label]["n_ref"] = n_ref
            continue
        out[label] = {
            "sensitivity": res[f"{k}_sensitivity"],
            "ppv": res[f"{k}_ppv"],
            "f1": res[f"{k}_f1"],
            "mean_error_ms": res[f"{k}_mean_error_ms"],
            "sd_error_ms": res[f"{k}_sd_error_ms"],
            "n_ref": n_ref,
        }
    return out


def _ours_marks(waves: dict[str, dict[str, npt.NDArray[np.int64]]], offset: int) -> Marks:
    return {label: waves[w][m] + offset for label, (w, m) in BOUNDARIES.items()}


@register_benchmark
class QTDBBenchmark(Benchmark):
    """QTDB wave delineation: the LUDB-trained network next to neurokit2 (evaluation only)."""

    name: ClassVar[str] = "qtdb"
    summary: ClassVar[str] = "P/QRS/T delineation on QTDB .q1c: LUDB-trained network vs neurokit2"

    def default_settings(self) -> QTDBSettings:
        return QTDBSettings()

    def _delineator(self, s: QTDBSettings) -> Any:
        if Path(s.model).is_dir():
            from ecg_benchmarks.cases.ludb import LUDBBenchmark, LUDBSettings, delineator_from_run

            case = LUDBBenchmark()
            ls = LUDBSettings()
            model: Any = case.load_model(ls, RunDir(Path(s.model)))
            ls.data.fs = float(model.config.fs)
            return delineator_from_run(ls, model)
        from ecg_models.pretrained import PretrainedError, load_pretrained

        try:
            return load_pretrained(s.model)
        except PretrainedError as exc:
            raise BenchmarkError(
                f"model {s.model!r} is neither a run folder nor pretrained: {exc}"
            ) from exc

    def run(self, settings: Any, run: RunDir, options: Any) -> dict[str, Any]:
        from ecg_benchmarks.paths import sample_data_dir
        from ecg_data import QTDB, ReaderError

        s: QTDBSettings = settings
        path = Path(s.data_dir) if s.data_dir else sample_data_dir("qtdb")
        if path is None or not path.is_dir():
            raise BenchmarkError(f"no QTDB folder ({path}): pass --data-dir")
        try:
            reader = QTDB(path)
            records = reader.all_records
        except ReaderError as exc:
            raise BenchmarkError(str(exc)) from exc
        if s.max_records:
            records = records[: s.max_records]
        d = self._delineator(s)
        fs = reader.database_info.fs
        refs: list[Marks] = []
        ours: list[Marks | None] = []
        segments: dict[str, tuple[int, npt.NDArray[np.float64]]] = {}
        used: list[str] = []
        seg_of: dict[str, list[str]] = {}
        pieces: list[tuple[str, int, npt.NDArray[np.float64]]] = []
        for rec in records:
            if s.annotator not in reader.metadata.loc[rec, "annotators"]:
                continue
            ref = _reference(reader.load_waves(rec, s.annotator))
            runs = _annotated_runs(ref, fs, s.margin_s * fs)
            if not runs:
                continue
            siglen = reader.get_siglen(rec)
            seg_of[rec] = []
            for k, (a, b) in enumerate(_merge(runs)):
                lo, hi = max(0, int(a)), min(siglen, int(b) + 1)
                sig = reader.load_data(rec, sampfrom=lo, sampto=hi).astype(np.float64)
                name = f"{rec}:{k}"
                segments[name] = (lo, sig[s.lead])
                seg_of[rec].append(name)
                pieces.append((rec, lo, sig))
            refs.append(ref)
            used.append(rec)
        if not refs:
            raise BenchmarkError(f"no record of {path} has {s.annotator} annotations")
        peer = s.peer_python or os.environ.get("ECG_BENCH_PEER_PYTHON", "")
        with tempfile.TemporaryDirectory() as tmp:
            job = _start_neurokit(peer, segments, fs, s.methods, Path(tmp)) if peer else None
            mine: dict[str, dict[str, list[npt.NDArray[np.int64]]]] = {
                rec: {label: [] for label in BOUNDARIES} for rec in used
            }
            alone: dict[str, dict[str, list[npt.NDArray[np.int64]]]] = {
                rec: {label: [] for label in BOUNDARIES} for rec in used
            }
            for rec, lo, sig in pieces:
                for label, v in _ours_marks(d.batch(sig, fs)[s.lead], lo).items():
                    mine[rec][label].append(v)
                if s.single_lead:
                    for label, v in _ours_marks(d(sig[s.lead], fs), lo).items():
                        alone[rec][label].append(v)
            if options.progress:
                print(f"qtdb: {len(used)} records delineated by the network", flush=True)
            ours = [{k: np.concatenate(v) for k, v in mine[rec].items()} for rec in used]
            nk = _finish_neurokit(peer, job) if job is not None else {}
        tables = {"ours": score_boundaries(refs, ours, fs, s.tolerance_ms)}
        if s.single_lead:
            ours1: list[Marks | None] = [
                {k: np.concatenate(v) for k, v in alone[rec].items()} for rec in used
            ]
            tables[SINGLE] = score_boundaries(refs, ours1, fs, s.tolerance_ms)
        if peer:
            for method in s.methods:
                preds: list[Marks | None] = []
                for rec in used:
                    got: dict[str, list[npt.NDArray[np.int64]]] = {}
                    for name in seg_of[rec]:
                        res = nk.get(name, {}).get(method, {})
                        for label, key in NEUROKIT_KEYS.items():
                            if key in res:
                                v = np.asarray(res[key], dtype=np.int64) + segments[name][0]
                                got.setdefault(label, []).append(v)
                    preds.append({label: np.concatenate(v) for label, v in got.items()})
                tables[f"neurokit2 {method}"] = score_boundaries(refs, preds, fs, s.tolerance_ms)
        (run.path / "qtdb_table.md").write_text(_markdown(tables), encoding="utf-8")
        better = _ours_better(tables)
        better1 = _ours_better(tables, SINGLE) if s.single_lead else None
        f1 = tables["ours"]
        summary = (
            f"qtdb: ours F1 P on {f1['P onset']['f1']:.3f}, QRS on {f1['QRS onset']['f1']:.3f}, "
            f"T off {f1['T offset']['f1']:.3f} on {len(used)} records ({s.annotator}, lead "
            f"{s.lead}, tolerance {s.tolerance_ms:g} ms)"
            + (
                f"; better than neurokit2 on {better[0]} of {better[1]} boundary comparisons"
                + (f" ({better1[0]} of {better1[1]} on the lead alone)" if better1 else "")
                if peer
                else ""
            )
        )
        return {
            "tables": tables,
            "n_records": len(used),
            "records": used,
            "n_reference_marks": {k: v["n_ref"] for k, v in tables["ours"].items()},
            "summary": summary,
        }


def _ours_better(
    tables: dict[str, dict[str, dict[str, float]]], mine: str = "ours"
) -> tuple[int, int]:
    """(wins, comparisons) of the network's table ``mine`` against each neurokit2 method: it
    wins a boundary when its F1 is higher, or equal with a smaller |mean| + SD error; a boundary
    the method does not give is a win."""
    wins = total = 0
    ours = tables[mine]
    for name, table in tables.items():
        if not name.startswith("neurokit2"):
            continue
        for label, row in table.items():
            total += 1
            o = ours[label]
            if (
                not np.isfinite(row["f1"])
                or o["f1"] > row["f1"]
                or (
                    o["f1"] == row["f1"]
                    and abs(o["mean_error_ms"]) + o["sd_error_ms"]
                    < abs(row["mean_error_ms"]) + row["sd_error_ms"]
                )
            ):
                wins += 1
    return wins, total


def _markdown(tables: dict[str, dict[str, dict[str, float]]]) -> str:
    lines = [
        "| boundary | method | Se | PPV | F1 | error mean ± SD (ms) |",
        "|---|---|---|---|---|---|",
    ]
    labels = list(BOUNDARIES)
    for label in labels:
        for name, table in tables.items():
            r = table[label]
            if not np.isfinite(r["f1"]):
                lines.append(f"| {label} | {name} | — | — | — | — |")
                continue
            lines.append(
                f"| {label} | {name} | {r['sensitivity']:.3f} | {r['ppv']:.3f} | {r['f1']:.3f} | "
                f"{r['mean_error_ms']:.1f} ± {r['sd_error_ms']:.1f} |"
            )
    return "\n".join(lines) + "\n"


def _start_neurokit(
    peer: str,
    segments: dict[str, tuple[int, npt.NDArray[np.float64]]],
    fs: float,
    methods: list[str],
    tmp: Path,
) -> tuple[subprocess.Popen[str], Path]:
    """Start neurokit2's delineation of each segment in ``peer`` (see ``_neurokit_peer``)."""
    script = Path(__file__).with_name("_neurokit_peer.py")
    files = {}
    for name, (_, x) in segments.items():
        f = tmp / f"{name.replace(':', '_')}.npy"
        np.save(f, x)
        files[name] = str(f)
    job = tmp / "job.json"
    out = tmp / "out.json"
    job.write_text(json.dumps({"fs": fs, "methods": methods, "signals": files}))
    try:
        proc = subprocess.Popen(
            [peer, str(script), str(job), str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    except OSError as exc:
        raise BenchmarkError(f"cannot run the peer Python {peer!r}: {exc}") from exc
    return proc, out


def _finish_neurokit(peer: str, job: tuple[subprocess.Popen[str], Path]) -> dict[str, Any]:
    proc, out = job
    stdout, stderr = proc.communicate()
    if proc.returncode != 0 or not out.is_file():
        tail = (stderr or stdout).strip().splitlines()[-3:]
        raise BenchmarkError(f"neurokit2 in {peer} failed: {' | '.join(tail)}")
    result: dict[str, Any] = json.loads(out.read_text())
    print(f"qtdb: neurokit2 ran in {peer}", file=sys.stderr, flush=True)
    return result
