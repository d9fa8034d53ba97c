"""Every record and annotation file of the wfdb-python sample data (``conformance/wfdb``) through
our WFDB reader and through wfdb itself: equal header fields, equal values (float32 tolerance),
equal annotations; where wfdb cannot read a record either, a ReaderError naming the file."""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import wfdb

from ecg_data.readers._wfdb_ann import read_wfdb_annotation
from ecg_data.readers.base import ReaderError, voltage_scale
from ecg_data.readers.wfdb_base import WFDBReader

pytestmark = pytest.mark.data

_ROOT = Path(__file__).resolve().parents[3]


def _conformance_wfdb() -> Path:
    value = os.environ.get("ECG_CONFORMANCE_DATA")
    return (Path(value) if value else _ROOT.parent / "shared" / "conformance") / "wfdb"


def _headers() -> list[str]:
    d = _conformance_wfdb()
    found = sorted(p.relative_to(d).with_suffix("").as_posix() for p in d.rglob("*.hea"))
    return found or ["<conformance folder absent>"]


def _signal_files(d: Path) -> set[Path]:
    files: set[Path] = set()
    for hea in d.rglob("*.hea"):
        for line in hea.read_text(errors="ignore").splitlines()[1:]:
            parts = line.split()
            if parts and not line.startswith("#"):
                files.add(hea.parent / parts[0])
    return files


def _annotation_files() -> list[str]:
    d = _conformance_wfdb()
    if not d.is_dir():
        return ["<conformance folder absent>"]
    signals = _signal_files(d)
    return sorted(
        p.relative_to(d).as_posix()
        for p in d.rglob("*")
        if p.is_file() and p.suffix not in (".hea", ".edf") and p not in signals
    )


def _rec_name(reader: WFDBReader, stem: Path) -> str:
    names = [r for r in reader.all_records if reader.record_path(r) == stem]
    assert len(names) == 1, f"{stem} is listed {len(names)} times"
    return names[0]


def _wfdb_read(stem: Path, **kw: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return wfdb.rdrecord(str(stem), return_res=32, **kw)


def _assert_close(ours: np.ndarray, ref: np.ndarray, what: str) -> None:
    assert ours.shape == ref.shape, what
    assert np.array_equal(np.isnan(ours), np.isnan(ref)), f"{what}: NaN positions differ"
    ok = ~np.isnan(ref)
    if ok.any():
        scale = max(1.0, float(np.abs(ref[ok]).max()))
        np.testing.assert_allclose(ours[ok], ref[ok], rtol=1e-5, atol=1e-6 * scale, err_msg=what)


def _to_mv(ref: Any, channels: list[int]) -> np.ndarray:
    """wfdb's p_signal of ``channels`` (leads, samples), voltage signals in mV."""
    sig = np.asarray(ref.p_signal, dtype=np.float32).T
    factors = [
        1.0 / (voltage_scale(str(ref.units[c] or "mV")) or 1.0) for c in range(len(channels))
    ]
    return sig * np.asarray(factors, dtype=np.float32)[:, None]


@pytest.mark.parametrize("rel", _headers())
def test_record_equals_wfdb(reader: WFDBReader, wfdb_dir: Path, rel: str) -> None:
    stem = wfdb_dir / rel
    rec = _rec_name(reader, stem)
    try:
        ref = _wfdb_read(stem)
    except Exception as exc:  # wfdb cannot read it: we refuse it, naming the file and why
        with pytest.raises(ReaderError) as info:
            reader.load_data(rec)
        missing = getattr(exc, "filename", None)
        if missing:
            assert Path(info.value.path).name == Path(missing).name
            assert "missing" in info.value.problem
        else:
            assert Path(info.value.path).name == stem.name + ".hea"
        hdr = wfdb.rdheader(str(stem))
        if hdr.sig_len:  # the header alone gives every field: equal to wfdb's
            assert reader.get_fs(rec) == pytest.approx(float(hdr.fs))
            assert reader.get_siglen(rec) == hdr.sig_len
            # a signal without a name is "ch<k>"
            names = [n if n is not None else f"ch{k}" for k, n in enumerate(hdr.sig_name)]
            assert reader.get_lead_names(rec) == names
            native = [str(u or "mV") for u in hdr.units]
            assert reader.get_units(rec) == ["mV" if voltage_scale(u) else u for u in native]
            assert reader.header_comments(rec) == list(hdr.comments or [])
        return
    # header fields
    assert reader.get_fs(rec) == pytest.approx(float(ref.fs))
    assert reader.get_siglen(rec) == ref.sig_len
    assert reader.get_lead_names(rec) == list(ref.sig_name)
    native = [str(u or "mV") for u in ref.units]
    assert reader.get_units(rec) == ["mV" if voltage_scale(u) else u for u in native]
    assert reader.get_units(rec, units="uV") == ["uV" if voltage_scale(u) else u for u in native]
    if ref.comments:
        assert reader.header_comments(rec) == list(ref.comments)
    # values: the full record, a window, and one channel of a window
    chans = list(range(ref.n_sig))
    _assert_close(reader.load_data(rec), _to_mv(ref, chans), f"{rel} full")
    n = ref.sig_len
    a, b = n // 3, max(n // 3 + 1, n // 2)
    full_mv = _to_mv(ref, chans)
    _assert_close(reader.load_data(rec, sampfrom=a, sampto=b), full_mv[:, a:b], f"{rel} window")
    last = ref.n_sig - 1
    if "no-len" in rel:  # wfdb windows only records whose header gives the length
        win = _to_mv(_wfdb_read(stem, channels=[last]), [last])[:, a:b]
    else:
        win = _to_mv(_wfdb_read(stem, sampfrom=a, sampto=b, channels=[last]), [last])
    if rel != "binformats":  # wfdb's own format-8 windows restart the differences
        ours = reader.load_data(rec, leads=[last], sampfrom=a, sampto=b)
        _assert_close(ours, win, f"{rel} window, channel {last}")


def _same_annotation(path: Path, ours: Any) -> None:
    stem, _, ext = path.name.rpartition(".")
    ref = wfdb.rdann(str(path.with_name(stem)), ext)
    np.testing.assert_array_equal(ours.sample, ref.sample)
    ref_symbols = [
        None if isinstance(s, float) and math.isnan(s) else s for s in (ref.symbol or [])
    ]
    assert ours.symbol == ref_symbols
    np.testing.assert_array_equal(ours.subtype, ref.subtype)
    np.testing.assert_array_equal(ours.chan, ref.chan)
    np.testing.assert_array_equal(ours.num, ref.num)
    assert ours.aux_note == [a or "" for a in (ref.aux_note or [""] * len(ref.sample))]
    if ref.fs:
        assert ours.fs == float(ref.fs)


@pytest.mark.parametrize("rel", _annotation_files())
def test_annotation_file_equals_wfdb(reader: WFDBReader, wfdb_dir: Path, rel: str) -> None:
    path = wfdb_dir / rel
    _same_annotation(path, read_wfdb_annotation(path))
    stem = path.with_name(path.name.rpartition(".")[0])
    if stem.with_name(stem.name + ".hea").is_file():
        # through the reader: needs the header only, never the signal file
        rec = _rec_name(reader, stem)
        _same_annotation(path, reader.load_annotation(rec, path.suffix[1:]))
