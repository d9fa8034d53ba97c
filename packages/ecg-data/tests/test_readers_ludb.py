"""LUDB reader on the real records: waves without onset or offset are read (boundary -1, one
warning per record), corrupted annotation files still raise ReaderError."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecg_data import LUDB, ReaderError
from ecg_data.readers.ludb import MISSING, wave_mask

pytestmark = pytest.mark.data

INCOMPLETE = ("7", "8", "34", "95", "104", "111", "116")


def _load(r: LUDB, rec: str, leads: list[str] | None = None) -> tuple[dict, list[str]]:  # type: ignore[type-arg]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ann = r.load_ann(rec, leads)
    return ann, [str(w.message) for w in caught if "LUDB record" in str(w.message)]


def test_records_with_incomplete_waves_are_read(sample_data: Path) -> None:
    r = LUDB(sample_data / "ludb")
    assert len(r.all_records) == 160
    for rec in INCOMPLETE:
        ann, msgs = _load(r, rec)
        assert len(ann) == 12
        incomplete = [(lead, w) for lead, ws in ann.items() for w in ws if not w.complete]
        assert incomplete, rec
        assert len(msgs) == 1 and msgs[0].startswith(f"LUDB record {rec}:")
        for lead, w in incomplete:
            assert f"{lead} {w.name} at sample {w.peak} has no" in msgs[0]
        # once per record (and reader)
        assert _load(r, rec)[1] == []
    # record 7, lead v1: a QRS peak at sample 968 without its '(' onset
    v1 = r.load_ann("7", ["v1"])["v1"]
    first = v1[0]
    assert (first.name, first.onset, first.peak, first.offset) == ("qrs", MISSING, 968, 996)
    ref = wfdb.rdann(str(sample_data / "ludb" / "data" / "7"), "v1")
    assert len(v1) == sum(s in "pNt" for s in ref.symbol)
    assert [w.peak for w in v1] == [int(x) for x, s in zip(ref.sample, ref.symbol) if s in "pNt"]


def test_complete_records_match_wfdb_triplets(sample_data: Path) -> None:
    r = LUDB(sample_data / "ludb")
    for rec in ("1", "50", "160"):
        ann, msgs = _load(r, rec)
        assert msgs == []
        for lead, waves in ann.items():
            ref = wfdb.rdann(str(sample_data / "ludb" / "data" / rec), lead)
            s, y = ref.sample, list(ref.symbol)
            trip = [
                (int(s[k - 1]), int(s[k]), int(s[k + 1])) for k in range(len(y)) if y[k] in "pNt"
            ]
            assert [(w.onset, w.peak, w.offset) for w in waves] == trip
            assert all(w.complete for w in waves)


def test_wave_mask_unknown_spans(sample_data: Path) -> None:
    r = LUDB(sample_data / "ludb")
    waves = r.load_ann("7", ["v1"])["v1"]
    old = wave_mask(waves, 5000)
    assert set(np.unique(old)) <= {0, 1, 2, 3}
    m = wave_mask(waves, 5000, unknown=-1, edge_margin=20)
    first = waves[0]  # QRS without onset: unknown from the record start up to its peak
    assert (m[: first.peak] == -1).all() and (m[first.peak : first.offset + 1] == 2).all()
    # QRS at 1765 without onset, after the T wave ending at 1659: unknown in between
    q = next(w for w in waves if w.peak == 1765)
    prev = max((w for w in waves if w.peak < 1765), key=lambda w: w.peak)
    assert (m[prev.offset + 1 : q.peak] == -1).all()
    last_mark = max(w.offset if w.offset >= 0 else w.peak for w in waves)
    assert (m[last_mark + 1 : last_mark + 21] == 0).all() and (m[last_mark + 21 :] == -1).all()
    complete = r.load_ann("1", ["ii"])["ii"]
    m1 = wave_mask(complete, 5000, unknown=-1)
    inside = slice(complete[0].onset, complete[-1].offset + 1)
    np.testing.assert_array_equal(m1[inside], wave_mask(complete, 5000)[inside])
    assert (m1[: complete[0].onset] == -1).all()


def test_corrupted_annotation_files_raise(sample_data: Path, tmp_path: Path) -> None:
    d = tmp_path / "ludb" / "data"
    d.mkdir(parents=True)
    for f in (sample_data / "ludb" / "data").glob("7.*"):
        shutil.copy(f, d / f.name)
    (d / "7.v1").write_bytes(b"\x00\xfc\xff\xff\x12")  # not a WFDB annotation file
    with pytest.raises(ReaderError, match=r"7\.v1"):
        LUDB(d.parent).load_ann("7", ["v1"])
    wfdb.wrann("7", "ii", np.array([10, 20, 9000]), np.array(["(", "N", ")"]), write_dir=str(d))
    with pytest.raises(ReaderError, match=r"7\.ii.*past the end"):
        LUDB(d.parent).load_ann("7", ["ii"])
    (d / "7.v2").unlink()
    with pytest.raises(ReaderError, match=r"7\.v2.*missing"):
        LUDB(d.parent).load_ann("7", ["v2"])


@pytest.mark.slow
def test_every_shared_record_is_read(sample_data: Path) -> None:
    r = LUDB(sample_data / "ludb")
    warned = set()
    for rec in r.all_records:
        ann, msgs = _load(r, rec)
        assert len(ann) == 12
        if msgs:
            warned.add(rec)
    assert warned == set(INCOMPLETE)
