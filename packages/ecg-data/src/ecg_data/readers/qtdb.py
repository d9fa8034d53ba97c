"""QT Database (QTDB) reader: 105 fifteen-minute 2-lead records at 250 Hz chosen from seven
PhysioNet databases, with reference beats, cardiologists' P/QRS/T/U boundaries of selected beats
and ecgpuwave's automatic boundaries (Laguna et al. 1997)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from ecg_data.readers.base import DatabaseInfo, ReaderError
from ecg_data.readers.wave_marks import WaveMarks, parse_wave_marks
from ecg_data.readers.wfdb_base import BeatRhythmAnn, WFDBReader, _beat_rhythm_ann, read_wfdb_ann

__all__ = [
    "QTDB",
    "QTDB_INFO",
    "QTDBAnn",
    "QTDB_SOURCES",
    "MANUAL_EXTENSIONS",
    "ECGPUWAVE_EXTENSIONS",
    "qtdb_lead_name",
    "qtdb_source",
]

#: Manual boundary files: annotator 1 and annotator 2 (second pass, the reference ones).
MANUAL_EXTENSIONS: tuple[str, ...] = ("q1c", "q2c")
#: ecgpuwave's files: from both signals, from signal 0 only, from signal 1 only.
ECGPUWAVE_EXTENSIONS: tuple[str, ...] = ("pu", "pu0", "pu1")

#: Source database (PhysioNet name) -> description.
QTDB_SOURCES: dict[str, str] = {
    "mitdb": "MIT-BIH Arrhythmia Database",
    "stdb": "MIT-BIH ST Change Database",
    "svdb": "MIT-BIH Supraventricular Arrhythmia Database",
    "nsrdb": "MIT-BIH Normal Sinus Rhythm Database",
    "ltdb": "MIT-BIH Long-Term ECG Database",
    "edb": "European ST-T Database",
    "sddb": "BIH Sudden Death Database",
}

QTDB_INFO = DatabaseInfo(
    name="qtdb",
    description=(
        "QT Database: 105 fifteen-minute excerpts of two-lead ambulatory ECG at 250 Hz from the "
        "MIT-BIH Arrhythmia, ST Change, Supraventricular Arrhythmia, Normal Sinus Rhythm and "
        "Long-Term databases, the European ST-T Database and the Sudden Death Database, with "
        "reference beats (.atr, where the source has them), cardiologists' onsets, peaks and "
        "offsets of P, QRS, T and U waves in 30 to 100 beats per record (.q1c, .q2c) and "
        "ecgpuwave's automatic boundaries of every beat (.pu, .pu0, .pu1)."
    ),
    fs=250.0,
    leads=("ECG1", "ECG2"),
    license="ODC-By 1.0",
    doi="10.13026/C24K53",
    bibtex=(
        "@inproceedings{laguna1997database, title={A database for evaluation of algorithms for "
        "measurement of {QT} and other waveform intervals in the {ECG}}, author={Laguna, Pablo "
        "and Mark, Roger G and Goldberg, Ary and Moody, George B}, booktitle={Computers in "
        "Cardiology 1997}, pages={673--676}, year={1997}}"
    ),
    url="https://physionet.org/files/qtdb/1.0.0/",
)

# "record 30, signal 0", "record mqt2, signal 1", "signal 0", "sig 1": a signal without a lead name
_UNNAMED = re.compile(r"^(?:record\s+\S+\s*,\s*)?sig(?:nal)?\s*(\d+)$", re.IGNORECASE)
_ECGN = re.compile(r"^ecg\s*(\d+)$", re.IGNORECASE)


def qtdb_lead_name(description: str, index: int) -> str:
    """Lead name of a QTDB signal from its header description.

    PhysioNet's header revisions spell unnamed signals either ``record 30, signal 0`` or
    ``ECG1``; both become ``ECG1`` (``ECG<index + 1>``). Named leads lose inner spaces
    (``ML II`` -> ``MLII``) and keep their case.

    Args:
        description: the signal description of the header line.
        index: the signal's position in the header (0-based).
    """
    text = " ".join(str(description).split())
    if not text or _UNNAMED.match(text):
        return f"ECG{index + 1}"
    m = _ECGN.match(text)
    if m:
        return f"ECG{int(m.group(1))}"
    return text.replace(" ", "")


def qtdb_source(rec: str) -> str:
    """PhysioNet database a QTDB record was taken from (a key of :data:`QTDB_SOURCES`), from its
    name: ``sel1xx``/``sel2xx`` MITDB, ``sel3xx`` ST Change, ``sel8xx`` Supraventricular,
    ``sel16xxx``/``sel17xxx`` Normal Sinus Rhythm, ``sel14xxx``/``sel15xxx`` Long-Term,
    ``sele0xxx`` European ST-T, ``sel30``-``sel52`` Sudden Death; ``""`` when unknown."""
    m = re.fullmatch(r"sel(e?)(\d+)", rec)
    if not m:
        return ""
    if m.group(1):
        return "edb"
    n = int(m.group(2))
    if 100 <= n < 300:
        return "mitdb"
    if 300 <= n < 400:
        return "stdb"
    if 800 <= n < 900:
        return "svdb"
    if 16000 <= n < 18000:
        return "nsrdb"
    if 14000 <= n < 16000:
        return "ltdb"
    if 30 <= n < 60:
        return "sddb"
    return ""


def _read_ann_chan(
    stem: Path, extension: str, siglen: int
) -> tuple[npt.NDArray[np.int64], list[str], npt.NDArray[np.int64]]:
    """(samples, symbols, signal number) of ``stem.extension`` read with ``wfdb.rdann``.

    Raises:
        ReaderError: the file is missing or malformed, or an annotation lies outside the signal.
    """
    import wfdb

    path = stem.with_name(f"{stem.name}.{extension}")
    if not path.is_file():
        raise ReaderError(path, "annotation file is missing")
    try:
        ann = wfdb.rdann(str(stem), extension)
    except Exception as exc:  # wfdb raises many exception types on malformed files
        raise ReaderError(path, f"malformed annotation file ({type(exc).__name__}: {exc})") from exc
    samples = np.asarray(ann.sample, dtype=np.int64).reshape(-1)
    if samples.size and (samples.max() > siglen or samples.min() < 0):
        bad = int(samples.max()) if samples.max() > siglen else int(samples.min())
        raise ReaderError(
            path, f"annotation at sample {bad} is outside the signal [0, {siglen}] samples"
        )
    symbols = [str(s) for s in (ann.symbol or [])]
    if len(symbols) != samples.size:
        raise ReaderError(path, f"{samples.size} annotations but {len(symbols)} symbols")
    chans = (
        np.zeros(samples.size, dtype=np.int64)
        if ann.chan is None
        else np.asarray(ann.chan, dtype=np.int64).reshape(-1)
    )
    return samples, symbols, chans


@dataclass(frozen=True, slots=True)
class QTDBAnn:
    """Annotations of a QTDB record.

    Attributes:
        beats: reference beats of ``.atr`` (:class:`BeatRhythmAnn`), ``None`` for the records
            whose source database has none (about 20 of 105).
        manual: annotator (``"q1c"``, ``"q2c"``; the ones present) -> wave name (``"pwave"``,
            ``"qrs"``, ``"twave"``, ``"uwave"``) -> :class:`~ecg_data.readers.wave_marks.WaveMarks`
            (onset / peak / offset sample arrays, -1 where a boundary is not annotated, e.g. most
            T-wave onsets). They cover the 30 to 100 selected beats only.
        manual_beats: sample indices of the beats the annotators delineated (``.man``), int64.
        ecgpuwave: ``"pu"`` / ``"pu0"`` / ``"pu1"`` -> wave name -> WaveMarks for every beat
            (``chan`` says the signal); filled only with ``load_ann(rec, ecgpuwave=True)``.
        fs: sampling frequency in Hz of every sample index.
    """

    beats: BeatRhythmAnn | None
    manual: dict[str, dict[str, WaveMarks]]
    manual_beats: npt.NDArray[np.int64]
    ecgpuwave: dict[str, dict[str, WaveMarks]] = field(default_factory=dict)
    fs: float = 250.0


class QTDB(WFDBReader):
    """QT Database (Laguna et al. 1997). Data (2, 225000) in mV at 250 Hz.

    Lead names are normalised by :func:`qtdb_lead_name` (``ECG1``/``ECG2`` for the signals the
    header does not name); ``load_data(leads=...)`` accepts the raw header spelling too.
    ``load_ann(rec)`` returns a :class:`QTDBAnn`; :meth:`load_waves` reads one boundary file.
    Metadata columns: ``source`` (see :data:`QTDB_SOURCES`), ``leads``, ``has_beats``,
    ``annotators`` (manual boundary files present), ``age`` and ``sex`` (when the header has them).
    """

    name: ClassVar[str] = "qtdb"
    database_info: ClassVar[DatabaseInfo] = QTDB_INFO
    header_glob = "*.hea"

    def __init__(self, db_dir: str | os.PathLike[str], **kwargs: Any) -> None:
        super().__init__(db_dir, **kwargs)
        self._raw_names: dict[str, tuple[str, ...]] = {}

    def _read_header(self, rec: str) -> tuple[float, tuple[str, ...], int]:
        fs, raw, siglen = super()._read_header(rec)
        names = tuple(qtdb_lead_name(d, k) for k, d in enumerate(raw))
        if len(set(names)) != len(names):
            names = tuple(f"ECG{k + 1}" for k in range(len(raw)))
        self._raw_names[rec] = raw
        return fs, names, siglen

    def _resolve_leads(self, rec: str, leads: Any) -> list[int]:
        names = self._header(rec)[1]
        raw = [r.lower() for r in self._raw_names.get(rec, ())]

        def translate(item: Any) -> Any:
            if isinstance(item, str) and item.lower() in raw:
                return names[raw.index(item.lower())]
            return item

        if isinstance(leads, str):
            leads = translate(leads)
        elif leads is not None and not isinstance(leads, int):
            leads = [translate(x) for x in leads]
        return super()._resolve_leads(rec, leads)

    def has_beats(self, rec: str | int) -> bool:
        """Whether ``rec`` has reference beat annotations (``.atr``)."""
        stem = self.record_path(self._check_rec(rec))
        return stem.with_name(f"{stem.name}.atr").is_file()

    def load_waves(self, rec: str | int, extension: str) -> dict[str, WaveMarks]:
        """Wave boundaries of one file (``q1c``, ``q2c``, ``pu``, ``pu0`` or ``pu1``).

        Returns:
            wave name -> :class:`~ecg_data.readers.wave_marks.WaveMarks` (-1 = not annotated).

        Raises:
            ReaderError: the file is missing, malformed or has a sample past the signal end.
            ValueError: ``extension`` is not a boundary file of QTDB.
        """
        allowed = MANUAL_EXTENSIONS + ECGPUWAVE_EXTENSIONS
        if extension not in allowed:
            raise ValueError(f"extension must be one of {list(allowed)}, got {extension!r}")
        rec = self._check_rec(rec)
        _, _, siglen = self._header(rec)
        samples, symbols, chans = _read_ann_chan(self.record_path(rec), extension, siglen)
        return parse_wave_marks(samples, symbols, chans).waves

    def load_ann(self, rec: str | int, *, ecgpuwave: bool = False) -> QTDBAnn:  # type: ignore[override]
        """Beats, manual wave boundaries (and ecgpuwave's with ``ecgpuwave=True``) of ``rec``.

        Raises:
            ReaderError: an annotation file is malformed or has a sample past the signal end.
        """
        rec = self._check_rec(rec)
        fs, _, siglen = self._header(rec)
        stem = self.record_path(rec)
        beats = None
        if self.has_beats(rec):
            samples, symbols, aux = read_wfdb_ann(stem, "atr", siglen)
            beats = _beat_rhythm_ann(samples, symbols, samples, aux, siglen, fs)
        manual = {
            ext: self.load_waves(rec, ext)
            for ext in MANUAL_EXTENSIONS
            if stem.with_name(f"{stem.name}.{ext}").is_file()
        }
        man = np.zeros(0, dtype=np.int64)
        if stem.with_name(f"{stem.name}.man").is_file():
            man = read_wfdb_ann(stem, "man", siglen)[0]
        pu = (
            {
                ext: self.load_waves(rec, ext)
                for ext in ECGPUWAVE_EXTENSIONS
                if stem.with_name(f"{stem.name}.{ext}").is_file()
            }
            if ecgpuwave
            else {}
        )
        return QTDBAnn(beats=beats, manual=manual, manual_beats=man, ecgpuwave=pu, fs=fs)

    def _meta_row(self, rec: str) -> dict[str, Any]:
        stem = self.record_path(rec)
        annotators = [e for e in MANUAL_EXTENSIONS if stem.with_name(f"{stem.name}.{e}").is_file()]
        age: int | None = None
        sex: str | None = None
        for line in self.header_comments(rec):
            m = re.match(r"\s*(\d+)\s+([MF])\b", line) or re.search(
                r"Age:\s*(\d+)\s+Sex:\s*([MF])", line
            )
            if m:
                age, sex = int(m.group(1)), m.group(2)
                break
        return {
            "source": qtdb_source(rec),
            "leads": list(self._header(rec)[1]),
            "has_beats": self.has_beats(rec),
            "annotators": annotators,
            "age": age,
            "sex": sex,
        }

    def _plot_marks(self, rec: str, sampfrom: int, sampto: int) -> dict[str, npt.NDArray[np.int64]]:
        ann = self.load_ann(rec)
        marks: dict[str, npt.NDArray[np.int64]] = {}
        if ann.beats is not None:
            marks["beat"] = ann.beats.beat_samples
        for name, w in ann.manual.get("q1c", {}).items():
            if len(w):
                marks[f"{name} (q1c)"] = np.concatenate(
                    [w.onset[w.onset >= 0], w.peak, w.offset[w.offset >= 0]]
                )
        return marks
