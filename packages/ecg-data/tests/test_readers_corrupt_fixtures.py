"""Hypothesis corruption of every reader not covered by test_readers_corrupt_real.py /
test_readers_fixtures.py: CinC2018 and PTB-XL (fixtures written in their on-disk formats with
wfdb.wrsamp / wrann and CSV), CinC2020 (real CinC samples, same WFDB format as CinC2021) and
CinC2017 (``.mat`` + ``REFERENCE.csv``).

A corrupted copy (header: signal count, fs, length, truncation, garbage bytes; signal file:
truncation or overwritten bytes; annotation / table files) must either raise
:class:`ReaderError` naming a file of the record, or read with the shape the header promises
(and exactly the original values when the bytes did not change) -- never a silent partial result
or a raw IndexError / struct / parser error.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.io
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wfdb_write import sines, wrsamp
from wfdb_write import write_ptbxl as ptbxl_folder

from ecg_data.readers.base import ECGReader, ReaderError
from ecg_data.readers.cinc2017 import CINC2017
from ecg_data.readers.cinc2018 import CINC2018
from ecg_data.readers.cinc2021 import CINC2020
from ecg_data.readers.ptbxl import PTBXL


def _sig(n_leads: int, n: int, fs: float) -> np.ndarray:
    return sines(n_leads, n, fs, amplitude=0.5)


def write_cinc2018(root: Path) -> dict[str, Path]:
    """One CinC 2018 record (``training/tr03-0005/``: 3 signals at 200 Hz + ``.arousal``)."""
    import wfdb

    rec_dir = root / "training" / "tr03-0005"
    fs, n = 200.0, 2000
    wrsamp(rec_dir, "tr03-0005", _sig(3, n, fs), fs, ["C3-M2", "SaO2", "ECG"], ["uV", "%", "mV"])
    marks = [(200, "W"), (600, "N2"), (700, "(arousal_rera"), (900, "arousal_rera)"), (1800, "R")]
    wfdb.wrann(
        "tr03-0005", "arousal", np.array([m[0] for m in marks]), symbol=['"'] * len(marks),
        aux_note=[m[1] for m in marks], write_dir=str(rec_dir),
    )  # fmt: skip
    stem = rec_dir / "tr03-0005"
    return {"hea": stem.with_suffix(".hea"), "dat": stem.with_suffix(".dat"),
            "ann": stem.with_suffix(".arousal")}  # fmt: skip


def write_ptbxl(root: Path) -> dict[str, Path]:
    """A two-record PTB-XL folder (CSV tables + WFDB records at 100 and 500 Hz)."""
    records = [(1, 11, 51, 1, 9, {"NORM": 100.0}), (2, 12, 52, 1, 10, {"IMI": 80.0, "SR": 0.0})]
    ptbxl_folder(
        root,
        records,
        lambda ecg_id, fs: _sig(12, 2 * fs, fs),
        "NORM,normal,1,,,NORM,NORM\nIMI,inferior mi,1,,,MI,IMI\nSR,sinus,,,1,,\n",
    )
    stem = root / "records500/00000/00001_hr"
    return {"hea": stem.with_suffix(".hea"), "dat": stem.with_suffix(".dat"),
            "csv": root / "ptbxl_database.csv", "ann": root / "scp_statements.csv"}  # fmt: skip


def write_cinc2017(root: Path) -> dict[str, Path]:
    """Two CinC 2017 records (``training2017/A0000k.mat`` key ``val``) + ``REFERENCE.csv``."""
    folder = root / "training2017"
    folder.mkdir(parents=True)
    scipy.io.savemat(folder / "A00001.mat", {"val": np.arange(-300, 600, dtype=np.int16)[None]})
    scipy.io.savemat(folder / "A00002.mat", {"val": np.full((1, 700), 250, np.int16)})
    (folder / "REFERENCE.csv").write_text("A00001,N\nA00002,A\n")
    return {"mat": folder / "A00001.mat", "csv": folder / "REFERENCE.csv"}


def _corrupt(path: Path, pos: int, junk: bytes, cut: bool) -> bool:
    """Truncate ``path`` at ``pos`` and append ``junk`` (``cut``), or overwrite bytes at ``pos``
    with ``junk``. Returns whether the content changed."""
    raw = path.read_bytes()
    pos = min(pos, len(raw))
    new = raw[:pos] + junk if cut else raw[:pos] + junk + raw[pos + len(junk) :]
    path.write_bytes(new)
    return new != raw


def _check_error(exc: ReaderError, root: Path) -> None:
    """The error names a file or folder of the database copy."""
    assert Path(exc.path).resolve().is_relative_to(root.resolve()), exc
    assert exc.problem


def _read_all(reader: ECGReader) -> tuple[list[str], list[Any]]:
    """Every record's full signal and annotation (raises what the reader raises)."""
    recs = reader.all_records
    out: list[Any] = []
    for rec in recs:
        data = reader.load_data(rec)
        n_leads, siglen = len(reader.get_lead_names(rec)), reader.get_siglen(rec)
        assert data.dtype == np.float32
        assert data.shape == (n_leads, siglen), (rec, data.shape, n_leads, siglen)
        out.append((data, reader.load_ann(rec)))
    meta = reader.metadata
    assert list(meta.index) == recs
    out.append(meta.drop(columns="path").to_dict())
    return recs, out


