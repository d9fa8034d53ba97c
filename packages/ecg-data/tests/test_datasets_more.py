"""Second-round Datasets (CPSC2021, LUDB, MITDB, PTB-XL) against reader references, on the real
samples and on a PTB-XL fixture written in its true on-disk format."""

from __future__ import annotations

import json
from copy import deepcopy
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader
from wfdb_write import sines
from wfdb_write import write_ptbxl as ptbxl_folder

from ecg_data.datasets._common import ArrayCache, window_starts
from ecg_data.datasets.cpsc2019 import CPSC2019Dataset, CPSC2019TrainCfg
from ecg_data.datasets.cpsc2021 import CPSC2021Dataset, CPSC2021TrainCfg, CPSC2021TrainConfig
from ecg_data.datasets.ludb import LUDBDataset, LUDBTrainCfg, LUDBTrainConfig
from ecg_data.datasets.mitdb import AAMI_MAP, MITDBDataset, MITDBTrainConfig
from ecg_data.datasets.ptbxl import PTBXLDataset, PTBXLTrainConfig
from ecg_data.readers.base import ReaderError
from ecg_data.readers.cpsc2021 import CPSC2021
from ecg_data.readers.ludb import LUDB, wave_mask
from ecg_data.readers.ptbxl import PTBXL

# ---------------------------------------------------------------------------- helpers


def test_window_starts_cover_signal() -> None:
    assert window_starts(10, 4, 2) == [0, 2, 4, 6]
    assert window_starts(11, 4, 4) == [0, 4, 7]
    assert window_starts(3, 4, 2) == [0]


def test_array_cache_roundtrip(tmp_path: Path) -> None:
    cache = ArrayCache(tmp_path, "t")
    desc = {"rec": "a", "fs": 200.0}
    assert cache.get(desc) is None
    arr = np.arange(6, dtype=np.float32).reshape(2, 3)
    cache.put(desc, arr)
    np.testing.assert_array_equal(cache.get(desc), arr)
    assert cache.get({"rec": "b", "fs": 200.0}) is None
    assert not list(tmp_path.glob("t/*.tmp"))
    assert ArrayCache(None, "t").get(desc) is None


# ---------------------------------------------------------------------------- CPSC2021


def test_cpsc2021_configs_validate() -> None:
    with pytest.raises(ValueError, match=r"unknown CPSC2021TrainConfig key 'taks'.*'task'"):
        CPSC2021TrainConfig.from_config({"taks": "main"})
    with pytest.raises(
        ValueError, match=r"task must be one of .*'rr_lstm'.* got 'rr_lsmt'.*did you mean 'rr_lstm'"
    ):
        CPSC2021TrainConfig.from_config({"task": "rr_lsmt"})
    with pytest.raises(ValueError, match="overlap_len=6000 samples must be < input_len"):
        CPSC2021TrainConfig.from_config({"overlap_len": 6000, "input_len": 6000})
    with pytest.raises(ValueError, match="must be set"):
        CPSC2021Dataset(CPSC2021TrainCfg)
    c = deepcopy(CPSC2021TrainCfg)
    c.task = "rr_lstm"
    assert CPSC2021TrainCfg.task == "main" and c.task == "rr_lstm"


@pytest.mark.data
def test_cpsc2021_main_task_against_reader(sample_data: Path) -> None:
    db = sample_data / "cpsc2021"
    cfg = {"db_dir": db, "task": "main", "train_ratio": 0.5, "seed": 1, "reduction": 2}
    train = CPSC2021Dataset(cfg, training=True)
    val = CPSC2021Dataset(cfg, training=False)
    reader = CPSC2021(db)
    subj_train = {reader.get_subject(r) for r in train.records}
    subj_val = {reader.get_subject(r) for r in val.records}
    assert not subj_train & subj_val
    assert sorted(train.records + val.records) == sorted(reader.all_records)
    ds = train if any(reader.get_label(r) != "N" for r in train.records) else val
    # find an item with AF inside and check labels against the reader's AF mask
    checked = 0
    for k, (rec, start) in enumerate(ds.segments):
        af = reader.af_mask(rec)
        ref = af[start : start + ds.input_len]
        if not ref.any() or ref.size < ds.input_len:
            continue
        sig, labels, masks = ds[k]
        assert sig.shape == (2, 6000) and sig.dtype == torch.float32
        assert labels.shape == (3000, 1) and masks.shape == (3000, 1)
        np.testing.assert_array_equal(labels[:, 0].numpy(), ref[::2].astype(np.float32))
        assert torch.all(masks == 1)
        checked += 1
        if checked == 2:
            break
    assert checked == 2
    # the last window of a record ends at its end; stride is input_len - overlap_len
    rec0 = ds.segments[0][0]
    starts = [s for r, s in ds.segments if r == rec0]
    assert starts[1] - starts[0] == 3000
    assert starts[-1] + 6000 == reader.get_siglen(rec0)


