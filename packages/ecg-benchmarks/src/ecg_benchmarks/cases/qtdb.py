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

A second table (``best_beat``) scores every method on both leads with the "best beat" protocol
of the same literature (:mod:`ecg_benchmarks.cases._qtdb_scoring`): QTDB's annotators marked
each beat looking at both leads, and each beat keeps the lead whose mark is nearest the manual
one. The network (both leads as context, and each lead alone) and neurokit2 (each lead alone)
are delineated on both leads of the same segments.
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
from ecg_benchmarks.cases._qtdb_scoring import (
    BOUNDARIES,
    WINDOWS_S,
    best_beat_scores,
    score_best_beat,
    score_boundaries,
)
from ecg_benchmarks.runs import RunDir

__all__ = [
    "BOUNDARIES",
    "WINDOWS_S",
    "QTDBBenchmark",
    "QTDBSettings",
    "score_best_beat",
    "score_boundaries",
]

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
        best_beat: also delineate both leads with every method and score them with the best
            beat protocol (a second table; neurokit2 then runs on twice the signal).
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
    best_beat: bool = True

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
        leads = (0, 1) if s.best_beat else (s.lead,)
        refs: list[Marks] = []
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
                if sig.shape[0] <= max(leads):
                    raise BenchmarkError(
                        f"{rec} has {sig.shape[0]} lead(s); lead {max(leads)} is needed"
                        + (" (best_beat scores leads 0 and 1)" if s.best_beat else "")
                    )
                name = f"{rec}:{k}"
                for lead in leads:
                    segments[f"{name}:{lead}"] = (lo, sig[lead])
                seg_of[rec].append(name)
                pieces.append((rec, lo, sig))
            refs.append(ref)
            used.append(rec)
        if not refs:
            raise BenchmarkError(f"no record of {path} has {s.annotator} annotations")
        peer = s.peer_python or os.environ.get("ECG_BENCH_PEER_PYTHON", "")
        names = ["ours"] + ([SINGLE] if s.single_lead else [])
        names += [f"neurokit2 {m}" for m in s.methods] if peer else []
        got: _Got = {}
        with tempfile.TemporaryDirectory() as tmp:
            job = _start_neurokit(peer, segments, fs, s.methods, Path(tmp)) if peer else None
            for rec, lo, sig in pieces:
                both = d.batch(sig, fs)
                for lead in leads:
                    _add(got, "ours", rec, lead, _ours_marks(both[lead], lo))
                    if s.single_lead:
                        _add(got, SINGLE, rec, lead, _ours_marks(d(sig[lead], fs), lo))
            if options.progress:
                print(f"qtdb: {len(used)} records delineated by the network", flush=True)
            nk = _finish_neurokit(peer, job) if job is not None else {}
        for method in s.methods if peer else []:
            for rec in used:
                for seg in (f"{name}:{lead}" for name in seg_of[rec] for lead in leads):
                    res = nk.get(seg, {}).get(method, {})
                    marks = {
                        label: np.asarray(res[key], dtype=np.int64) + segments[seg][0]
                        for label, key in NEUROKIT_KEYS.items()
                        if key in res
                    }
                    _add(got, f"neurokit2 {method}", rec, int(seg.rsplit(":", 1)[1]), marks)
        tol = s.tolerance_ms
        tables = {
            m: score_boundaries(refs, [_marks(got, m, r, s.lead) for r in used], fs, tol)
            for m in names
        }
        bb: dict[str, dict[str, dict[str, float]]] = {}
        if s.best_beat:
            both_leads = {m: [[_marks(got, m, r, k) for k in (0, 1)] for r in used] for m in names}
            bb = {m: score_best_beat(refs, both_leads[m], fs, tol) for m in names}
            per_record = _per_record(refs, used, both_leads, s.lead, fs, tol)
            (run.path / "qtdb_per_record.json").write_text(
                json.dumps(per_record, indent=1), encoding="utf-8"
            )
            (run.path / "qtdb_table_best_beat.md").write_text(_markdown(bb), encoding="utf-8")
        (run.path / "qtdb_table.md").write_text(_markdown(tables), encoding="utf-8")
        better = {
            "tables": {m: list(_ours_better(tables, m)) for m in names[: 1 + s.single_lead]},
            "tables_best_beat": {m: list(_ours_better(bb, m)) for m in names[: 1 + s.single_lead]}
            if s.best_beat
            else {},
        }
        summary = _summary(s, tables, bb, len(used), better if peer else None)
        return {
            "tables": tables,
            "tables_best_beat": bb,
            "protocols": {
                "tables": f"lead {s.lead}: every mark of lead {s.lead} against the manual marks",
                "tables_best_beat": "best beat: per annotated beat and boundary, the outcome "
                "of the better of leads 0 and 1 (a match with the smaller |error|; without a "
                "match, fewer false positives; a tie: lead 0)",
            },
            "ours_better": better if peer else {},
            "n_records": len(used),
            "records": used,
            "n_reference_marks": {k: v["n_ref"] for k, v in tables["ours"].items()},
            "summary": summary,
        }


