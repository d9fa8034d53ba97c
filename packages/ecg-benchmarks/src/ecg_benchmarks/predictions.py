"""Records to predict on, the predictions of a case, and the files ``ecg-bench predict`` writes.

A record is read by the ecg-data reader of its database, found from its files: WFDB records
(``<name>.hea``; MITDB, LUDB, QTDB, CinC 2020/2021, CPSC 2021, PTB-XL...) and the MATLAB records of
CPSC 2018, CPSC 2019, CPSC 2020 and CinC 2017. For each record ``<name>``, ``predict`` writes:

- beats: ``<name>.pred`` (WFDB annotation, beat symbols, ``wfdb.wrann``) and ``<name>_beats.csv``;
- waves: ``<name>.wave`` (WFDB ``(`` / symbol / ``)`` triplets as in LUDB) and ``<name>_waves.csv``;
- rhythm episodes: ``<name>.rhythm`` (WFDB rhythm annotations ``(AFIB`` ... ``(N``) and
  ``<name>_episodes.csv``;
- classes: ``<name>_classes.csv`` (probability and decision per class);
- ``<name>.png``: the record with its predictions.

Positions are sample indices at the record's own sampling rate.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Prediction", "Record", "load_record", "write_prediction"]


class _Error(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Record:
    """One record to predict on.

    Attributes:
        name: the record name.
        signal: ``(leads, samples)`` float32 in mV at ``fs``.
        fs: sampling rate in Hz.
        leads: lead names.
        path: the record's main file.
        database: the ecg-data reader that read it.
    """

    name: str
    signal: npt.NDArray[np.float32]
    fs: float
    leads: tuple[str, ...]
    path: Path
    database: str


@dataclass(slots=True)
class Prediction:
    """What a case predicts for one record (positions in samples at the record's rate).

    Attributes:
        beats: WFDB beat symbol -> sorted sample indices (``{"N": r_peaks}``,
            ``{"S": ..., "V": ...}``).
        waves: wave symbol (``"p"``, ``"N"`` for QRS, ``"t"``) -> ``(onset, offset)`` pairs,
            offset inclusive.
        episodes: rhythm (``"AFIB"``) -> ``(first, last)`` sample pairs.
        classes: class name -> probability (record classification).
        labels: the predicted class names.
        lead: index of the lead the annotations refer to (and that is plotted).
    """

    beats: dict[str, npt.NDArray[np.int64]] = field(default_factory=dict)
    waves: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    episodes: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    classes: dict[str, float] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    lead: int = 0


def _mat_readers() -> list[Any]:
    import ecg_data

    return [ecg_data.CPSC2019, ecg_data.CPSC2020, ecg_data.CPSC2018, ecg_data.CINC2017]


def _wfdb_reader() -> Any:
    import ecg_data.readers.wfdb_base as wb

    cls = getattr(wb, "WFDBReader", None)
    if cls is None:  # pragma: no cover - depends on the ecg-data version
        import ecg_data

        cls = ecg_data.MITDB
    return cls


def load_record(path: str | Path) -> Record:
    """Read the record at ``path`` (with or without its extension) with its ecg-data reader.

    Raises:
        BenchmarkError: no file of that name, or no reader of ecg-data reads it.
    """
    from ecg_benchmarks.base import BenchmarkError

    p = Path(path)
    stem = p.with_suffix("") if p.suffix in (".hea", ".mat", ".dat", ".atr") else p
    name = stem.name
    if not stem.parent.is_dir() or not any(stem.parent.glob(f"{name}.*")):
        raise BenchmarkError(f"record {path}: no file {stem}.* exists")
    if stem.with_suffix(".hea").is_file():
        readers = [_wfdb_reader()]
    else:
        readers = _mat_readers()
    for cls in readers:
        for db_dir in (stem.parent, stem.parent.parent):
            try:
                reader = cls(db_dir)
                if name not in reader.all_records:
                    continue
                signal = reader.load_data(name)
                fs = float(reader.get_fs(name))
                leads = tuple(reader.get_lead_names(name))
            except (ValueError, OSError, KeyError):
                continue
            return Record(name, signal, fs, leads, p, getattr(cls, "name", cls.__name__))
    raise BenchmarkError(
        f"record {path}: none of the ecg-data readers ({', '.join(c.__name__ for c in readers)}) "
        "reads it"
    )


def _wrann(
    out: Path, name: str, ext: str, fs: float, sample: list[int], symbol: list[str], aux: list[str]
) -> Path:
    import wfdb

    order = np.argsort(np.asarray(sample, dtype=np.int64), kind="stable")
    wfdb.wrann(
        name,
        ext,
        np.asarray(sample, dtype=np.int64)[order],
        symbol=[symbol[i] for i in order],
        aux_note=[aux[i] for i in order] if any(aux) else None,
        fs=fs,
        write_dir=str(out),
    )
    return out / f"{name}.{ext}"


def _csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_prediction(record: Record, pred: Prediction, out: Path, model: str) -> list[Path]:
    """Write the annotation, CSV and PNG files of ``pred`` for ``record`` into ``out``.

    Args:
        record: the record predicted on.
        pred: the case's prediction.
        out: the output folder (created).
        model: which model predicted (shown in the figure title).

    Returns:
        The files written.
    """
    out.mkdir(parents=True, exist_ok=True)
    name, fs = record.name, record.fs
    written: list[Path] = []
    n = record.signal.shape[-1]
    beats = [(int(s), sym) for sym, pos in pred.beats.items() for s in np.asarray(pos).tolist()]
    beats = [(s, sym) for s, sym in beats if 0 <= s < n]
    if pred.beats:
        beats.sort()
        if beats:
            written.append(
                _wrann(
                    out,
                    name,
                    "pred",
                    fs,
                    [s for s, _ in beats],
                    [b for _, b in beats],
                    [""] * len(beats),
                )
            )
        rows: list[list[Any]] = [[s, round(s / fs, 4), sym] for s, sym in beats]
        written.append(_csv(out / f"{name}_beats.csv", ["sample", "time_s", "symbol"], rows))
    if pred.waves:
        samples: list[int] = []
        symbols: list[str] = []
        rows = []
        for sym, intervals in pred.waves.items():
            for on, off in intervals:
                on, off = int(on), int(off)
                samples += [on, (on + off) // 2, off]
                symbols += ["(", sym, ")"]
                rows.append([sym, on, off, round(on / fs, 4), round(off / fs, 4)])
        rows.sort(key=lambda r: int(r[1]))  # type: ignore[call-overload]
        if samples:
            written.append(_wrann(out, name, "wave", fs, samples, symbols, [""] * len(samples)))
        header = ["wave", "onset", "offset", "onset_s", "offset_s"]
        written.append(_csv(out / f"{name}_waves.csv", header, rows))
    if pred.episodes:
        samples, symbols, aux, rows = [], [], [], []
        for rhythm, intervals in pred.episodes.items():
            for a, b in intervals:
                a, b = int(a), int(b)
                samples += [a, min(b + 1, n - 1)]
                symbols += ["+", "+"]
                aux += [f"({rhythm}", "(N"]
                rows.append([rhythm, a, b, round(a / fs, 4), round(b / fs, 4)])
        rows.sort(key=lambda r: int(r[1]))  # type: ignore[call-overload]
        if samples:
            written.append(_wrann(out, name, "rhythm", fs, samples, symbols, aux))
        header = ["rhythm", "first", "last", "first_s", "last_s"]
        written.append(_csv(out / f"{name}_episodes.csv", header, rows))
    if pred.classes:
        rows = [[c, round(float(p), 6), int(c in pred.labels)] for c, p in pred.classes.items()]
        written.append(
            _csv(out / f"{name}_classes.csv", ["class", "probability", "predicted"], rows)
        )
    written.append(_plot(record, pred, out / f"{name}.png", model, beats))
    return written


def _plot(
    record: Record, pred: Prediction, path: Path, model: str, beats: list[tuple[int, str]]
) -> Path:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    lead = min(max(pred.lead, 0), record.signal.shape[0] - 1)
    x = record.signal[lead]
    n = x.size
    shown = min(n, int(round(30 * record.fs)))  # at most the first 30 s
    t = np.arange(shown) / record.fs
    fig, ax = plt.subplots(figsize=(12, 3.2), constrained_layout=True)
    ax.plot(t, x[:shown], lw=0.6, color="k", label=f"lead {record.leads[lead]}")
    marks = {"N": "o", "S": "^", "V": "s"}
    for sym in sorted({b for _, b in beats}):
        pos = np.asarray([s for s, b in beats if b == sym and s < shown], dtype=np.int64)
        ax.plot(pos / record.fs, x[pos], marks.get(sym, "x"), ms=5, ls="none", label=f"beat {sym}")
    colours = {"p": "tab:green", "N": "tab:red", "t": "tab:blue"}
    for sym, intervals in pred.waves.items():
        for k, (on, off) in enumerate(intervals):
            if on < shown:
                ax.axvspan(
                    on / record.fs,
                    min(off, shown - 1) / record.fs,
                    alpha=0.25,
                    color=colours.get(sym, "tab:grey"),
                    label=f"wave {sym}" if k == 0 else None,
                )
    for rhythm, intervals in pred.episodes.items():
        for k, (a, b) in enumerate(intervals):
            if a < shown:
                ax.axvspan(
                    a / record.fs,
                    min(b, shown - 1) / record.fs,
                    alpha=0.15,
                    color="tab:orange",
                    label=rhythm if k == 0 else None,
                )
    title = f"{record.name} ({record.database}, {record.fs:g} Hz) predicted by {model}"
    if pred.classes:
        top = sorted(pred.classes.items(), key=lambda kv: -kv[1])[:3]
        title += "; " + ", ".join(f"{c} {p:.2f}" for c, p in top)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("amplitude (mV)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper right")
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