@pytest.mark.data
def test_cpsc2021_boundary_weights_and_padding(sample_data: Path) -> None:
    db = sample_data / "cpsc2021"
    reader = CPSC2021(db)
    rec = next(r for r in reader.all_records if reader.get_label(r) == "AFp")
    on = reader.af_episodes(rec)[0][0]
    ds = CPSC2021Dataset(
        {
            "db_dir": db,
            "boundary_weight": 3.0,
            "boundary_s": 0.5,
            "input_len": 1000,
            "overlap_len": 0,
        },
        training=True,
    )
    ds.records = [rec]
    ds.segments = [(rec, max(on - 500, 0))]
    _, labels, masks = ds[0]
    e = on - ds.segments[0][1]
    assert float(masks[e, 0]) == 3.0 and float(masks[e - 101, 0]) == 1.0
    assert float(labels[e, 0]) == 1.0 and float(labels[e - 1, 0]) == 0.0
    # a window running past the record end is zero-padded with zero loss weight
    n = reader.get_siglen(rec)
    ds.segments = [(rec, n - 400)]
    sig, labels, masks = ds[0]
    assert torch.all(masks[400:] == 0) and torch.all(sig[:, 400:] == 0)


@pytest.mark.data
def test_cpsc2021_qrs_and_rr_tasks(sample_data: Path) -> None:
    db = sample_data / "cpsc2021"
    reader = CPSC2021(db)
    qrs = CPSC2021Dataset({"db_dir": db, "task": "qrs_detection", "input_len": 2000}, training=True)
    sig, mask = qrs[0]
    rec, start = qrs.segments[0]
    beats = reader.load_ann(rec).beat_samples
    inside = beats[(beats >= start) & (beats < start + 2000)] - start
    assert mask.shape == (2000, 1) and len(qrs[0]) == 2
    assert torch.all(mask[torch.from_numpy(inside), 0] == 1)
    np.testing.assert_array_equal(qrs.rpeaks(0), inside)
    half = 15  # 0.075 s at 200 Hz
    assert int(mask.sum()) <= inside.size * (2 * half + 1)

    rr = CPSC2021Dataset({"db_dir": db, "task": "rr_lstm", "rr_seq_len": 20}, training=True)
    seq, labels, masks = rr[0]
    rec, start = rr.segments[0]
    ann = reader.load_ann(rec)
    ref = np.diff(np.sort(ann.beat_samples)) / 200.0
    np.testing.assert_allclose(seq[:, 0].numpy(), ref[start : start + 20], rtol=1e-6)
    af = reader.af_mask(rec)
    np.testing.assert_array_equal(labels[:, 0].numpy(), af[np.sort(ann.beat_samples)[1:21]])
    assert seq.shape == labels.shape == masks.shape == (20, 1) and torch.all(masks == 1)
    batch = next(iter(DataLoader(rr, batch_size=4)))
    assert [t.shape for t in batch] == [(4, 20, 1)] * 3


@pytest.mark.data
def test_cpsc2021_cache_never_in_db_dir(sample_data: Path, tmp_path: Path) -> None:
    db = sample_data / "cpsc2021"
    cfg = {"db_dir": db, "input_len": 1000, "use_cache": True, "cache_dir": str(tmp_path)}
    ds = CPSC2021Dataset(cfg, training=True)
    a = ds[0][0]
    files = list(tmp_path.rglob("*.npy"))
    assert len(files) == 1
    b = CPSC2021Dataset(cfg, training=True)[0][0]
    torch.testing.assert_close(a, b)
    assert not list(db.glob("*.npy"))


# ---------------------------------------------------------------------------- LUDB


