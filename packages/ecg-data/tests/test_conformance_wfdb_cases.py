"""The WFDB reader's cases one by one, on the wfdb-python sample records (``conformance/wfdb``)
against wfdb: skew, units, multi-segment and multi-frequency records, headers without a signal
length, FLAC, format-8 windows, annotations at their own rate, repeated names, metadata."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecg_data.readers.base import ReaderError
from ecg_data.readers.wfdb_base import WFDBReader

pytestmark = pytest.mark.data


def _ref(stem: Path, **kw: object) -> np.ndarray:
    return np.asarray(wfdb.rdrecord(str(stem), return_res=32, **kw).p_signal, np.float32).T


def test_skew_on_format_16_is_applied(reader: WFDBReader, wfdb_dir: Path) -> None:
    skew = reader.load_data("test01_00s_skew")
    plain = reader.load_data("test01_00s")
    # channel 1 (skew 3) is shifted by 3 samples, NaN past the end, like wfdb
    np.testing.assert_array_equal(skew[1, :-3], plain[1, 3:])
    assert np.isnan(skew[1, -3:]).all() and not np.isnan(skew[0]).any()
    np.testing.assert_allclose(skew, _ref(wfdb_dir / "test01_00s_skew"), rtol=1e-6)
    np.testing.assert_array_equal(
        reader.load_data("test01_00s_skew", sampfrom=100, sampto=400), skew[:, 100:400]
    )


def test_multi_segment_fixed_and_variable(reader: WFDBReader, wfdb_dir: Path) -> None:
    fixed = "multi-segment/fixed1/v102s"
    x = reader.load_data(fixed)
    assert x.shape == (4, 225000) and reader.get_units(fixed) == ["mV", "mV", "NU", "NU"]
    ref = _ref(wfdb_dir / fixed)
    np.testing.assert_allclose(x, ref, rtol=1e-6, equal_nan=True)
    # a window across the segment boundary at 75000
    w = reader.load_data(fixed, sampfrom=74000, sampto=76000)
    np.testing.assert_array_equal(w, x[:, 74000:76000])
    var = "s25047-2704-05-04-10-44"
    assert reader.get_lead_names(var) == ["II", "V", "ABP"]
    assert reader.get_units(var) == ["mV", "mV", "mmHg"]
    v = reader.load_data(var, sampfrom=25000, sampto=30000)
    stem = wfdb_dir / "multi-segment" / "s25047" / var
    np.testing.assert_allclose(
        v, _ref(stem, sampfrom=25000, sampto=30000), rtol=1e-6, equal_nan=True
    )
    assert np.isnan(v[2]).any()  # ABP is absent in the first segments


def test_multi_frequency_records_at_frame_rate(reader: WFDBReader, wfdb_dir: Path) -> None:
    for rec in ("test01_00s_frame", "03700181", "mixedsignals"):
        ref = wfdb.rdrecord(str(wfdb_dir / rec), return_res=32)
        assert reader.get_fs(rec) == pytest.approx(ref.fs) and reader.get_siglen(rec) == ref.sig_len
        np.testing.assert_allclose(
            reader.load_data(rec), _ref(wfdb_dir / rec), rtol=1e-5, equal_nan=True
        )


def test_header_without_signal_length(reader: WFDBReader) -> None:
    for short, full in (("100-no-len", "100"), ("a103l-no-len", "a103l")):
        assert reader.get_siglen(short) == reader.get_siglen(full)
        np.testing.assert_array_equal(
            reader.load_data(short, sampfrom=1000, sampto=3000),
            reader.load_data(full, sampfrom=1000, sampto=3000),
        )
    with pytest.raises(ReaderError, match="drive02.dat: signal file .* missing .*no signal length"):
        reader.get_siglen("drive02-no-len")


def test_flac_formats_read_as_wfdb(reader: WFDBReader, wfdb_dir: Path) -> None:
    x = reader.load_data("flacformats")
    np.testing.assert_allclose(x, _ref(wfdb_dir / "flacformats"), rtol=1e-6)
    np.testing.assert_array_equal(
        reader.load_data("flacformats", sampfrom=100, sampto=200), x[:, 100:200]
    )


def test_format_8_window_equals_slice_of_full_read(reader: WFDBReader) -> None:
    full = reader.load_data("binformats", leads=[0])
    for a, b in ((166, 249), (1, 499), (400, 401)):
        np.testing.assert_array_equal(
            reader.load_data("binformats", leads=[0], sampfrom=a, sampto=b), full[:, a:b]
        )


def test_units_convert_voltages_and_keep_other_units(tmp_path: Path) -> None:
    digital = (np.arange(40, dtype="<i2").reshape(8, 5) * 7 - 100).astype("<i2")
    (tmp_path / "u.dat").write_bytes(digital.tobytes())
    (tmp_path / "u.hea").write_text(
        "u 5 100 8\n"
        "u.dat 16 2/nV 16 0 0 0 0 a\n"
        "u.dat 16 2/uV 16 0 0 0 0 b\n"
        "u.dat 16 2/V 16 0 0 0 0 c\n"
        "u.dat 16 2/mmHg 16 0 0 0 0 d\n"
        "u.dat 16 2/µV 16 0 0 0 0 e\n"
    )
    r = WFDBReader(tmp_path)
    phys = digital.T.astype(np.float64) / 2.0
    mv = r.load_data("u")
    np.testing.assert_allclose(mv[0], phys[0] * 1e-6, rtol=1e-6)
    np.testing.assert_allclose(mv[1], phys[1] * 1e-3, rtol=1e-6)
    np.testing.assert_allclose(mv[2], phys[2] * 1e3, rtol=1e-6)
    np.testing.assert_allclose(mv[3], phys[3], rtol=1e-6)  # mmHg stays mmHg
    np.testing.assert_allclose(mv[4], phys[4] * 1e-3, rtol=1e-6)
    assert r.get_units("u") == ["mV", "mV", "mV", "mmHg", "mV"]
    nv = r.load_data("u", units="nV")
    np.testing.assert_allclose(nv[0], phys[0], rtol=1e-6)
    np.testing.assert_allclose(nv[3], phys[3], rtol=1e-6)
    assert r.get_units("u", leads=["d", "a"], units="nV") == ["mmHg", "nV"]
    with pytest.raises(ValueError, match="units must be one of"):
        r.load_data("u", units="mmHg")


def test_annotations_at_their_own_rate_and_all_fields(reader: WFDBReader, wfdb_dir: Path) -> None:
    ann = reader.load_annotation("03700181", "gqrsh")  # 500 Hz on a 125 Hz record
    ref = wfdb.rdann(str(wfdb_dir / "03700181"), "gqrsh")
    assert ann.fs == 500.0 and reader.get_fs("03700181") == 125.0
    np.testing.assert_array_equal(ann.num, ref.num)
    np.testing.assert_array_equal(ann.chan, ref.chan)
    np.testing.assert_array_equal(ann.subtype, ref.subtype)
    assert ann.sample.max() > reader.get_siglen("03700181")  # valid: counted at 500 Hz
    # wfdb's NaN symbols are None, never the string "nan"
    wabp = reader.load_annotation("12726", "wabp")
    ref_w = wfdb.rdann(str(wfdb_dir / "12726"), "wabp")
    nan_at = [k for k, s in enumerate(ref_w.symbol) if isinstance(s, float) and math.isnan(s)]
    assert nan_at and all(wabp.symbol[k] is None for k in nan_at) and "nan" not in wabp.symbol


def test_load_ann_without_the_signal_file(reader: WFDBReader, wfdb_dir: Path) -> None:
    assert not (wfdb_dir / "1003.dat").exists()
    ann = reader.load_ann("1003")
    ref = wfdb.rdann(str(wfdb_dir / "1003"), "atr")
    beats = [k for k, s in enumerate(ref.symbol) if s in "NLRBAaJSVrFejnE/fQ?"]
    np.testing.assert_array_equal(ann.beat_samples, ref.sample[beats])
    with pytest.raises(ReaderError, match=r"1003\.dat: signal file .* missing"):
        reader.load_data("1003")


def test_annotation_past_end_at_its_own_rate_is_refused(tmp_path: Path, wfdb_dir: Path) -> None:
    for name in ("03700181.hea", "03700181.dat", "03700181.gqrsh"):
        shutil.copy(wfdb_dir / name, tmp_path / name)
    (tmp_path / "03700181.hea").write_text(
        (wfdb_dir / "03700181.hea")
        .read_text()
        .replace("03700181 3 125 75000", "03700181 3 125 1000", 1)
    )
    r = WFDBReader(tmp_path)
    with pytest.raises(ReaderError, match=r"gqrsh: annotation at sample \d+ \(at 500 Hz\) is past"):
        r.load_annotation("03700181", "gqrsh")


def test_repeated_names_do_not_hide_a_record(reader: WFDBReader, wfdb_dir: Path) -> None:
    assert "v102s" in reader.all_records and "multi-segment/fixed1/v102s" in reader.all_records
    assert reader.record_path("v102s") == wfdb_dir / "v102s"
    assert reader.get_siglen("v102s") == 75000
    assert reader.get_siglen("multi-segment/fixed1/v102s") == 225000


def test_metadata_names_unreadable_records_and_goes_on(wfdb_dir: Path) -> None:
    r = WFDBReader(wfdb_dir)
    with pytest.warns(UserWarning, match=r"left out of the metadata, unreadable: .*3234460_layout"):
        meta = r.metadata
    assert {"drive02-no-len", "3234460_layout"} <= set(r.unreadable)
    assert "drive02.dat" in r.unreadable["drive02-no-len"]
    assert "100" in meta.index and "multi-segment/fixed1/v102s" in meta.index
    assert len(meta) + len(r.unreadable) == len(r.all_records)


def test_resampling_goes_through_ecg_signal(reader: WFDBReader) -> None:
    from ecg_signal import resample

    native = reader.load_data("100", sampfrom=0, sampto=1001)
    x = reader.load_data("100", sampfrom=0, sampto=1001, fs=500)
    assert x.shape == (2, 1391)  # ceil(1001 * 25 / 18), ecg_signal's length rule
    np.testing.assert_array_equal(x, resample(native, 360, 500))