_Writer = Callable[[Path], dict[str, Path]]
_FIXTURES: dict[str, tuple[Callable[[Path], ECGReader], _Writer]] = {
    "cinc2018": (CINC2018, write_cinc2018),
    "ptbxl": (PTBXL, write_ptbxl),
    "ptbxl_lr": (lambda d: PTBXL(d, sampling_rate=100), write_ptbxl),
    "cinc2017": (CINC2017, write_cinc2017),
}


def _ann_equal(a: Any, b: Any) -> bool:
    return bool(repr(a) == repr(b))


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[list[str], list[Any]]]:
    """Records, signals and annotations of the intact fixtures."""
    out = {}
    for which, (make, write) in _FIXTURES.items():
        d = tmp_path_factory.mktemp(f"ref_{which}")
        write(d)
        out[which] = _read_all(make(d))
    return out


def test_intact_fixtures_read(references: dict[str, tuple[list[str], list[Any]]]) -> None:
    recs, items = references["cinc2018"]
    assert recs == ["tr03-0005"] and items[0][0].shape == (3, 2000)
    assert items[0][1].stages == [(200, 600, "W"), (600, 1800, "N2"), (1800, 2000, "R")]
    recs, items = references["ptbxl"]
    assert recs == ["00001", "00002"] and items[0][0].shape == (12, 1000)
    assert references["ptbxl_lr"][1][1][0].shape == (12, 200)
    recs, items = references["cinc2017"]
    assert recs == ["A00001", "A00002"] and items[1][1] == "A"
    assert items[2]["labels"] == {"A00001": ["N"], "A00002": ["A"]}
    np.testing.assert_allclose(items[0][0][0], np.arange(-300, 600) / 1000.0, rtol=1e-6)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    which=st.sampled_from(sorted(_FIXTURES)),
    target=st.sampled_from(["hea", "dat", "ann", "csv", "mat"]),
    pos=st.integers(0, 3000),
    junk=st.binary(min_size=0, max_size=8),
    cut=st.booleans(),
)
def test_corrupted_fixture_records_raise_or_read_right(
    tmp_path_factory: pytest.TempPathFactory,
    references: dict[str, tuple[list[str], list[Any]]],
    which: str,
    target: str,
    pos: int,
    junk: bytes,
    cut: bool,
) -> None:
    make, write = _FIXTURES[which]
    d = tmp_path_factory.mktemp(which)
    files = write(d)
    changed = _corrupt(files[target], pos, junk, cut) if target in files else False
    try:
        recs, items = _read_all(make(d))
    except ReaderError as exc:
        _check_error(exc, d)
        return
    if not changed:
        ref_recs, ref_items = references[which]
        assert recs == ref_recs
        for (x, a), (rx, ra) in zip(items[:-1], ref_items[:-1], strict=True):
            np.testing.assert_array_equal(x, rx)
            assert _ann_equal(a, ra)
        assert items[-1] == ref_items[-1]


# ---------------------------------------------------------------------------- CinC2020 (real)

_CINC = ["E07500.hea", "E07500.mat"]


@pytest.mark.data
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    target=st.sampled_from(_CINC),
    pos=st.integers(0, 2000),
    junk=st.binary(min_size=0, max_size=8),
    cut=st.booleans(),
)
def test_corrupted_real_cinc2020_raise_or_read_right_shape(
    sample_data: Path,
    tmp_path_factory: pytest.TempPathFactory,
    target: str,
    pos: int,
    junk: bytes,
    cut: bool,
) -> None:
    d = tmp_path_factory.mktemp("cinc2020")
    for name in _CINC:
        shutil.copy(sample_data / "cinc2021" / name, d / name)
    ref = CINC2020(sample_data / "cinc2021")
    changed = _corrupt(d / target, pos, junk, cut)
    try:
        r = CINC2020(d)
        if not r.all_records:
            return
        rec = r.all_records[0]
        n = min(500, r.get_siglen(rec))
        data = r.load_data(rec, sampto=n)
        ann = r.load_ann(rec)
    except ReaderError as exc:
        _check_error(exc, d)
        return
    assert data.dtype == np.float32
    assert data.shape == (len(r.get_lead_names(rec)), n)
    if not changed:
        np.testing.assert_array_equal(data, ref.load_data("E07500", sampto=n))
        assert ann == ref.load_ann("E07500")
