"""Second-round readers on fixtures written in their true on-disk formats (WFDB via wfdb.wrsamp /
wrann, .mat via scipy.io.savemat, CSV), and the SyntheticDB against ecg_signal.simulate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wfdb_write import sines, wrsamp

from ecg_data.readers.afdb import AFDB, LTAFDB
from ecg_data.readers.apnea_ecg import ApneaECG
from ecg_data.readers.base import ReaderError
from ecg_data.readers.cinc2017 import CINC2017
from ecg_data.readers.cpsc2020 import CPSC2020
from ecg_data.readers.synthetic import SyntheticDB


def _wrann(folder: Path, name: str, ext: str, samples: list[int], symbols: list[str],
           aux: list[str] | None = None) -> None:  # fmt: skip
    import wfdb

    wfdb.wrann(
        name,
        ext,
        np.asarray(samples, dtype=np.int64),
        symbol=symbols,
        aux_note=aux,
        write_dir=str(folder),
    )


# ---------------------------------------------------------------------------- AFDB / LTAFDB


@pytest.fixture(scope="module")
def afdb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("afdb")
    fs, n = 250.0, 25000
    wrsamp(root, "04015", sines(2, n, fs), fs, ["ECG1", "ECG2"])
    _wrann(root, "04015", "atr", [0, 5000, 15000], ["+", "+", "+"], ["(N", "(AFIB", "(N"])
    _wrann(root, "04015", "qrs", list(range(100, n, 200)), ["N"] * len(range(100, n, 200)))
    return root


def test_afdb_reader_rhythms_beats_window(afdb_dir: Path) -> None:
    r = AFDB(afdb_dir)
    assert r.all_records == ["04015"]
    ann = r.load_ann("04015")
    assert ann.rhythms == {"N": [(0, 5000), (15000, 25000)], "AFIB": [(5000, 15000)]}
    np.testing.assert_array_equal(ann.beat_samples, np.arange(100, 25000, 200))
    assert r.af_episodes("04015") == [(5000, 15000)]
    x = r.load_data("04015", leads="ECG2", sampfrom=1000, sampto=1250, units="uV")
    t = np.arange(1000, 1250) / 250.0
    np.testing.assert_allclose(x[0], 1000 * np.sin(2 * np.pi * 2 * t), atol=5.0)
    assert r.database_info.fs == 250.0 and "bibtex" not in r.database_info.bibtex
    with pytest.raises(ReaderError, match=r"window \[sampfrom=24000, sampto=26000\)"):
        r.load_data("04015", sampfrom=24000, sampto=26000)
    meta = r.metadata
    assert meta.loc["04015", "n_leads"] == 2 and meta.loc["04015", "duration_s"] == 100.0


def test_ltafdb_beats_from_atr(tmp_path: Path) -> None:
    fs, n = 128.0, 12800
    wrsamp(tmp_path, "00", sines(2, n, fs), fs, ["ECG1", "ECG2"])
    samples = [10, 128, 256, 384, 6400, 6528]
    _wrann(tmp_path, "00", "atr", samples, ["N", "+", "N", "V", "+", "N"],
           ["", "(AFIB", "", "", "(N", ""])  # fmt: skip
    ann = LTAFDB(tmp_path).load_ann("00")
    np.testing.assert_array_equal(ann.beat_samples, [10, 256, 384, 6528])
    assert ann.beat_symbols == ["N", "N", "V", "N"]
    assert ann.rhythms == {"AFIB": [(128, 6400)], "N": [(6400, 12800)]}


def test_afdb_annotation_past_end_and_truncated_dat(tmp_path: Path) -> None:
    fs, n = 250.0, 2500
    wrsamp(tmp_path, "r1", sines(2, n, fs), fs, ["ECG1", "ECG2"])
    _wrann(tmp_path, "r1", "atr", [0, 9000], ["+", "+"], ["(N", "(AFIB"])
    r = AFDB(tmp_path)
    with pytest.raises(ReaderError, match=r"r1\.atr: annotation at sample 9000 is past the end"):
        r.load_ann("r1")
    dat = tmp_path / "r1.dat"
    dat.write_bytes(dat.read_bytes()[:1000])
    with pytest.raises(ReaderError, match=r"r1\.dat: signal file truncated"):
        AFDB(tmp_path).load_data("r1")


# ---------------------------------------------------------------------------- Apnea-ECG


def test_apnea_ecg_minutes(tmp_path: Path) -> None:
    fs, minutes = 100.0, 5
    n = int(minutes * 60 * fs)
    for rec in ("a01", "c02"):
        wrsamp(tmp_path, rec, sines(1, n, fs), fs, ["ECG"])
        labels = ["N", "A", "A", "N", "N"] if rec == "a01" else ["N"] * 5
        _wrann(tmp_path, rec, "apn", [k * 6000 for k in range(minutes)], labels)
    wrsamp(tmp_path, "a01r", sines(2, n, fs), fs, ["Resp C", "Resp A"])  # respiration: excluded
    r = ApneaECG(tmp_path)
    assert r.all_records == ["a01", "c02"]
    ann = r.load_ann("a01")
    np.testing.assert_array_equal(ann.minute_starts, [0, 6000, 12000, 18000, 24000])
    assert ann.labels == ["N", "A", "A", "N", "N"] and ann.apnea_minutes == 2
    assert r.metadata.loc["c02", "group"] == "control"
    x = r.load_data("a01", sampfrom=6000, sampto=12000, fs=50.0)
    assert x.shape == (1, 3000) and x.dtype == np.float32
    _wrann(tmp_path, "c02", "apn", [0, 6000], ["N", "V"])
    with pytest.raises(ReaderError, match=r"unexpected apnea symbols \['V'\]"):
        ApneaECG(tmp_path).load_ann("c02")
    with pytest.raises(ReaderError, match=r"record 'a1' is not in the database.*'a01'"):
        r.load_data("a1")


# ---------------------------------------------------------------------------- CinC2017


def test_cinc2017_mat_and_reference(tmp_path: Path) -> None:
    folder = tmp_path / "training2017"
    folder.mkdir()
    vals = {"A00001": np.arange(-500, 1000, dtype=np.int16), "A00002": np.full(900, 250, np.int16)}
    for rec, v in vals.items():
        scipy.io.savemat(folder / f"{rec}.mat", {"val": v.reshape(1, -1)})
    (folder / "REFERENCE.csv").write_text("A00001,N\nA00002,A\n")
    r = CINC2017(tmp_path)
    assert r.all_records == ["A00001", "A00002"]
    x = r.load_data("A00001", sampfrom=10, sampto=20)
    np.testing.assert_allclose(x[0], np.arange(-490, -480) / 1000.0)
    assert r.load_ann("A00002") == "A" and r.get_siglen("A00002") == 900
    assert r.metadata.loc["A00001", "labels"] == ["N"]
    assert r.metadata.loc["A00002", "duration_s"] == 3.0
    scipy.io.savemat(folder / "A00003.mat", {"ecg": np.zeros((1, 10))})
    r = CINC2017(tmp_path)
    with pytest.raises(ReaderError, match=r"A00003\.mat: \.mat file has no key 'val'"):
        r.load_data("A00003")
    with pytest.raises(ReaderError, match="no label for record 'A00003'"):
        r.load_ann("A00003")
    (folder / "REFERENCE.csv").write_text("A00001,Z\n")
    with pytest.raises(ReaderError, match=r"line 1 'A00001,Z' is not"):
        CINC2017(tmp_path).load_ann("A00001")


# ---------------------------------------------------------------------------- CPSC2020


def test_cpsc2020_mat_and_refs(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "ref").mkdir()
    sig = np.sin(np.arange(8000) / 40.0).reshape(-1, 1)
    scipy.io.savemat(tmp_path / "data" / "A01.mat", {"ecg": sig})
    scipy.io.savemat(tmp_path / "data" / "A02.mat", {"ecg": sig})
    ref = {"S_ref": np.array([[400], [1200]]), "V_ref": np.array([[3000]])}
    scipy.io.savemat(tmp_path / "ref" / "R01.mat", {"ref": ref})  # struct, as released
    scipy.io.savemat(tmp_path / "ref" / "R02.mat", {"S_ref": np.zeros((0, 1)), "V_ref": [[9000]]})
    r = CPSC2020(tmp_path)
    assert r.all_records == ["A01", "A02"] and r.get_fs("A01") == 400.0
    ann = r.load_ann("A01")
    np.testing.assert_array_equal(ann.spb, [400, 1200])
    np.testing.assert_array_equal(ann.pvc, [3000])
    np.testing.assert_allclose(r.load_data("A01", sampfrom=100, sampto=200)[0], sig[100:200, 0])
    with pytest.raises(ReaderError, match=r"R02\.mat: V_ref position 9000 is outside the signal"):
        r.load_ann("A02")
    scipy.io.savemat(tmp_path / "ref" / "R02.mat", {"S": [[1]]})
    with pytest.raises(ReaderError, match=r"reference file has no \['S_ref', 'V_ref'\]"):
        r.load_ann("A02")


def test_missing_folder_raises(tmp_path: Path) -> None:
    for cls in (AFDB, LTAFDB, ApneaECG, CINC2017, CPSC2020):
        with pytest.raises(ReaderError, match="database folder does not exist"):
            cls(tmp_path / "nope")


# ---------------------------------------------------------------------------- SyntheticDB


def test_synthetic_db_deterministic_and_true_fiducials() -> None:
    from ecg_signal.simulate import simulate_ecg

    db = SyntheticDB(4, leads=("II", "V2"), seed=3)
    assert db.all_records == ["syn_0000", "syn_0001", "syn_0002", "syn_0003"]
    x = db.load_data("syn_0002")
    assert x.shape == (2, 5000) and x.dtype == np.float32
    np.testing.assert_array_equal(x, SyntheticDB(4, leads=("II", "V2"), seed=3).load_data(2))
    assert not np.array_equal(x, SyntheticDB(4, leads=("II", "V2"), seed=4).load_data(2))
    meta = db.metadata
    assert meta["heart_rate"].between(50, 110).all() and meta["heart_rate"].nunique() == 4
    # the record is the middle of an ECGSYN simulation: recompute it from the parameters
    p = db._params("syn_0002")
    sim = simulate_ecg(
        12.0, 500.0, leads=("II", "V2"), heart_rate=p["heart_rate"], hrv_std=p["hrv_std"],
        noise_std=p["noise_std"], baseline_amplitude=p["baseline_amplitude"],
        seed=int(p["sim_seed"]),
    )  # fmt: skip
    np.testing.assert_array_equal(x, sim.signal[:, 500:5500])
    peaks = db.rpeaks("syn_0002")
    ref = sim.r_peak - 500
    np.testing.assert_array_equal(peaks, ref[(ref >= 0) & (ref < 5000)])
    rr = np.diff(peaks) / 500.0
    assert abs(60 / rr.mean() - p["heart_rate"]) < 0.1 * p["heart_rate"]
    waves = db.load_waves("syn_0002", ["ii"])["ii"]
    onsets = [w.onset for w in waves]
    assert onsets == sorted(onsets)
    names = "".join(w.name[0] for w in waves)  # p, q, t repeating in temporal order
    assert "qq" not in names and "pp" not in names and "tt" not in names
    qrs = [w for w in waves if w.name == "qrs"]
    assert [w.peak for w in qrs] == peaks.tolist()
    assert all(w.onset < w.peak < w.offset for w in waves)


def test_synthetic_db_bad_input() -> None:
    with pytest.raises(ValueError, match=r"heart_rate must satisfy 30 <= low <= high <= 200 bpm"):
        SyntheticDB(heart_rate=(20.0, 80.0))
    with pytest.raises(ValueError, match=r"leads must be among"):
        SyntheticDB(leads=("II", "X"))
    with pytest.raises(ValueError, match=r"fs must be in \[50, 10000\] Hz, got 10"):
        SyntheticDB(fs=10)
    db = SyntheticDB(2)
    with pytest.raises(ReaderError, match=r"record 'syn_0005' is not in the database"):
        db.load_data("syn_0005")
    with pytest.raises(ReaderError, match=r"window \[sampfrom=0, sampto=6000\)"):
        db.load_data(0, sampto=6000)


# ---------------------------------------------------------------------------- corrupted files

_WFDB_READERS = {"afdb": (AFDB, "04015"), "ltafdb": (LTAFDB, "00"), "apnea": (ApneaECG, "a01")}


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    which=st.sampled_from(sorted(_WFDB_READERS)),
    target=st.sampled_from(["hea", "dat"]),
    pos=st.integers(0, 300),
    junk=st.binary(min_size=0, max_size=8),
    cut=st.booleans(),
)
def test_corrupted_files_raise_reader_error_or_read_right_shape(
    tmp_path_factory: pytest.TempPathFactory,
    which: str,
    target: str,
    pos: int,
    junk: bytes,
    cut: bool,
) -> None:
    cls, rec = _WFDB_READERS[which]
    d = tmp_path_factory.mktemp("hyp2")
    n_leads = 1 if cls is ApneaECG else 2
    wrsamp(d, rec, sines(n_leads, 1000, 100.0), 100.0, ["ECG"] if n_leads == 1 else ["A", "B"])
    path = d / f"{rec}.{target}"
    raw = path.read_bytes()
    pos = min(pos, len(raw))
    path.write_bytes(raw[:pos] + junk if cut else raw[:pos] + junk + raw[pos + len(junk) :])
    try:
        r = cls(d)
        if not r.all_records:
            return
        data = r.load_data(r.all_records[0])
    except (ReaderError, ValueError, TypeError):
        return
    assert data.dtype == np.float32
    assert data.shape == (r.get_lead_names(0).__len__(), r.get_siglen(0))
