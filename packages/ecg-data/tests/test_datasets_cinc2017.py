"""CINC2017Dataset on records written in the challenge's on-disk format (``.mat`` key ``val``,
``REFERENCE.csv``) and on the real sample records: the stratified split and k-fold, crop-or-pad,
whole records, the minimum length, the disk cache, DataLoader workers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io
import scipy.signal
import torch
from torch.utils.data import DataLoader

from ecg_data import CINC2017Dataset, CINC2017TrainConfig, pad_collate, stratified_split
from ecg_data.datasets.base import PreprocCfg
from ecg_data.readers.base import ReaderError

COUNTS = {"N": 20, "A": 10, "O": 10, "~": 5}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cinc2017")
    folder = root / "training2017"
    folder.mkdir()
    rng = np.random.default_rng(0)
    rows = []
    k = 0
    for lab, n in COUNTS.items():
        for _ in range(n):
            k += 1
            rec = f"A{k:05d}"
            length = int(rng.integers(9 * 300, 20 * 300))
            val = (rng.normal(0, 200, length)).astype(np.int16).reshape(1, -1)
            scipy.io.savemat(folder / f"{rec}.mat", {"val": val})
            rows.append(f"{rec},{lab}")
    (folder / "REFERENCE.csv").write_text("\n".join(rows) + "\n")
    return root


def _cfg(db: Path, **kw: object) -> dict[str, object]:
    return {"db_dir": str(db), "fs": 100.0, "input_len": 1500, **kw}


def test_split_is_stratified_disjoint_and_seeded(db: Path) -> None:
    parts = {
        p: CINC2017Dataset(_cfg(db, part=p), training=p == "train")
        for p in ("train", "val", "test")
    }
    recs = [set(d.records) for d in parts.values()]
    assert sum(len(r) for r in recs) == sum(COUNTS.values())
    assert not (recs[0] & recs[1]) and not (recs[0] & recs[2]) and not (recs[1] & recs[2])
    # per class: round(0.2 n) test, round(0.1 n) val
    assert parts["test"].class_counts() == [4, 2, 2, 1]
    assert parts["val"].class_counts() == [2, 1, 1, 0]
    assert parts["train"].class_counts() == [14, 7, 7, 4]
    again = CINC2017Dataset(_cfg(db, part="test"), training=False)
    assert again.records == parts["test"].records
    every = CINC2017Dataset(_cfg(db, part="all"), training=False)
    assert set(every.records) == recs[0] | recs[1] | recs[2]
    other = CINC2017Dataset(_cfg(db, part="test", seed=1), training=False)
    assert other.records != parts["test"].records
    assert other.class_counts() == [4, 2, 2, 1]


def test_kfold_partitions_the_records(db: Path) -> None:
    tests = [
        set(CINC2017Dataset(_cfg(db, n_folds=5, fold=f), training=False).records) for f in range(5)
    ]
    assert sum(len(t) for t in tests) == sum(COUNTS.values())
    assert len(set().union(*tests)) == sum(COUNTS.values())
    for f in range(5):
        train = CINC2017Dataset(_cfg(db, n_folds=5, fold=f), training=True)
        val = CINC2017Dataset(_cfg(db, n_folds=5, fold=f, part="val"), training=False)
        assert not set(train.records) & tests[f] and not set(val.records) & tests[f]
        assert train.class_counts()[0] == 16 - 2  # 4 of the 20 N in the fold, 2 validation
    labels = {f"r{i}": "N" if i % 3 else "A" for i in range(30)}
    folds = [stratified_split(labels, seed=3, n_folds=3, fold=f) for f in range(3)]
    assert all(sum(p == "test" for p in s.values()) == 10 for s in folds)


def test_split_errors() -> None:
    with pytest.raises(ValueError, match="n_folds must be 0"):
        CINC2017TrainConfig(n_folds=1)
    with pytest.raises(ValueError, match=r"fold must be in \[0, 4\]"):
        CINC2017TrainConfig(n_folds=5, fold=5)
    with pytest.raises(ValueError, match="test_ratio \\+ val_ratio must be < 1"):
        CINC2017TrainConfig(test_ratio=0.6, val_ratio=0.5)
    with pytest.raises(ValueError, match="crop must be one of"):
        CINC2017TrainConfig(crop="middle")
    with pytest.raises(ValueError, match="unknown CINC2017TrainConfig key 'input_length'"):
        CINC2017TrainConfig.from_config({"input_length": 3})


def test_training_items_crop_or_pad(db: Path) -> None:
    ds = CINC2017Dataset(_cfg(db), training=True)
    x, y = ds[0]
    assert x.shape == (1, 1500) and x.dtype == torch.float32
    assert y.dtype == torch.int64 and y.ndim == 0 and int(y) == ds.labels[0]
    ds.set_epoch(1)
    x1, _ = ds[0]
    assert not torch.equal(x, x1)  # another random window
    long = CINC2017Dataset(_cfg(db, input_len=5000), training=True)
    n = long.reader.get_siglen(long.records[0]) // 3  # 300 -> 100 Hz
    xl, _ = long[0]
    assert xl.shape == (1, 5000) and bool((xl[0, n + 1 :] == 0).all())  # zero-padded end


def test_whole_records_match_the_reader_and_preprocessing(db: Path) -> None:
    ds = CINC2017Dataset(
        _cfg(db, preproc=PreprocCfg(bandpass=None, normalize=None)), training=False
    )
    rec = ds.records[0]
    x, _ = ds[0]
    raw = ds.reader.load_data(rec)[0]
    ref = scipy.signal.resample_poly(raw, 1, 3)
    assert x.shape == (1, ref.size)
    np.testing.assert_allclose(x[0].numpy(), ref, rtol=1e-4, atol=1e-4)
    filt = CINC2017Dataset(_cfg(db), training=False)
    xf = filt[0][0][0].numpy()
    assert abs(float(xf.mean())) < 1e-3 and float(xf.std()) == pytest.approx(1.0, rel=1e-3)
    cropped = CINC2017Dataset(_cfg(db, eval_whole=False), training=False)
    assert cropped[0][0].shape == (1, 1500)


def test_min_len_error_names_the_minimum(db: Path) -> None:
    ds = CINC2017Dataset(_cfg(db, min_len=10_000), training=False)
    with pytest.raises(
        ValueError, match=r"shorter than the model's minimum input of 10000 samples"
    ):
        ds[0]


def test_bad_reference_label_names_the_line(tmp_path: Path) -> None:
    folder = tmp_path / "training2017"
    folder.mkdir()
    for rec in ("A00001", "A00002"):
        scipy.io.savemat(folder / f"{rec}.mat", {"val": np.zeros((1, 3000), np.int16)})
    (folder / "REFERENCE.csv").write_text("A00001,N\nA00002,X\n")
    with pytest.raises(ReaderError, match=r"line 2 'A00002,X'"):
        CINC2017Dataset({"db_dir": str(tmp_path)})


def test_disk_cache_and_workers(db: Path, tmp_path: Path) -> None:
    cfg = _cfg(db, use_cache=True, cache_dir=str(tmp_path / "cache"))
    ds = CINC2017Dataset(cfg, training=False)
    first = [ds[i][0] for i in range(3)]
    files = list((tmp_path / "cache" / "datasets" / "cinc2017").glob("*.npy"))
    assert len(files) == 3
    again = CINC2017Dataset(cfg, training=False)
    for i in range(3):
        assert torch.equal(again[i][0], first[i])
    loader = DataLoader(ds, batch_size=4, num_workers=2, collate_fn=pad_collate)
    sigs, labels, lengths = next(iter(loader))
    assert sigs.shape[0] == 4 and sigs.shape[-1] == int(lengths.max())
    assert torch.equal(labels, torch.as_tensor(ds.labels[:4]))
    for k in range(4):
        assert torch.equal(sigs[k, :, : int(lengths[k])], ds[k][0])
        assert bool((sigs[k, :, int(lengths[k]) :] == 0).all())


def test_lazy_false_holds_one_copy(db: Path) -> None:
    lazy = CINC2017Dataset(_cfg(db), training=False)
    held = CINC2017Dataset(_cfg(db, lazy=False), training=False)
    assert held._sigs is not None and len(held._sigs) == len(held)
    assert torch.equal(held[2][0], lazy[2][0])


@pytest.mark.data
def test_real_records_split(sample_data: Path) -> None:
    folder = sample_data / "cinc2017"
    train = CINC2017Dataset({"db_dir": str(folder), "fs": 150.0, "input_len": 4500})
    test = CINC2017Dataset({"db_dir": str(folder), "fs": 150.0}, training=False)
    val = CINC2017Dataset({"db_dir": str(folder), "fs": 150.0, "part": "val"}, training=False)
    assert len(train) + len(val) + len(test) == 6993
    assert test.class_counts() == [832, 124, 396, 46]  # 20 % of N 4162, A 622, O 1980, ~ 229
    x, y = test[0]
    n = test.reader.get_siglen(test.records[0])
    assert x.shape == (1, n // 2) and int(y) in range(4)
