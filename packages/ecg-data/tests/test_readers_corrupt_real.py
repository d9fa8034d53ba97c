"""Hypothesis: corrupted copies of real WFDB-based records (MITDB, LUDB, CinC2021, CPSC2021, QTDB,
NSTDB) either raise a reader error or read with the shape their header promises; never a silent wrong shape."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecg_data import CINC2021, CPSC2021, LUDB, MITDB, NSTDB, QTDB, ReaderError

# reader, sample folder, files of one record (relative), signal file corrupted with target "data"
_RECORDS: dict[str, tuple[Any, str, list[str], str]] = {
    "mitdb": (MITDB, "mitdb", ["100.hea", "100.dat", "100.atr"], "100.dat"),
    "ludb": (LUDB, "ludb", [f"data/1.{e}" for e in ("hea", "dat", "ii")], "data/1.dat"),
    "cinc2021": (CINC2021, "cinc2021", ["E07500.hea", "E07500.mat"], "E07500.mat"),
    "cpsc2021": (CPSC2021, "cpsc2021", ["data_21_7.hea", "data_21_7.dat"], "data_21_7.dat"),
    "qtdb": (QTDB, "qtdb", ["sel30.hea", "sel30.dat", "sel30.q1c"], "sel30.dat"),
    "nstdb": (NSTDB, "nstdb", ["119e_6.hea", "119e_6.dat", "119e_6.atr"], "119e_6.dat"),
}


def _header(names: list[str]) -> str:
    return next(n for n in names if n.endswith(".hea"))


@pytest.mark.data
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    which=st.sampled_from(sorted(_RECORDS)),
    target=st.sampled_from(["header", "data"]),
    pos=st.integers(0, 2000),
    junk=st.binary(min_size=0, max_size=8),
    cut=st.booleans(),
)
def test_corrupted_real_records_raise_or_read_right_shape(
    sample_data: Path,
    tmp_path_factory: pytest.TempPathFactory,
    which: str,
    target: str,
    pos: int,
    junk: bytes,
    cut: bool,
) -> None:
    cls, folder, names, data_file = _RECORDS[which]
    d = tmp_path_factory.mktemp(which)
    for name in names:
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(sample_data / folder / name, d / name)
    path = d / (_header(names) if target == "header" else data_file)
    raw = path.read_bytes()
    pos = min(pos, len(raw))
    path.write_bytes(raw[:pos] + junk if cut else raw[:pos] + junk + raw[pos + len(junk) :])
    try:
        reader = cls(d)
        if not reader.all_records:
            return
        rec = reader.all_records[0]
        data = reader.load_data(rec, sampto=min(500, reader.get_siglen(rec)))
    except (ReaderError, ValueError, TypeError):
        return
    assert data.dtype == np.float32
    assert data.shape == (len(reader.get_lead_names(rec)), min(500, reader.get_siglen(rec)))