@pytest.mark.data
def test_ludb_dataset_masks_match_annotations(sample_data: Path) -> None:
    db = sample_data / "ludb"
    cfg = {"db_dir": db, "train_ratio": 0.5, "leads": ("i", "ii", "v1")}
    ds = LUDBDataset(cfg, training=True)
    val = LUDBDataset(cfg, training=False)
    assert not set(ds.records) & set(val.records)
    # every lead is read, also those with QRS complexes without onset (LUDB 104 lead ii)
    assert ds.skipped == [] and val.skipped == []
    items = {(r, lead[0]) for r, lead in ds.items + val.items}
    assert ("104", "i") in items and ("104", "ii") in items
    assert len(ds) + len(val) == 3 * len(LUDB(db).all_records)
    reader = LUDB(db)
    sig, labels = ds[1]
    rec, (lead,) = ds.items[1]
    waves = reader.load_ann(rec, [lead.lower()])[lead.lower()]
    ref = wave_mask(waves, reader.get_siglen(rec), unknown=-1, edge_margin=20)[500:4500]
    assert sig.shape == (1, 4000) and labels.shape == (4000, 3)
    for k in range(3):
        np.testing.assert_array_equal(labels[:, k].numpy(), (ref == k + 1).astype(np.float32))
    assert labels.sum() > 0 and torch.all(labels.sum(-1) <= 1)
    multi = LUDBDataset(
        {"db_dir": db, "single_lead": False, "classes": ("p", "N", "t", "i"), "leads": ("ii", "v1")}
    )
    sig, labels = multi[0]
    assert sig.shape == (2, 4000) and labels.shape == (2, 4000, 4)
    # one class per annotated sample; none before the first and after the last annotated mark
    codes = multi.wave_codes(0)
    annotated = torch.from_numpy(codes >= 0)
    torch.testing.assert_close(labels.sum(-1), annotated.float())
    rec, leads = multi.items[0]
    for row, lead in enumerate(leads):
        waves = reader.load_ann(rec, [lead.lower()])[lead.lower()]
        first = min(w.onset if w.onset >= 0 else w.peak for w in waves)
        assert (codes[row, : first - 500 - 20] == -1).all()  # 40 ms of background kept
        assert (codes[row, first - 500 - 20 : first - 500] == 0).all()
        assert codes[row, first - 500] > 0


def test_ludb_dataset_synthetic_default() -> None:
    cfg = deepcopy(LUDBTrainCfg)
    cfg.synthetic_records = 6
    cfg.train_ratio = 0.5
    cfg.leads = ("ii",)
    cfg.input_len = 4000
    ds = LUDBDataset(cfg, training=True)
    assert 0 < len(ds) < 6
    sig, labels = ds[0]
    assert sig.shape == (1, 4000) and labels.shape == (4000, 3)
    rec = ds.items[0][0]
    truth = ds.reader.load_ann(rec).fiducials  # type: ignore[union-attr]
    for r in truth["r_peak"] - 500:
        if 0 <= r < 4000:
            assert labels[r, 1] == 1  # QRS class at every true R peak
    with pytest.raises(ValueError, match=r"classes \['x'\] unknown"):
        LUDBTrainConfig.from_config({"classes": ("x",)})


# ---------------------------------------------------------------------------- MITDB


@pytest.mark.data
def test_mitdb_beat_dataset_aami_counts(sample_data: Path) -> None:
    db = sample_data / "mitdb"
    ds = MITDBDataset({"db_dir": db, "split": "none"})
    counts = np.sum([it[2] for it in ds.items], axis=0)
    # MIT-BIH record 100: 2239 normal, 33 APC, 1 PVC beats (PhysioNet directory)
    np.testing.assert_array_equal(counts, [2239, 33, 1, 0, 0])
    from ecg_data.readers.mitdb import MITDB

    reader = MITDB(db)
    ann = reader.load_ann("100")
    syms = [s for s in ann.beat_symbols if s in AAMI_MAP]
    assert len(ds) == len(syms)
    k = next(i for i, it in enumerate(ds.items) if it[2][2] == 1)
    sig, label = ds[k]
    assert sig.shape == (1, 360) and label.tolist() == [0, 0, 1, 0, 0]
    _, centre = ds.item_info(k)
    v_beat = ann.beat_samples[np.array(ann.beat_symbols) == "V"][0]
    assert centre == v_beat
    # inter-patient split: record 100 is in DS2 (validation)
    assert MITDBDataset({"db_dir": db, "split": "de_chazal"}, training=False).records == ["100"]
    assert len(MITDBDataset({"db_dir": db, "split": "de_chazal"}, training=True)) == 0
    skipped = MITDBDataset({"db_dir": db, "split": "none", "leads": ("V1",)})
    assert skipped.skipped_records == ["100"] and len(skipped) == 0


