"""The disk cache of preprocessed arrays (``use_cache`` / ``cache_dir``) of every Dataset: items
equal the uncached ones bit for bit, ``.npy`` files land in ``<cache_dir>/datasets/<db>`` and
nothing in ``db_dir`` changes, a second instance reads the cache (shown by overwriting the
entries with a known array), and changing a preprocessing field or fs gives new keys.

Real samples (CinC 2020/2021, CPSC 2019, CPSC 2021, MITDB, LUDB) and a PTB-XL fixture written in
its on-disk format (CSV tables + wfdb.wrsamp records)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from wfdb_write import sines
from wfdb_write import write_ptbxl as ptbxl_folder

from ecg_data.datasets._common import ArrayCache, dataset_cache
from ecg_data.datasets.cinc2021 import CINC2020Dataset, CINC2021Dataset, CINC2021TrainConfig
from ecg_data.datasets.cpsc2019 import CPSC2019Dataset, CPSC2019TrainConfig
from ecg_data.datasets.cpsc2021 import CPSC2021Dataset
from ecg_data.datasets.ludb import LUDBDataset, LUDBTrainConfig
from ecg_data.datasets.mitdb import MITDBDataset, MITDBTrainConfig
from ecg_data.datasets.ptbxl import PTBXLDataset, PTBXLTrainConfig


def write_ptbxl(root: Path) -> Path:
    """Four PTB-XL records (folds 1, 2, 9, 10) at 100 and 500 Hz + the two CSV tables."""
    records = [
        (ecg_id, ecg_id, 60, 0, fold, {code: 100.0})
        for ecg_id, fold, code in ((1, 1, "NORM"), (2, 2, "IMI"), (3, 9, "NORM"), (4, 10, "IMI"))
    ]
    return ptbxl_folder(
        root,
        records,
        lambda ecg_id, fs: sines(12, 10 * fs, fs) + 0.1 * ecg_id,
        "NORM,normal,1,,,NORM,NORM\nIMI,inferior mi,1,,,MI,IMI\n",
    )


@pytest.fixture(scope="module")
def ptbxl_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ptbxl(tmp_path_factory.mktemp("ptbxl3"))


# name -> (Dataset class, sample folder or None for the PTB-XL fixture, base config,
#          indices of the items compared, namespace of the cache)
_CASES: dict[str, tuple[Callable[..., Any], str | None, dict[str, Any], list[int], str]] = {
    "cinc2021": (CINC2021Dataset, "cinc2021", {"training": True}, [0, 1], "cinc2021"),
    "cinc2020": (CINC2020Dataset, "cinc2021", {"training": False}, [0], "cinc2020"),
    "cpsc2019": (CPSC2019Dataset, "cpsc2019", {"fs": 250.0, "input_len": 2500}, [0, 2], "cpsc2019"),
    "cpsc2021": (CPSC2021Dataset, "cpsc2021", {"input_len": 1000}, [0, 3], "cpsc2021"),
    "mitdb": (MITDBDataset, "mitdb", {"split": "none"}, [0, 5, -1], "mitdb"),
    "ludb": (LUDBDataset, "ludb", {"leads": ("ii", "v1"), "train_ratio": 0.5}, [0, 1], "ludb"),
    "ptbxl": (PTBXLDataset, None, {"task": "superdiagnostic"}, [0, 1], "ptb-xl"),
}


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder``: relative path -> (size, mtime in ns)."""
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _items(ds: Any, idx: list[int]) -> list[tuple[torch.Tensor, ...]]:
    return [tuple(ds[i]) for i in idx]


def _assert_bit_equal(a: list[tuple[torch.Tensor, ...]], b: list[tuple[torch.Tensor, ...]]) -> None:
    for ta, tb in zip(a, b, strict=True):
        assert len(ta) == len(tb)
        for x, y in zip(ta, tb, strict=True):
            assert x.dtype == y.dtype and x.shape == y.shape
            assert torch.equal(x, y)


@pytest.mark.data
@pytest.mark.parametrize("name", sorted(_CASES))
def test_dataset_disk_cache(name: str, sample_data: Path, ptbxl_dir: Path, tmp_path: Path) -> None:
    cls, folder, base, idx, namespace = _CASES[name]
    db = ptbxl_dir if folder is None else sample_data / folder
    cfg = {"db_dir": str(db), **base}
    before = _snapshot(db)
    ref = _items(cls(cfg), idx)

    cache_dir = tmp_path / "cache"
    cached_cfg = {**cfg, "use_cache": True, "cache_dir": str(cache_dir)}
    first = cls(cached_cfg)
    _assert_bit_equal(_items(first, idx), ref)
    entries = sorted((cache_dir / "datasets" / namespace).glob("*.npy"))
    assert entries, f"no .npy written under {cache_dir}"
    assert sorted(p for p in cache_dir.rglob("*") if p.is_file()) == entries  # no temp files
    # the second pass of the same instance and a new instance give the same items
    _assert_bit_equal(_items(first, idx), ref)
    _assert_bit_equal(_items(cls(cached_cfg), idx), ref)
    assert _snapshot(db) == before, "db_dir changed"

    # a new instance reads the entries: overwrite them with 7s of the same shape
    for p in entries:
        np.save(p, np.full(np.load(p).shape, 7.0, dtype=np.float32))
    for sig, *_ in _items(cls(cached_cfg), idx):
        values = set(np.unique(sig.numpy()).tolist())
        assert 7.0 in values and values <= {0.0, 7.0}, (name, sorted(values)[:5])
    assert sorted((cache_dir / "datasets" / namespace).glob("*.npy")) == entries

    # another preprocessing gives new keys (and the real, not the overwritten, signal)
    other = cls({**cached_cfg, "preproc": {"bandpass": (1.0, 30.0), "normalize": None}})
    sig = _items(other, idx[:1])[0][0]
    assert not torch.all((sig == 7.0) | (sig == 0.0))
    new = sorted((cache_dir / "datasets" / namespace).glob("*.npy"))
    assert set(entries) < set(new)
    assert _snapshot(db) == before, "db_dir changed"


