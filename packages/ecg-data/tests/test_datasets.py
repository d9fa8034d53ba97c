"""torch Datasets over the real samples: shapes, labels against the references, splits, configs."""

from __future__ import annotations

from copy import deepcopy
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import torch
from torch.utils.data import DataLoader

from ecg_data.datasets.base import AugmentCfg, PreprocCfg, apply_preproc, fix_length, split_records
from ecg_data.datasets.cinc2021 import (
    CINC2020Dataset,
    CINC2021Dataset,
    CINC2021TrainCfg,
    CINC2021TrainConfig,
)
from ecg_data.datasets.cpsc2019 import (
    CPSC2019Dataset,
    CPSC2019TrainCfg,
    CPSC2019TrainConfig,
    qrs_mask,
)
from ecg_data.readers.cinc2021 import CINC2021
from ecg_data.readers.ludb import LUDB, wave_mask


def test_config_from_rejects_unknown_and_validates() -> None:
    with pytest.raises(
        ValueError, match=r"unknown CINC2021TrainConfig key 'input_lenn'.*'input_len'.*allowed keys"
    ):
        CINC2021TrainConfig.from_config({"input_lenn": 10})
    with pytest.raises(ValueError, match="leads as a count must be one of"):
        CINC2021TrainConfig.from_config({"leads": 5})
    with pytest.raises(ValueError, match="train_ratio must be a fraction"):
        CPSC2019TrainConfig.from_config({"train_ratio": 1.5})
    with pytest.raises(ValueError, match="bandpass must satisfy lowcut < highcut"):
        PreprocCfg(bandpass=(40.0, 1.0))
    cfg = CINC2021TrainConfig.from_config({"leads": 3, "preproc": {"normalize": None}})
    assert cfg.leads == ("I", "II", "V2") and cfg.preproc.normalize is None
    # copy-and-edit re-validates when a Dataset is built
    c = deepcopy(CINC2021TrainCfg)
    c.input_len = -3
    with pytest.raises(ValueError, match="input_len must be an integer >= 16"):
        CINC2021Dataset(c)


def test_split_is_deterministic_and_disjoint() -> None:
    groups = {f"r{k}": f"s{k // 3}" for k in range(300)}
    tr = split_records(groups, 0.8, 1, True)
    va = split_records(groups, 0.8, 1, False)
    assert set(tr).isdisjoint(va) and len(tr) + len(va) == 300
    assert {groups[r] for r in tr}.isdisjoint({groups[r] for r in va})  # subject-disjoint
    assert tr == split_records(groups, 0.8, 1, True) and tr != split_records(groups, 0.8, 2, True)
    assert 0.7 < len(tr) / 300 < 0.9


def test_fix_length_and_qrs_mask() -> None:
    x = np.arange(10, dtype=np.float32)[None]
    y, s = fix_length(x, 4, 3)
    assert s == 3 and y.tolist() == [[3, 4, 5, 6]]
    y, s = fix_length(x, 12)
    assert y.shape == (1, 12) and y[0, 10:].tolist() == [0, 0]
    m = qrs_mask(np.array([5, 50]), 60, 2, reduction=1)
    assert m.shape == (60, 1) and m.sum() == 10 and m[3:8, 0].all() and not m[8, 0]


def test_apply_preproc_matches_scipy() -> None:
    from scipy.signal import butter, sosfiltfilt

    x = np.random.default_rng(0).normal(size=(2, 2000)).astype(np.float32)
    got = apply_preproc(x, 500.0, PreprocCfg(bandpass=(0.5, 45.0), order=3, normalize=None))
    ref = sosfiltfilt(
        butter(3, [0.5, 45.0], btype="bandpass", fs=500.0, output="sos"), x.astype(np.float64)
    )
    np.testing.assert_allclose(got, ref, atol=1e-5)
    z = apply_preproc(x, 500.0, PreprocCfg(bandpass=None))
    np.testing.assert_allclose(z.mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(axis=1), 1, atol=1e-4)


