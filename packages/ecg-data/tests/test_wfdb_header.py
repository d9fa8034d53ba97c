"""The fast WFDB header parser against wfdb.rdheader (reference)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecg_data.readers._wfdb_header import WFDBHeader, parse_wfdb_header, read_wfdb_header

FIELDS = [
    "record_name",
    "n_sig",
    "fs",
    "sig_len",
    "counter_freq",
    "base_counter",
    "file_name",
    "fmt",
    "samps_per_frame",
    "skew",
    "byte_offset",
    "adc_gain",
    "baseline",
    "units",
    "adc_res",
    "adc_zero",
    "init_value",
    "checksum",
    "block_size",
    "sig_name",
    "comments",
]

HEADERS = {
    # gain 0 -> 200, baseline from ADC zero, units, spf, byte offset, description with spaces
    "edge": (
        "edge 3 360/720(5) 1000 12:00:00 01/01/2000\n"
        "# a comment\n"
        "edge.dat 16x1+24 0/uV 12 7 -3 0 0 V5 lead, limb\n"
        "edge.dat 16 100(-5)/mV 16 0 0 0 0 MLII\n"
        "other.dat 212 200.5 12 1\n"
        "  #another # comment  \n"
    ),
    # defaults: no fs, no length, no gain
    "bare": "bare 1\nbare.dat 16\n",
}


def _assert_same(a: WFDBHeader, b: object) -> None:
    for f in FIELDS:
        assert getattr(a, f) == getattr(b, f), f


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_matches_wfdb_on_handwritten_headers(tmp_path: Path, name: str) -> None:
    (tmp_path / f"{name}.hea").write_text(HEADERS[name])
    ours = read_wfdb_header(tmp_path / name)
    assert isinstance(ours, WFDBHeader)
    _assert_same(ours, wfdb.rdheader(str(tmp_path / name)))


def test_handwritten_values() -> None:
    h = parse_wfdb_header(HEADERS["edge"])
    assert h is not None
    assert h.fs == 360.0 and h.counter_freq == 720.0 and h.base_counter == 5.0
    assert h.sig_len == 1000 and h.n_sig == 3
    assert h.adc_gain == [200.0, 100.0, 200.5]
    assert h.baseline == [7, -5, 1]
    assert h.byte_offset == [24, None, None]
    assert h.units == ["uV", "mV", "mV"]
    assert h.sig_name == ["V5 lead, limb", "MLII", None]
    assert h.comments == ["a comment", "another # comment"]
    bare = parse_wfdb_header(HEADERS["bare"])
    assert bare is not None and bare.fs == 250.0 and bare.sig_len is None
    assert bare.adc_gain == [200.0] and bare.baseline == [0] and bare.samps_per_frame == [1]


def test_multisegment_falls_back_to_wfdb(tmp_path: Path) -> None:
    text = "multi/2 1 250 20\nseg1 10\nseg2 10\n"
    assert parse_wfdb_header(text) is None
    (tmp_path / "multi.hea").write_text(text)
    rec = read_wfdb_header(tmp_path / "multi")
    assert isinstance(rec, wfdb.MultiRecord) and rec.n_seg == 2


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "no record line"),
        ("# only a comment\n", "no record line"),
        ("bad name! x\n", "record line"),
        ("r 2 250 10\nr.dat 16\n", "declares 2 signals but 1"),
        ("r 1 250 10\n*** 16\n", "signal line"),
    ],
)
def test_malformed_headers_raise(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_wfdb_header(text)


def test_reader_loads_same_values_as_wfdb(tmp_path: Path) -> None:
    """The reader (fast header + format-16 path) against wfdb.rdrecord on a written record."""
    from ecg_data.readers.base import DatabaseInfo
    from ecg_data.readers.wfdb_base import WFDBReader

    class R(WFDBReader):
        name = "docsbench"
        database_info = DatabaseInfo("docsbench", "", 250.0, ("I", "II"), "", "", "")

    rng = np.random.default_rng(0)
    d = rng.integers(-3000, 3000, size=(1000, 2)).astype(np.int16)
    wfdb.wrsamp(
        "rec",
        fs=250,
        units=["mV", "uV"],
        sig_name=["I", "II"],
        d_signal=d,
        fmt=["16", "16"],
        adc_gain=[200.0, 0.5],
        baseline=[3, -7],
        write_dir=str(tmp_path),
    )
    ref = wfdb.rdrecord(str(tmp_path / "rec"), sampfrom=100, sampto=700).p_signal.T
    got = R(tmp_path, cache_dir=tmp_path / "cache").load_data("rec", sampfrom=100, sampto=700)
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-6)
    np.testing.assert_allclose(got[1], ref[1] * 1e-3, rtol=1e-5)  # uV -> mV


@pytest.mark.data
def test_matches_wfdb_on_every_sample_header(sample_data: Path) -> None:
    heads = sorted(sample_data.glob("**/*.hea"))
    assert len(heads) > 50
    for hea in heads:
        stem = hea.with_suffix("")
        _assert_same(read_wfdb_header(stem), wfdb.rdheader(str(stem)))
