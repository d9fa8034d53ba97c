"""QTDB and NSTDB readers against the real shared records, compared with wfdb directly."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecg_data import NSTDB, QTDB, ReaderError
from ecg_data.readers.nstdb import noise_schedule
from ecg_data.readers.qtdb import qtdb_lead_name, qtdb_source
from ecg_data.readers.wfdb_base import BEAT_SYMBOLS

pytestmark = pytest.mark.data


def _copy(src: Path, dst: Path, names: list[str]) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for n in names:
        shutil.copy(src / n, dst / n)


# ------------------------------------------------------------------ QTDB
def test_qtdb_records_metadata_and_sources(sample_data: Path) -> None:
    r = QTDB(sample_data / "qtdb")
    listed = (sample_data / "qtdb" / "RECORDS").read_text().split()
    assert r.all_records == sorted(listed) and len(r) == 85
    meta = r.metadata
    assert int(meta.has_beats.sum()) == len(list((sample_data / "qtdb").glob("*.atr"))) == 64
    assert sum("q2c" in a for a in meta.annotators) == 11
    assert all("q1c" in a for a in meta.annotators)
    assert meta.loc["sel100", "source"] == "mitdb" and meta.loc["sel100", "age"] == 69
    assert meta.loc["sele0104", "source"] == "edb" and meta.loc["sele0104", "sex"] == "M"
    assert meta.loc["sel30", "source"] == "sddb" and meta.loc["sel16265", "source"] == "nsrdb"
    assert meta.loc["sel301", "source"] == "stdb" and meta.loc["sel14157", "source"] == "ltdb"
    assert meta.loc["sel808", "source"] == "svdb"
    assert (meta.source != "").all()
    assert meta.loc["sel100", "leads"] == ["MLII", "V5"]
    assert (meta.fs == 250.0).all() and (meta.n_leads == 2).all()
    assert r.database_info.name == "qtdb" and r.database_info.fs == 250.0


def test_qtdb_load_data_matches_wfdb(sample_data: Path) -> None:
    r = QTDB(sample_data / "qtdb")
    for rec in ("sel100", "sel30", "sele0104"):
        ref = wfdb.rdrecord(str(sample_data / "qtdb" / rec), sampfrom=1000, sampto=6000)
        got = r.load_data(rec, sampfrom=1000, sampto=6000)
        assert got.dtype == np.float32 and got.shape == (2, 5000)
        np.testing.assert_allclose(got, ref.p_signal.T, atol=1e-6)
    assert r.get_siglen("sel100") == 225000


def test_qtdb_both_signal_name_spellings(sample_data: Path, tmp_path: Path) -> None:
    # this revision: "record 30, signal 0"; others name the same signals "ECG1", "ECG2"
    r = QTDB(sample_data / "qtdb")
    assert r.get_lead_names("sel30") == ["ECG1", "ECG2"]
    ref = wfdb.rdrecord(str(sample_data / "qtdb" / "sel30"), sampto=2000, channels=[1])
    for spelling in ("record 30, signal 1", "ECG2", "ecg2", 1):
        np.testing.assert_allclose(
            r.load_data("sel30", leads=spelling, sampto=2000), ref.p_signal.T, atol=1e-6
        )
    d = tmp_path / "qtdb"
    _copy(sample_data / "qtdb", d, ["sel30.hea", "sel30.dat", "sel30.q1c"])
    text = (d / "sel30.hea").read_text()
    text = text.replace("record 30, signal 0", "ECG1").replace("record 30, signal 1", "ECG2")
    (d / "sel30.hea").write_text(text)
    assert wfdb.rdheader(str(d / "sel30")).sig_name == ["ECG1", "ECG2"]
    r2 = QTDB(d)
    assert r2.get_lead_names("sel30") == ["ECG1", "ECG2"]
    np.testing.assert_array_equal(
        r2.load_data("sel30", leads="ECG2", sampto=2000),
        r.load_data("sel30", leads="record 30, signal 1", sampto=2000),
    )
    assert qtdb_lead_name("record mqt2, signal 1", 1) == "ECG2"
    assert qtdb_lead_name("ML II", 0) == "MLII" and qtdb_lead_name("", 0) == "ECG1"
    assert qtdb_source("sel872") == "svdb" and qtdb_source("foo") == ""


def test_qtdb_beats_match_wfdb(sample_data: Path) -> None:
    r = QTDB(sample_data / "qtdb")
    ann = r.load_ann("sel100")
    ref = wfdb.rdann(str(sample_data / "qtdb" / "sel100"), "atr")
    is_beat = np.array([s in BEAT_SYMBOLS for s in ref.symbol])
    assert ann.beats is not None and ann.fs == 250.0
    np.testing.assert_array_equal(ann.beats.beat_samples, ref.sample[is_beat])
    assert ann.beats.beat_symbols == [s for s, b in zip(ref.symbol, is_beat, strict=True) if b]
    man = wfdb.rdann(str(sample_data / "qtdb" / "sel100"), "man")
    np.testing.assert_array_equal(ann.manual_beats, man.sample)
    no_atr = next(rec for rec in r.all_records if not r.has_beats(rec))
    assert r.load_ann(no_atr).beats is None


def _adjacent_triplets(samples: np.ndarray, symbols: list[str], peak: set[str]) -> list[tuple]:
    """Reference reading of a regular boundary file: a peak's onset is the annotation just before
    it when that is '(', its offset the one just after it when that is ')'."""
    out = []
    for k, s in enumerate(symbols):
        if s in peak:
            on = int(samples[k - 1]) if k > 0 and symbols[k - 1] == "(" else -1
            off = int(samples[k + 1]) if k + 1 < len(symbols) and symbols[k + 1] == ")" else -1
            out.append((on, int(samples[k]), off))
    return out


def test_qtdb_manual_waves_match_wfdb_on_every_record(sample_data: Path) -> None:
    r = QTDB(sample_data / "qtdb")
    peaks = {"pwave": {"p"}, "qrs": set(BEAT_SYMBOLS) - {"p", "t", "u"}, "twave": {"t"}}
    n_t_without_onset = 0
    for rec in r.all_records:
        ann = r.load_ann(rec)
        for ext, waves in ann.manual.items():
            ref = wfdb.rdann(str(sample_data / "qtdb" / rec), ext)
            for name, syms in peaks.items():
                w = waves[name]
                got = list(zip(w.onset.tolist(), w.peak.tolist(), w.offset.tolist(), strict=True))
                assert got == _adjacent_triplets(ref.sample, list(ref.symbol), syms), (rec, ext)
                assert np.all((w.onset == -1) | (w.onset <= w.peak))
                assert np.all((w.offset == -1) | (w.offset >= w.peak))
            n_t_without_onset += int((waves["twave"].onset == -1).sum())
    assert n_t_without_onset > 1000  # the annotators mostly leave T onsets out
    q1c = r.load_ann("sel100").manual["q1c"]
    assert (len(q1c["pwave"]), len(q1c["qrs"]), len(q1c["twave"])) == (30, 30, 30)
    assert (q1c["qrs"].onset[0], q1c["qrs"].peak[0], q1c["qrs"].offset[0]) == (
        150316,
        150330,
        150334,
    )


def test_qtdb_ecgpuwave(sample_data: Path) -> None:
    r = QTDB(sample_data / "qtdb")
    ann = r.load_ann("sel100", ecgpuwave=True)
    assert set(ann.ecgpuwave) == {"pu", "pu0", "pu1"}
    assert set(ann.ecgpuwave["pu0"]["qrs"].chan.tolist()) == {0}
    assert set(ann.ecgpuwave["pu1"]["qrs"].chan.tolist()) == {1}
    for ext in ("pu0", "pu1"):
        ref = wfdb.rdann(str(sample_data / "qtdb" / "sel100"), ext)
        assert len(ann.ecgpuwave[ext]["qrs"]) == list(ref.symbol).count("N")
        # two adjacent 't' (biphasic T) make one wave
        sym = list(ref.symbol)
        runs = sum(1 for k, s in enumerate(sym) if s == "t" and (k == 0 or sym[k - 1] != "t"))
        assert len(ann.ecgpuwave[ext]["twave"]) == runs < sym.count("t")
    pu = ann.ecgpuwave["pu"]["qrs"]
    np.testing.assert_array_equal(pu.on_chan(0).peak, ann.ecgpuwave["pu0"]["qrs"].peak)
    assert r.load_ann("sel100").ecgpuwave == {}
    with pytest.raises(ValueError, match="extension must be one of"):
        r.load_waves("sel100", "atr")


def test_qtdb_plot(sample_data: Path) -> None:
    r = QTDB(sample_data / "qtdb")
    fig = r.plot("sel100", sampfrom=150000, sampto=151000)
    assert len(fig.axes) == 2
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "beat" in labels and "qrs (q1c)" in labels


def test_qtdb_corrupted_annotations(sample_data: Path, tmp_path: Path) -> None:
    d = tmp_path / "qtdb"
    _copy(sample_data / "qtdb", d, ["sel100.hea", "sel100.dat", "sel100.atr"])
    (d / "sel100.q1c").write_bytes(b"\xff\xff\xff")
    with pytest.raises(ReaderError, match=r"sel100\.q1c"):
        QTDB(d).load_ann("sel100")
    # wfdb writes letter-only extensions: write .qqq and rename it
    wfdb.wrann("sel100", "qqq", np.array([10, 10**7]), np.array(["(", "N"]), write_dir=str(d))
    (d / "sel100.qqq").replace(d / "sel100.q1c")
    with pytest.raises(ReaderError, match=r"sel100\.q1c.*outside the signal"):
        QTDB(d).load_ann("sel100")


# ------------------------------------------------------------------ NSTDB
def test_nstdb_records_data_and_beats(sample_data: Path) -> None:
    r = NSTDB(sample_data / "nstdb")
    assert r.all_records == ["119e00", "119e06", "119e12", "119e18", "119e24", "119e_6"]
    meta = r.metadata
    assert meta.snr_db.to_dict() == {
        "119e00": 0.0,
        "119e06": 6.0,
        "119e12": 12.0,
        "119e18": 18.0,
        "119e24": 24.0,
        "119e_6": -6.0,
    }
    assert (meta.clean_record == "119").all() and (meta.fs == 360.0).all()
    for rec in ("119e24", "119e_6"):  # format 212 and format 16
        ref = wfdb.rdrecord(str(sample_data / "nstdb" / rec), sampfrom=100000, sampto=110000)
        np.testing.assert_allclose(
            r.load_data(rec, sampfrom=100000, sampto=110000), ref.p_signal.T, atol=1e-6
        )
        ann = r.load_ann(rec)
        atr = wfdb.rdann(str(sample_data / "nstdb" / rec), "atr")
        is_beat = np.array([s in BEAT_SYMBOLS for s in atr.symbol])
        np.testing.assert_array_equal(ann.beat_samples, atr.sample[is_beat])
        assert set(ann.rhythms) >= {"N", "B"}
    assert r.database_info.name == "nstdb"


def test_nstdb_noise_schedule_matches_the_signals(sample_data: Path) -> None:
    r = NSTDB(sample_data / "nstdb")
    iv = r.noise_intervals("119e12")
    fs = 360
    assert iv[0] == (300 * fs, 420 * fs) and iv[1] == (540 * fs, 660 * fs)
    assert iv[-1] == (1740 * fs, 650000) and len(iv) == 7
    assert r.metadata.loc["119e12", "noise_intervals"] == iv
    # the records share the clean signal: two SNRs differ by a constant where the noise is off
    # and vary where it is on
    a = wfdb.rdrecord(str(sample_data / "nstdb" / "119e24"), physical=False).d_signal[:, 0]
    b = wfdb.rdrecord(str(sample_data / "nstdb" / "119e_6"), physical=False).d_signal[:, 0]
    diff = a.astype(np.int64) - b.astype(np.int64)
    noisy = r.noise_mask("119e24")
    assert noisy.sum() == sum(y - x for x, y in iv)
    clean_edges = [0, *[x for pair in iv for x in pair], 650000]
    for k in range(0, len(clean_edges) - 1, 2):  # clean segments
        lo, hi = clean_edges[k], clean_edges[k + 1]
        if hi > lo:
            assert np.ptp(diff[lo:hi]) == 0, (lo, hi)
    for x, y in iv:
        assert np.ptp(diff[x:y]) > 100
    assert noise_schedule(1000, 1.0, 100, 300) == [(100, 400), (700, 1000)]
    with pytest.raises(ValueError, match="must be > 0"):
        noise_schedule(1000, 0.0)
