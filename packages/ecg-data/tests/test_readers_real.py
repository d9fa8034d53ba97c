"""Readers against the real sample recordings, compared with wfdb / scipy.io directly."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import wfdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecg_data.readers.base import ReaderError, resample_signal
from ecg_data.readers.cinc2021 import CINC2020, CINC2021
from ecg_data.readers.cpsc2019 import CPSC2019
from ecg_data.readers.cpsc2021 import CPSC2021
from ecg_data.readers.mitdb import MITDB

pytestmark = pytest.mark.data


def test_mitdb_load_data_matches_wfdb(sample_data: Path) -> None:
    r = MITDB(sample_data / "mitdb")
    assert r.all_records == ["100"]
    ref = wfdb.rdrecord(str(sample_data / "mitdb" / "100"), sampto=5000).p_signal.T
    got = r.load_data("100", sampto=5000)
    assert got.dtype == np.float32 and got.shape == (2, 5000)
    np.testing.assert_allclose(got, ref, atol=1e-6)
    # windowed read == slice of a full read; lead selection by name; channel_last; units
    full = r.load_data("100")
    assert full.shape == (2, 650000)
    win = r.load_data(
        "100", leads=["V5"], sampfrom=1000, sampto=3000, units="uV", data_format="channel_last"
    )
    np.testing.assert_allclose(win, full[1:2, 1000:3000].T * 1000, rtol=1e-6)


def test_mitdb_annotations(sample_data: Path) -> None:
    r = MITDB(sample_data / "mitdb")
    ann = r.load_ann("100")
    ref = wfdb.rdann(str(sample_data / "mitdb" / "100"), "atr")
    assert len(ann.beat_samples) == 2273  # 2274 annotations, one is a rhythm '+'
    assert set(ann.beat_symbols) == {"N", "A", "V"}
    assert ann.beat_symbols.count("V") == list(ref.symbol).count("V") == 1
    assert ann.rhythms == {"N": [(18, 650000)]}
    meta = r.metadata
    assert list(meta.columns[:6]) == ["path", "fs", "n_leads", "duration_s", "subject", "labels"]
    row = meta.loc["100"]
    assert row.fs == 360.0 and row.n_leads == 2 and row.age == 69 and row.sex == "M"
    assert row.duration_s == pytest.approx(650000 / 360)


def test_cinc2021_matches_loadmat_and_header(sample_data: Path) -> None:
    r = CINC2021(sample_data / "cinc2021")
    assert len(r.all_records) == 38
    for rec in r.all_records:
        hdr = wfdb.rdheader(str(sample_data / "cinc2021" / rec))
        val = scipy.io.loadmat(str(sample_data / "cinc2021" / f"{rec}.mat"))["val"]
        ref = (val - np.array(hdr.baseline)[:, None]) / np.array(hdr.adc_gain)[:, None]
        np.testing.assert_allclose(r.load_data(rec), ref, atol=1e-6)
    np.testing.assert_allclose(r.load_data("E07500", leads=[6, 0], sampfrom=100, sampto=300),
                               r.load_data("E07500")[[6, 0], 100:300])  # fmt: skip
    ann = r.load_ann("E07509")  # Dx: RBBB (59118001) -> CRBBB by the equivalence classes
    assert "59118001" in ann.dx_codes and ann.scored_abbr == ["CRBBB", "SB"]
    assert ann.age == 71.0 and ann.sex == "M"
    hot = r.multi_hot("E07509")
    assert hot.shape == (26,) and hot.sum() == 2 and hot[r.scored_abbr.index("CRBBB")] == 1
    meta = r.metadata
    assert meta.loc["HR06000", "source"] == "PTB-XL" and set(meta.fs) == {500.0}
    assert meta.loc["E07500", "labels"] == ["SB"]
    # CINC2020: 24 scored classes; RBBB also maps to CRBBB
    r20 = CINC2020(sample_data / "cinc2021")
    assert r20.multi_hot("E07509").shape == (24,)
    assert r20.load_ann("E07509").scored_abbr == ["CRBBB", "SB"]


def test_cpsc2019_matches_loadmat(sample_data: Path) -> None:
    r = CPSC2019(sample_data / "cpsc2019")
    assert len(r.all_records) == 40
    rec = r.all_records[3]
    num = rec.split("_")[1]
    ecg = scipy.io.loadmat(str(sample_data / "cpsc2019" / "data" / f"{rec}.mat"))["ecg"].ravel()
    peaks = scipy.io.loadmat(str(sample_data / "cpsc2019" / "ref" / f"R_{num}.mat"))[
        "R_peak"
    ].ravel()
    np.testing.assert_allclose(r.load_data(rec)[0], ecg.astype(np.float32))
    np.testing.assert_array_equal(r.load_ann(rec), np.sort(peaks.astype(np.int64)))
    np.testing.assert_allclose(
        r.load_data(rec, sampfrom=10, sampto=20)[0], ecg[10:20].astype(np.float32)
    )
    # resampling to 250 Hz halves the length and keeps the waveform (compare with scipy decimation)
    down = r.load_data(rec, fs=250)
    assert down.shape == (1, 2500)
    from scipy.signal import resample_poly

    np.testing.assert_allclose(down[0], resample_poly(ecg, 1, 2).astype(np.float32), atol=1e-5)
    assert r.metadata.shape[0] == 40 and set(r.metadata.duration_s) == {10.0}


def test_cpsc2021_af_episodes(sample_data: Path) -> None:
    r = CPSC2021(sample_data / "cpsc2021")
    assert len(r.all_records) == 15
    rec = "data_101_6"
    ann = wfdb.rdann(str(sample_data / "cpsc2021" / rec), "atr")
    plus = [
        (int(s), a)
        for s, sym, a in zip(ann.sample, ann.symbol, ann.aux_note, strict=True)
        if sym == "+"
    ]
    starts = [s for s, a in plus if a == "(AFIB"]
    ends = [s for s, a in plus if a == "(N"]
    assert r.af_episodes(rec) == list(zip(starts, ends, strict=True))
    assert (
        r.get_label(rec) == "AFp"
        and r.get_label("data_8_2") == "AFf"
        and r.get_label("data_21_7") == "N"
    )
    assert r.af_mask(rec).sum() == sum(b - a for a, b in zip(starts, ends, strict=True))
    beats = r.load_ann(rec)
    assert len(beats.beat_samples) == sum(1 for s in ann.symbol if s != "+")
    assert r.metadata.loc[rec, "subject"] == "101"
    np.testing.assert_allclose(
        r.load_data(rec), wfdb.rdrecord(str(sample_data / "cpsc2021" / rec)).p_signal.T, atol=1e-6
    )


def test_bad_inputs(sample_data: Path, tmp_path: Path) -> None:
    with pytest.raises(ReaderError, match="does not exist"):
        MITDB(tmp_path / "nope")
    r = MITDB(sample_data / "mitdb")
    with pytest.raises(ReaderError, match="not in the database.*close matches.*'100'"):
        r.load_data("101")
    with pytest.raises(ReaderError, match=r"window \[sampfrom=0, sampto=700000\).*outside"):
        r.load_data("100", sampto=700000)
    with pytest.raises(ReaderError, match="outside"):
        r.load_data("100", sampfrom=10, sampto=5)
    with pytest.raises(TypeError, match="sampfrom must be an integer"):
        r.load_data("100", sampfrom=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="units must be one of"):
        r.load_data("100", units="mmHg")
    with pytest.raises(ValueError, match="data_format"):
        r.load_data("100", data_format="nchw")
    with pytest.raises(ValueError, match="fs must be"):
        r.load_data("100", fs=-1)
    with pytest.raises(ReaderError, match="lead 'V9' not in"):
        r.load_data("100", leads="V9")


def _copy(src: Path, dst: Path, names: list[str]) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for n in names:
        shutil.copy(src / n, dst / n)


def test_corrupted_files(sample_data: Path, tmp_path: Path) -> None:
    # truncated .dat
    d = tmp_path / "trunc"
    _copy(sample_data / "cpsc2021", d, ["data_8_2.hea", "data_8_2.dat", "data_8_2.atr"])
    raw = (d / "data_8_2.dat").read_bytes()
    (d / "data_8_2.dat").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ReaderError, match=r"data_8_2\.dat.*truncated"):
        CPSC2021(d).load_data("data_8_2", sampto=10)
    # header whose signal count does not match the data (one signal dropped from the header)
    d = tmp_path / "mismatch"
    _copy(sample_data / "cpsc2021", d, ["data_8_2.hea", "data_8_2.dat"])
    lines = (d / "data_8_2.hea").read_text().splitlines()
    lines[0] = lines[0].replace("data_8_2 2 ", "data_8_2 1 ")
    (d / "data_8_2.hea").write_text("\n".join([lines[0], lines[1], *lines[3:]]) + "\n")
    with pytest.raises(ReaderError, match="header/data mismatch"):
        CPSC2021(d).load_data("data_8_2")
    # .mat without the expected key
    d = tmp_path / "cpsc2019" / "data"
    d.mkdir(parents=True)
    scipy.io.savemat(str(d / "data_00001.mat"), {"signal": np.zeros((5000, 1))})
    with pytest.raises(ReaderError, match=r"data_00001\.mat.*no key 'ecg'"):
        CPSC2019(tmp_path / "cpsc2019").load_data("data_00001")
    # annotation past the end of the signal
    d = tmp_path / "annpast"
    _copy(sample_data / "cpsc2021", d, ["data_8_2.hea", "data_8_2.dat"])
    wfdb.wrann("data_8_2", "atr", np.array([10, 10**6]), np.array(["N", "N"]), write_dir=str(d))
    with pytest.raises(ReaderError, match=r"data_8_2\.atr.*past the end"):
        CPSC2021(d).load_ann("data_8_2")


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pos=st.integers(0, 400), junk=st.binary(min_size=1, max_size=8))
def test_corrupted_headers_never_return_wrong_shapes(
    sample_data: Path, tmp_path_factory: pytest.TempPathFactory, pos: int, junk: bytes
) -> None:
    d = tmp_path_factory.mktemp("hyp")
    _copy(sample_data / "cpsc2021", d, ["data_21_7.hea", "data_21_7.dat"])
    text = (d / "data_21_7.hea").read_bytes()
    pos = min(pos, len(text))
    (d / "data_21_7.hea").write_bytes(text[:pos] + junk + text[pos + len(junk) :])
    try:
        r = CPSC2021(d)
        if not r.all_records:
            return
        data = r.load_data(r.all_records[0], sampto=100)
    except (ReaderError, ValueError, TypeError):
        return
    assert (
        data.dtype == np.float32
        and data.shape[1] == 100
        and data.shape[0] == len(r.get_lead_names(0))
    )


def test_resample_signal_length_and_identity() -> None:
    x = np.random.default_rng(0).normal(size=(2, 1000)).astype(np.float32)
    np.testing.assert_array_equal(resample_signal(x, 500, 500), x)
    assert resample_signal(x, 500, 360).shape == (2, 720)
    assert resample_signal(x, 360, 500).shape == (2, 1389)


def test_plot_on_ecg_paper(sample_data: Path) -> None:
    r = CPSC2019(sample_data / "cpsc2019")
    fig = r.plot(0, sampto=2500)
    ax = fig.axes[0]
    # matplotlib drops minor ticks that coincide with major ones: check the union
    xt = np.union1d(np.round(ax.get_xticks(minor=True), 6), np.round(ax.get_xticks(), 6))
    yt = np.union1d(np.round(ax.get_yticks(minor=True), 6), np.round(ax.get_yticks(), 6))
    assert np.allclose(np.diff(xt), 0.04)  # 1 mm = 40 ms
    assert np.allclose(np.diff(yt), 0.1)  # 1 mm = 0.1 mV
    assert np.allclose(np.diff(ax.get_xticks()), 0.2) and np.allclose(np.diff(ax.get_yticks()), 0.5)
    width_in = ax.get_position().width * fig.get_figwidth()
    assert width_in == pytest.approx(5.0 * 25 / 25.4)  # 5 s at 25 mm/s, true scale
    from matplotlib.collections import LineCollection

    n_marks = sum(len(c.get_segments()) for c in ax.collections if isinstance(c, LineCollection))
    assert n_marks == int((r.load_ann(0) < 2500).sum())