@pytest.mark.data
def test_cache_key_changes_with_fs_and_leads(sample_data: Path, tmp_path: Path) -> None:
    db = sample_data / "ludb"
    cfg = {"db_dir": str(db), "leads": ("ii",), "use_cache": True, "cache_dir": str(tmp_path)}
    ns = tmp_path / "datasets" / "ludb"

    def n_entries() -> int:
        return len(list(ns.glob("*.npy")))

    LUDBDataset(cfg)[0]
    assert n_entries() == 1
    LUDBDataset(cfg)[0]
    assert n_entries() == 1
    x = LUDBDataset({**cfg, "fs": 250.0, "input_len": 2000})[0][0]
    assert n_entries() == 2 and x.shape == (1, 2000)
    LUDBDataset({**cfg, "leads": ("ii", "v1")})[0]
    assert n_entries() == 3
    LUDBDataset({**cfg, "preproc": {"order": 2}})[0]
    assert n_entries() == 4


def test_ptbxl_cache_sampling_rate_and_db_dir(ptbxl_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "c"
    cfg = {"db_dir": str(ptbxl_dir), "use_cache": True, "cache_dir": str(cache)}
    lo = PTBXLDataset(cfg)
    hi = PTBXLDataset({**cfg, "sampling_rate": 500})
    ref_lo = PTBXLDataset({**cfg, "use_cache": False})[0]
    ref_hi = PTBXLDataset({**cfg, "sampling_rate": 500, "use_cache": False})[0]
    _assert_bit_equal([tuple(lo[0]), tuple(hi[0])], [tuple(ref_lo), tuple(ref_hi)])
    # records100 and records500 give distinct entries (same record name, same fs of the items)
    assert len(list((cache / "datasets" / "ptb-xl").glob("*.npy"))) == 2
    with pytest.raises(ValueError, match=r"cache_dir must not be inside db_dir"):
        PTBXLDataset({**cfg, "cache_dir": str(ptbxl_dir / "cache")})
    assert not (ptbxl_dir / "cache").exists()
    # the reader's metadata cache folder is cache_dir itself
    assert lo.reader.cache_dir == cache


def test_a_record_rewritten_in_place_gets_a_new_entry(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    import shutil

    import wfdb

    db = tmp_path / "ptbxl"
    shutil.copytree(write_ptbxl(tmp_path_factory.mktemp("ptbxl_src")), db)
    cache = tmp_path / "c"
    cfg = {"db_dir": str(db), "use_cache": True, "cache_dir": str(cache)}
    ds = PTBXLDataset(cfg)
    before = ds[0][0].clone()
    stem = ds.reader.record_path(ds.records[0])
    rec = wfdb.rdrecord(str(stem))
    wfdb.wrsamp(  # the same record with every sample doubled, written in place
        stem.name,
        fs=rec.fs,
        units=rec.units,
        sig_name=rec.sig_name,
        p_signal=2 * rec.p_signal,
        fmt=rec.fmt,
        write_dir=str(stem.parent),
    )
    os.utime(stem.with_name(stem.name + ".hea"), ns=(1, 1))  # mtime differs even on coarse clocks
    after = PTBXLDataset(cfg)[0][0]
    assert len(list((cache / "datasets" / "ptb-xl").glob("*.npy"))) == 2
    assert not torch.equal(before, after)


def test_cache_defaults_and_config_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for cfg_cls in (
        CINC2021TrainConfig,
        CPSC2019TrainConfig,
        LUDBTrainConfig,
        MITDBTrainConfig,
        PTBXLTrainConfig,
    ):
        c = cfg_cls.from_config({})
        assert c.use_cache is False and c.cache_dir is None
        with pytest.raises(TypeError, match=r"use_cache must be a bool, got 'yes'"):
            cfg_cls.from_config({"use_cache": "yes"})
        with pytest.raises(TypeError, match=r"cache_dir must be a path .* got int"):
            cfg_cls.from_config({"cache_dir": 3})
    monkeypatch.setenv("ECG_SUITE_CACHE", str(tmp_path / "default"))
    cache = dataset_cache(True, None, "ludb")
    assert cache.folder == tmp_path / "default" / "datasets" / "ludb"
    assert dataset_cache(False, str(tmp_path), "ludb").folder is None
    assert not (tmp_path / "default").exists()  # nothing created before a write


def test_synthetic_default_datasets_use_cache(tmp_path: Path) -> None:
    cfg = {
        "synthetic_records": 4,
        "train_ratio": 0.5,
        "use_cache": True,
        "cache_dir": str(tmp_path),
    }
    a = CPSC2019Dataset(cfg)[0]
    b = CPSC2019Dataset({**cfg, "use_cache": False})[0]
    _assert_bit_equal([tuple(a)], [tuple(b)])
    # another seed is another synthetic database: another key
    CPSC2019Dataset({**cfg, "seed": 7})[0]
    assert len(list((tmp_path / "datasets" / "cpsc2019").glob("*.npy"))) == 2
    la = LUDBDataset({**cfg, "leads": ("ii",)})[0]
    lb = LUDBDataset({**cfg, "leads": ("ii",), "use_cache": False})[0]
    _assert_bit_equal([tuple(la)], [tuple(lb)])
    assert list((tmp_path / "datasets" / "ludb").glob("*.npy"))
    assert os.listdir(tmp_path) == ["datasets"]
    assert ArrayCache.key({"a": 1}) != ArrayCache.key({"a": 2})