@pytest.mark.data
def test_cpsc2019_dataset(sample_data: Path) -> None:
    c = deepcopy(CPSC2019TrainCfg)
    c.db_dir = str(sample_data / "cpsc2019")
    c.preproc = PreprocCfg(bandpass=None, normalize=None)
    tr = CPSC2019Dataset(c, training=True, lazy=False)
    va = CPSC2019Dataset(c, training=False)
    assert len(tr) + len(va) == 40 and set(tr.records).isdisjoint(va.records)
    x, y = va[0]
    rec = va.records[0]
    num = rec.split("_")[1]
    ecg = scipy.io.loadmat(str(sample_data / "cpsc2019" / "data" / f"{rec}.mat"))["ecg"].ravel()
    peaks = scipy.io.loadmat(str(sample_data / "cpsc2019" / "ref" / f"R_{num}.mat"))[
        "R_peak"
    ].ravel()
    assert x.shape == (1, 5000) and x.dtype == torch.float32 and y.shape == (5000, 1)
    np.testing.assert_allclose(x[0].numpy(), ecg.astype(np.float32))
    # every R peak is inside a QRS region of 2 * 37.5 + 1 samples
    assert all(y[int(p), 0] == 1 for p in peaks)
    expected = qrs_mask(peaks.astype(np.int64), 5000, 38)
    np.testing.assert_array_equal(y.numpy(), expected)
    np.testing.assert_array_equal(va.rpeaks(0), np.sort(peaks))
    # reduction and resampling
    c.fs, c.input_len, c.reduction = 250.0, 2500, 5
    d = CPSC2019Dataset(c, training=False)
    x2, y2 = d[0]
    assert x2.shape == (1, 2500) and y2.shape == (500, 1)
    np.testing.assert_array_equal(d.rpeaks(0), np.round(np.sort(peaks) / 2).astype(np.int64))


@pytest.mark.data
def test_cinc2021_dataset(sample_data: Path) -> None:
    config = deepcopy(CINC2021TrainCfg)
    config.db_dir = str(sample_data / "cinc2021")
    config.leads = 6
    config.input_len = 4000
    config.augment = AugmentCfg(noise_std=0.01)
    tr = CINC2021Dataset(config, training=True, lazy=False)
    va = CINC2021Dataset(config, training=False, lazy=True)
    assert len(tr) + len(va) == 38 and set(tr.records).isdisjoint(va.records)
    x, y = va[0]
    assert x.shape == (6, 4000) and y.shape == (26,) and x.dtype == torch.float32
    reader = CINC2021(sample_data / "cinc2021")
    np.testing.assert_array_equal(y.numpy(), reader.multi_hot(va.records[0]))
    assert torch.isfinite(x).all() and x.std(dim=1).min() > 0.5  # z-scored
    # augmentation draws depend on (seed, epoch, index) only
    a1, a2 = tr[0][0], tr[0][0]
    torch.testing.assert_close(a1, a2)
    tr.set_epoch(1)
    assert not torch.equal(a1, tr[0][0])
    batch = next(iter(DataLoader(tr, batch_size=4)))
    assert batch[0].shape == (4, 6, 4000) and batch[1].shape == (4, 26)
    assert CINC2020Dataset({"db_dir": str(sample_data / "cinc2021")}, training=False)[0][
        1
    ].shape == (24,)


@pytest.mark.data
def test_ludb_waves(sample_data: Path) -> None:
    import wfdb

    r = LUDB(sample_data / "ludb")
    assert len(r.all_records) == 160
    waves = r.load_ann("1", ["ii"])["ii"]
    ann = wfdb.rdann(str(sample_data / "ludb" / "data" / "1"), "ii")
    assert len(waves) == sum(s in "pNt" for s in ann.symbol) == 16
    assert waves[0].name == "qrs" and (waves[0].onset, waves[0].peak, waves[0].offset) == tuple(
        int(v) for v in ann.sample[:3]
    )
    mask = wave_mask(waves, 5000)
    assert (mask == 2).sum() == sum(w.offset - w.onset + 1 for w in waves if w.name == "qrs")
    assert r.metadata.loc["1", "rhythm"] == "Sinus bradycardia"