_Got = dict[str, dict[str, dict[int, dict[str, list[npt.NDArray[np.int64]]]]]]


def _add(got: _Got, method: str, rec: str, lead: int, marks: Marks) -> None:
    """Append one segment's marks of ``method`` on ``lead`` of ``rec`` to ``got``."""
    per = got.setdefault(method, {}).setdefault(rec, {}).setdefault(lead, {})
    for label, v in marks.items():
        per.setdefault(label, []).append(v)


def _marks(got: _Got, method: str, rec: str, lead: int) -> Marks:
    """The marks of ``method`` on ``lead`` of ``rec`` (a boundary it never gave is absent)."""
    per = got.get(method, {}).get(rec, {}).get(lead, {})
    return {label: np.concatenate(v) for label, v in per.items()}


def _per_record(
    refs: list[Marks],
    used: list[str],
    both_leads: dict[str, list[list[Marks]]],
    lead: int,
    fs: float,
    tol: float,
) -> dict[str, dict[str, dict[str, dict[str, int]]]]:
    """Per method, record and boundary: TP/FN/FP on ``lead`` and with the best beat, and how
    many beats kept lead 1 (the breakdown behind the two tables)."""
    out: dict[str, dict[str, dict[str, dict[str, int]]]] = {}
    for m, preds in both_leads.items():
        out[m] = {}
        for rec, ref, pred in zip(used, refs, preds, strict=True):
            one = best_beat_scores(ref, [pred[lead]], fs, tol)
            two = best_beat_scores(ref, pred, fs, tol)
            row: dict[str, dict[str, int]] = {}
            for label in BOUNDARIES:
                a, b = one[label], two[label]
                if a is None or b is None:
                    continue
                row[label] = {
                    "tp": int(a[0].tp.sum()),
                    "fn": int(a[0].fn.sum()),
                    "fp": int(a[0].fp.sum()),
                    "bb_tp": int(b[0].tp.sum()),
                    "bb_fn": int(b[0].fn.sum()),
                    "bb_fp": int(b[0].fp.sum()),
                    "bb_lead1_beats": int(b[1].sum()),
                }
            out[m][rec] = row
    return out


def _summary(
    s: QTDBSettings,
    tables: dict[str, dict[str, dict[str, float]]],
    bb: dict[str, dict[str, dict[str, float]]],
    n: int,
    better: dict[str, dict[str, list[int]]] | None,
) -> str:
    def f1s(t: dict[str, dict[str, dict[str, float]]]) -> str:
        o = t["ours"]
        return (
            f"ours F1 P on {o['P onset']['f1']:.3f}, QRS on {o['QRS onset']['f1']:.3f}, "
            f"T off {o['T offset']['f1']:.3f}"
        )

    def wins(key: str) -> str:
        if not better or not better[key]:
            return ""
        got = better[key]
        w, t = got["ours"]
        alone = (
            f" ({got[SINGLE][0]} of {got[SINGLE][1]} on the lead alone)" if SINGLE in got else ""
        )
        return f"; better than neurokit2 on {w} of {t} boundary comparisons{alone}"

    out = (
        f"qtdb: {f1s(tables)} on {n} records ({s.annotator}, lead {s.lead}, tolerance "
        f"{s.tolerance_ms:g} ms){wins('tables')}"
    )
    if bb:
        out += f"; best beat over leads 0 and 1: {f1s(bb)}{wins('tables_best_beat')}"
    return out


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
