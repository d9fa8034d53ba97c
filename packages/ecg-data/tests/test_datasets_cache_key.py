"""The Dataset cache key stamps every file a record's signal is read from: a signal file
rewritten in place (its header untouched) gives a new key and a fresh item."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from ecg_data.datasets._common import record_description, record_files
from ecg_data.datasets.ptbxl import PTBXLDataset
from ecg_data.readers.cpsc2019 import CPSC2019

from .test_datasets_cache import write_ptbxl


def _rewrite_keeping(path: Path, data: bytes, keep: list[Path]) -> None:
    """Write ``data`` into ``path`` in place; the files of ``keep`` keep bytes and times."""
    saved = {p: (p.read_bytes(), p.stat().st_atime_ns, p.stat().st_mtime_ns) for p in keep}
    old = path.stat().st_mtime_ns
    with path.open("r+b") as fh:
        fh.write(data)
    os.utime(path, ns=(old + 10**9, old + 10**9))  # a later mtime even on coarse clocks
    for p, (raw, at, mt) in saved.items():
        if p.read_bytes() != raw:
            p.write_bytes(raw)
        os.utime(p, ns=(at, mt))


def test_a_signal_file_rewritten_under_an_unchanged_header_gives_a_new_entry(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    db = tmp_path / "ptbxl"
    shutil.copytree(write_ptbxl(tmp_path_factory.mktemp("ptbxl_src")), db)
    cache = tmp_path / "c"
    cfg = {"db_dir": str(db), "use_cache": True, "cache_dir": str(cache)}
    ds = PTBXLDataset(cfg)
    rec = ds.records[0]
    before = ds[0][0].clone()
    stem = ds.reader.record_path(rec)
    hea = stem.with_name(stem.name + ".hea")
    files = record_files(ds.reader, rec)
    dat = next(p for p in files if p.suffix == ".dat")
    assert hea in files
    desc = record_description(ds.reader, rec, ds.fs, ["I"], ds.config.preproc)
    raw = np.frombuffer(dat.read_bytes(), dtype="<i2")
    _rewrite_keeping(dat, (-raw).astype("<i2").tobytes(), keep=[hea])  # same size, new samples
    assert record_description(ds.reader, rec, ds.fs, ["I"], ds.config.preproc) != desc
    after = PTBXLDataset(cfg)[0][0]
    assert not torch.equal(before, after)
    assert len(list((cache / "datasets" / "ptb-xl").glob("*.npy"))) >= 2


def test_files_of_a_mat_record_and_its_reference(tmp_path: Path) -> None:
    import scipy.io as sio

    (tmp_path / "data").mkdir()
    (tmp_path / "ref").mkdir()
    sio.savemat(tmp_path / "data" / "data_00001.mat", {"ecg": np.ones((5000, 1))})
    sio.savemat(tmp_path / "ref" / "R_00001.mat", {"R_peak": np.array([[300], [800]])})
    reader = CPSC2019(tmp_path)
    assert record_files(reader, "data_00001") == [
        tmp_path / "data" / "data_00001.mat",
        tmp_path / "ref" / "R_00001.mat",
    ]