@pytest.mark.data
def test_mitdb_rhythm_dataset(sample_data: Path) -> None:
    db = sample_data / "mitdb"
    ds = MITDBDataset({"db_dir": db, "split": "none", "task": "rhythm", "input_len": 3600})
    assert len(ds) == int(np.ceil(650000 / 3600))
    sig, label = ds[3]
    assert sig.shape == (1, 3600) and label.tolist()[0] == 1.0 and label.sum() == 1
    with pytest.raises(ValueError, match="rhythm_min_frac must be a fraction"):
        MITDBTrainConfig.from_config({"rhythm_min_frac": 0})


# ---------------------------------------------------------------------------- PTB-XL fixture

SCP = {
    # code: (diagnostic, form, rhythm, class, subclass)
    "NORM": (1, None, None, "NORM", "NORM"),
    "IMI": (1, None, None, "MI", "IMI"),
    "ASMI": (1, None, None, "MI", "AMI"),
    "LVH": (1, None, None, "HYP", "LVH"),
    "NDT": (1, 1, None, "STTC", "STTC"),
    "LVOLT": (None, 1, None, None, None),
    "SR": (None, None, 1, None, None),
    "AFIB": (None, None, 1, None, None),
}
RECORDS = [  # ecg_id, patient, fold, scp codes
    (1, 10, 1, {"NORM": 100.0, "LVOLT": 0.0, "SR": 0.0}),
    (2, 11, 2, {"IMI": 80.0, "SR": 0.0}),
    (3, 12, 3, {"ASMI": 50.0, "NDT": 100.0, "AFIB": 0.0}),
    (4, 13, 8, {"LVH": 100.0, "SR": 0.0}),
    (5, 14, 9, {"NORM": 100.0, "SR": 0.0}),
    (6, 15, 10, {"IMI": 100.0, "LVH": 15.0, "AFIB": 0.0}),
    (7, 16, 10, {"LVOLT": 100.0}),
]


def write_ptbxl(root: Path) -> Path:
    """Write a PTB-XL folder: CSV tables and WFDB records at 100 and 500 Hz."""
    records = [
        (ecg_id, pid, 50 + ecg_id, ecg_id % 2, fold, codes) for ecg_id, pid, fold, codes in RECORDS
    ]
    lines = []
    for code, (d, f, r, c, s) in SCP.items():
        cells = ["" if v is None else str(v) for v in (d, f, r, c, s)]
        lines.append(f"{code},{code.lower()} statement," + ",".join(cells))
    return ptbxl_folder(
        root,
        records,
        lambda ecg_id, fs: sines(12, 10 * fs, fs, amplitude=0.5) + ecg_id * 0.01,
        "\n".join(lines) + "\n",
    )


@pytest.fixture(scope="module")
def ptbxl_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ptbxl(tmp_path_factory.mktemp("ptbxl"))


def test_ptbxl_reader(ptbxl_dir: Path) -> None:
    r = PTBXL(ptbxl_dir)
    assert r.all_records == [f"{k:05d}" for k in range(1, 8)]
    x = r.load_data("00003", leads=["II"], sampfrom=100, sampto=600)
    t = np.arange(100, 600) / 500
    np.testing.assert_allclose(x[0], np.sin(2 * np.pi * 2 * t) * 0.5 + 0.03, atol=1e-3)
    lr = PTBXL(ptbxl_dir, sampling_rate=100)
    assert lr.load_data("00003").shape == (12, 1000) and lr.get_fs("00003") == 100.0
    ann = r.load_ann("00003")
    assert ann.scp_codes == {"ASMI": 50.0, "NDT": 100.0, "AFIB": 0.0}
    assert ann.strat_fold == 3 and ann.patient_id == "12"
    assert ann.diagnostic_superclass == ["MI", "STTC"]
    assert r.labels("00003", "subdiagnostic") == ["AMI", "STTC"]
    assert r.labels("00003", "form") == ["NDT"] and r.labels("00003", "rhythm") == ["AFIB"]
    assert r.labels("00003", "diagnostic", min_likelihood=60) == ["NDT"]
    meta = r.metadata
    assert meta.loc["00006", "split"] == "test" and meta.loc["00005", "split"] == "val"
    assert meta.loc["00002", "subject"] == "11" and meta.loc["00002", "sex"] == "M"
    with pytest.raises(ValueError, match="task must be one of"):
        r.labels("00001", "superdiag")
    with pytest.raises(ReaderError, match="record '00009' is not in the database"):
        r.load_data("00009")


def test_ptbxl_reader_bad_tables(tmp_path: Path) -> None:
    with pytest.raises(ReaderError, match="ptbxl_database.csv: PTB-XL database table is missing"):
        PTBXL(tmp_path).all_records  # noqa: B018
    (tmp_path / "ptbxl_database.csv").write_text("ecg_id,scp_codes\n1,\"{'NORM': 1}\"\n")
    with pytest.raises(ReaderError, match=r"missing columns \['patient_id'"):
        PTBXL(tmp_path).all_records  # noqa: B018
    with pytest.raises(ValueError, match="sampling_rate must be 100 or 500 Hz"):
        PTBXL(tmp_path, sampling_rate=250)


def test_ptbxl_dataset_folds_and_labels(ptbxl_dir: Path) -> None:
    cfg = {"db_dir": ptbxl_dir, "task": "superdiagnostic"}
    train = PTBXLDataset(cfg, training=True)
    assert train.classes == ["HYP", "MI", "NORM", "STTC"]
    assert train.records == ["00001", "00002", "00003", "00004"]
    sig, y = train[2]
    assert sig.shape == (12, 1000) and y.tolist() == [0, 1, 0, 1]
    val = PTBXLDataset(cfg, training=False)
    assert val.records == ["00005"]
    test = PTBXLDataset({**cfg, "part": "test"})
    assert test.records == ["00006"]  # 00007 has no diagnostic statement: dropped
    assert test[0][1].tolist() == [1, 1, 0, 0]
    allc = PTBXLDataset(
        {
            **cfg,
            "task": "all",
            "part": "test",
            "sampling_rate": 500,
            "fs": 250.0,
            "input_len": 2500,
            "lazy": False,
        }
    )
    assert allc.records == ["00006", "00007"] and allc[0][0].shape == (12, 2500)
    rhythm = PTBXLDataset({**cfg, "task": "rhythm"})
    assert rhythm.classes == ["AFIB", "SR"]
    with pytest.raises(ValueError, match=r"part must be one of \['train', 'val', 'test'\]"):
        PTBXLTrainConfig.from_config({"part": "valid"})
    json.dumps(train.classes)


# ---------------------------------------------------------------------------- CPSC2019 default


def test_cpsc2019_dataset_synthetic_default() -> None:
    cfg = deepcopy(CPSC2019TrainCfg)
    assert cfg.db_dir is None
    cfg.synthetic_records = 5
    cfg.train_ratio = 0.6
    ds = CPSC2019Dataset(cfg, training=True)
    sig, mask = ds[0]
    assert sig.shape == (1, 5000) and mask.shape == (5000, 1)
    peaks = ds.rpeaks(0)
    assert peaks.size >= 8
    assert torch.all(mask[torch.from_numpy(peaks), 0] == 1)
    # the true R peaks sit at local maxima of the (filtered) lead II signal
    x = sig[0].numpy()
    for p in peaks[1:-1]:
        assert abs(int(np.argmax(x[p - 25 : p + 26])) - 25) <= 3


def test_preproc_through_ecg_signal_manager() -> None:
    from ecg_data.datasets.base import PreprocCfg, apply_preproc
    from ecg_signal.preprocess.manager import PreprocManager

    manager = {"bandpass": {"lowcut": 0.5, "highcut": 40.0}, "normalize": {}}
    x = np.random.default_rng(0).normal(size=(2, 3000)).astype(np.float32)
    ref, fs = PreprocManager.from_config(manager)(x.astype(np.float64), 500.0)
    got = apply_preproc(x, 500.0, PreprocCfg(manager=manager))
    assert fs == 500.0 and got.dtype == np.float32
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)
    assert not np.allclose(got, apply_preproc(x, 500.0, PreprocCfg()), atol=1e-3)
    with pytest.raises(ValueError, match="manager must not resample"):
        PreprocCfg(manager={"resample": {"fs": 100}})
    with pytest.raises(ValueError, match="unknown preprocessing config key 'bandpas'"):
        PreprocCfg(manager={"bandpas": {}})
    ds = LUDBDataset(
        {
            "synthetic_records": 3,
            "train_ratio": 0.9,
            "leads": ("ii",),
            "preproc": {"manager": manager},
        }  # fmt: skip
    )
    sig, _ = ds[0]
    rec = ds.items[0][0]
    raw = ds.reader.load_data(rec, leads=["ii"])
    full, _ = PreprocManager.from_config(manager)(raw.astype(np.float64), 500.0)
    np.testing.assert_allclose(sig.numpy(), full[:, 500:4500], rtol=1e-4, atol=1e-4)
