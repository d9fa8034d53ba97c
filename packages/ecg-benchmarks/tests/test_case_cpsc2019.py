"""The cpsc2019 case: its hybrid, windows and scoring by hand, the synthetic fallback end to end
(with an interrupted and resumed run), predictions, the extra databases of the sample data, the settings (network choice, checks) and
the ectopic-beat sampling weights, the record-disjoint folds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from ecg_benchmarks.base import BenchmarkError
from ecg_benchmarks.cases._cpsc2019_sampling import abnormal_fraction, abnormal_weights
from ecg_benchmarks.cases._cpsc2019_settings import (
    AugmentSettings,
    CPSC2019Settings,
    DataSettings,
    DetectSettings,
    ModelSettings,
)
from ecg_benchmarks.cases._qrs import (
    WindowPool,
    hybrid_peaks,
    noise_only_windows,
    scale_batch,
    score_long_record,
)
from ecg_benchmarks.cases._qrs_data import EXTRA_DATABASES, QRSRecording
from ecg_benchmarks.cases.cpsc2019 import build_model, detector_config, split_records, split_text
from ecg_benchmarks.cli import main

FS = 500.0
TINY = [
    "--set", "model.width_divisor=16", "--set", "model.rnn_hidden=8", "--set",
    "data.cpsc_repeat=1", "--set", "data.synthetic_repeat=1", "--set", "detect.nstdb=false",
    "--no-progress",
]  # fmt: skip


def test_hybrid_peaks_by_hand() -> None:
    step = 8 / FS  # one probability per 16 ms
    prob = np.zeros(625)
    prob[100:106] = 0.9  # a network QRS at samples 800..848
    prob[300:306] = 0.05  # too weak to confirm a detector beat at 2420
    det = np.array([822, 2420, 3000])  # 3000: no network support at all
    own = np.array([824, 4024])  # the network's own beats: 824 duplicates 822
    # 822 is confirmed (824, 2 samples away, is not added twice); 2420 and 3000 are vetoed
    assert hybrid_peaks(prob, det, own, FS, step).tolist() == [822, 4024]
    assert hybrid_peaks(prob, det, own, FS, step, confirm=0.01).tolist() == [822, 2420, 4024]
    assert hybrid_peaks(prob, np.zeros(0, np.int64), own, FS, step).tolist() == [824, 4024]
    # reach: a detector beat 50 ms from the network's QRS (40 ms reach) is vetoed
    assert hybrid_peaks(prob, np.array([876]), own[:0], FS, step).tolist() == []
    assert hybrid_peaks(prob, np.array([860]), own[:0], FS, step).tolist() == [860]


def test_score_long_record_skips_the_learning_period() -> None:
    fs = 100.0
    ref = np.arange(0, 60000, 100)  # one beat per second for 10 min
    pred = ref.copy()
    pred[:300] += 50  # the first 5 min are 0.5 s off: not scored
    pred[300] += 14  # 140 ms off: still a match at 150 ms
    pred[301] += 15  # 150 ms off: a miss and a false positive
    got = score_long_record(ref, pred, fs)
    n = 300
    assert got["se"] == pytest.approx((n - 1) / n) and got["ppv"] == pytest.approx((n - 1) / n)
    assert got["f1"] == pytest.approx(2 * (n - 1) / (2 * (n - 1) + 2))


def test_window_pool_is_seeded_aligned_and_weighted() -> None:
    x = np.zeros(5000, np.float32)
    peaks = np.arange(100, 5000, 200)
    x[peaks] = 1.0
    rec = QRSRecording(x, peaks, 1000, 4000, "toy")
    pool = WindowPool([rec], 20, 1000, 250.0, 0.08, 8, seed=3)
    a = [pool[i] for i in range(20)]
    assert all(
        torch.equal(u[0], v[0]) for u, v in zip(a, [pool[i] for i in range(20)], strict=True)
    )
    pool.epoch = 1
    assert any(not torch.equal(u[0], pool[i][0]) for i, u in enumerate(a))
    for sig, mask, weight in a:
        assert sig.shape == (1, 1000) and mask.shape == weight.shape == (125, 1)
        top = int(sig[0].argmax())  # the window's first beat (scaled, still the maximum)
        assert mask[top // 8, 0] == 1.0
        assert weight.sum() > 0  # every window overlaps the annotated span
    # the weight is 1 exactly on [lo, hi): a window starting at 750 covers 1000 from row 31
    pool.epoch = 0
    rng_free = WindowPool([QRSRecording(x, peaks, 1000, 4000, "toy")], 1, 1000, 250.0, 0.08, 8)
    got = rng_free[0]
    assert set(np.unique(got[2].numpy()).tolist()) <= {0.0, 1.0}


def test_window_pool_time_scale_maps_signal_and_peaks_alike() -> None:
    x = np.zeros(20000, np.float32)
    peaks = np.arange(100, 20000, 200)
    x[peaks] = 1.0
    x[peaks + 1] = 0.5  # a two-sample beat: its maximum survives the interpolation
    rec = QRSRecording(x, peaks, 0, 20000, "toy")
    plain = WindowPool([rec], 30, 1000, 250.0, 0.04, 8, seed=3)
    off = WindowPool([rec], 30, 1000, 250.0, 0.04, 8, seed=3, time_scale=0.0)
    assert all(torch.equal(plain[i][0], off[i][0]) for i in range(30))  # off: same windows
    pool = WindowPool([rec], 30, 1000, 250.0, 0.04, 8, seed=3, time_scale=1.0, time_scale_max=1.25)
    spacings = []
    for sig, mask, weight in (pool[i] for i in range(30)):
        assert sig.shape == (1, 1000) and mask.shape == weight.shape == (125, 1)
        assert float(weight.sum()) == 125.0
        # beats in the signal: local maxima above half the window's maximum
        s0 = sig[0].numpy()
        tops = np.flatnonzero(
            (s0 > 0.5 * s0.max()) & (s0 >= np.roll(s0, 1)) & (s0 > np.roll(s0, -1))
        )
        assert all(mask[t // 8, 0] == 1.0 for t in tops)  # the labels follow the beats
        spacings.append(float(np.median(np.diff(tops))))
    sp = np.array(spacings)
    # 200 samples scaled by 1 / f, f in [0.8, 1.25]: spacings in [160, 250], both sides of 200
    assert sp.min() >= 159 and sp.max() <= 251 and sp.min() < 190 and sp.max() > 210
    with pytest.raises(ValueError, match="augment.time_scale_max must be in"):
        AugmentSettings(time_scale_max=0.9)
    with pytest.raises(ValueError, match=r"augment.time_scale must be in \[0, 1\]"):
        AugmentSettings(time_scale=1.5)


def test_scale_batch_matches_the_detector_scaling() -> None:
    from ecg_models.pretrained.qrs import robust_scale

    x = torch.randn(3, 1, 2001, dtype=torch.float64) * 4 + 2
    np.testing.assert_allclose(
        scale_batch(x).numpy(), robust_scale(x.numpy()), rtol=1e-5, atol=1e-6
    )


def test_noise_only_windows_replace_the_drawn_windows_and_clear_their_labels() -> None:
    x = torch.randn(64, 1, 2500)
    y = (torch.rand(64, 312, 1) < 0.2).float()
    w = torch.zeros(64, 312, 1)
    x2, y2, w2 = noise_only_windows(x, y, w, 250.0, 0.25, torch.Generator().manual_seed(3))
    replaced = ~torch.isclose(x2, x).all(dim=-1).all(dim=-1)
    assert 4 <= int(replaced.sum()) <= 32  # about a quarter of 64
    assert torch.equal(x2[~replaced], x[~replaced]) and torch.equal(y2[~replaced], y[~replaced])
    assert bool((y2[replaced] == 0).all()) and bool((w2[replaced] == 1).all())
    assert bool((w2[~replaced] == 0).all()) and bool((w == 0).all())  # inputs untouched
    # independent unit-variance noises mixed with amplitudes sqrt(w_k), sum(w_k) = 1: variance ~1
    var = x2[replaced].var(dim=-1)
    assert bool(((var > 0.7) & (var < 1.3)).all())
    same = noise_only_windows(x, y, w, 250.0, 0.0, torch.Generator().manual_seed(3))
    assert all(a is b for a, b in zip(same, (x, y, w), strict=True))


def test_synthetic_fallback_interrupted_then_resumed_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from safetensors.torch import load_file

    from ecg_benchmarks._trainer import CaseTrainer

    monkeypatch.setenv("ECG_SAMPLE_DATA", str(tmp_path / "no-data-here"))
    args = ["run", "cpsc2019", "--epochs", "2", *TINY]
    full = tmp_path / "full"
    assert main([*args, "--out", str(full)]) == 0
    metrics = json.loads((full / "metrics.json").read_text())
    assert metrics["data_source"] == "synthetic"
    assert metrics["n_test_records"] == 10 and metrics["extra_recordings"] == {}
    assert 0.0 <= metrics["qrs_score"] <= 1.0
    assert set(metrics["per_record_qrs_score"]) == set(metrics["test_records"])
    assert (full / "examples.png").is_file() or any(full.rglob("examples.png"))

    original = CaseTrainer.run_one_step

    def stop_at_step_2(self: CaseTrainer, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        if self.epoch == 0 and self.batches_done == 1:
            self.request_stop("test")
        return original(self, batch)

    monkeypatch.setattr(CaseTrainer, "run_one_step", stop_at_step_2)
    part = tmp_path / "part"
    capsys.readouterr()
    assert main([*args, "--out", str(part)]) != 0
    assert f"--resume {part}" in capsys.readouterr().err
    assert not (part / "metrics.json").exists()
    monkeypatch.setattr(CaseTrainer, "run_one_step", original)
    assert main([*args, "--resume", str(part)]) == 0
    a = load_file(full / "checkpoints" / "model.safetensors")
    b = load_file(part / "checkpoints" / "model.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_the_default_recipe_learns_the_synthetic_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The main job's fallback: with no data the default settings must train, not collapse to a
    constant output."""
    monkeypatch.setenv("ECG_SAMPLE_DATA", str(tmp_path / "no-data-here"))
    out = tmp_path / "run"
    assert main(["run", "cpsc2019", "--no-progress", "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    history = json.loads((out / "history.json").read_text())
    assert metrics["data_source"] == "synthetic"
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert metrics["qrs_score"] >= 0.8


@pytest.mark.data
def test_predict_beats_of_a_wfdb_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_data: Path
) -> None:
    import wfdb

    monkeypatch.setenv("ECG_SAMPLE_DATA", str(tmp_path / "no-data-here"))
    run = tmp_path / "run"
    # a one-epoch network is far from confident: a low threshold, so that it reports beats
    low = ["--set", "detect.threshold=0.1"]
    assert main(["run", "cpsc2019", "--epochs", "1", *TINY, *low, "--out", str(run)]) == 0
    out = tmp_path / "pred"
    assert main(["predict", str(run), str(sample_data / "mitdb" / "100"), "--out", str(out)]) == 0
    ann = wfdb.rdann(str(out / "100"), "pred")
    assert ann.sample.size > 0 and np.all(np.diff(ann.sample) > 0)


@pytest.mark.data
def test_extra_databases_give_aligned_recordings(sample_data: Path) -> None:
    for name in ("ludb", "cpsc2021"):
        recs = EXTRA_DATABASES[name](sample_data / name, 250.0)
        assert recs, name
        for r in recs[:20]:
            assert r.x.dtype == np.float32 and 0 <= r.lo < r.hi <= len(r.x)
            assert r.peaks.dtype == np.int64 and np.all(np.diff(r.peaks) > 0)
            # each reference peak sits near a large filtered sample (the QRS)
            inner = r.peaks[(r.peaks > 10) & (r.peaks < len(r.x) - 10)]
            near = [np.abs(r.x[p - 10 : p + 10]).max() for p in inner]
            assert np.median(near) > 2 * np.median(np.abs(r.x))
    assert "nstdb" not in EXTRA_DATABASES  # a test set


@pytest.mark.data
def test_qtdb_recordings(sample_data: Path) -> None:
    recs = EXTRA_DATABASES["qtdb"](sample_data / "qtdb", 250.0)
    assert len(recs) == 2 * 64  # two leads of the 64 records with reference beats
    r = recs[0]
    assert len(r.x) == 225000 and r.hi == 225000 and len(r.peaks) > 500


def test_strided_cnn_network_shape_and_polarity_invariance() -> None:
    torch.manual_seed(0)
    model = build_model(ModelSettings(arch="strided_cnn"), 250.0).eval()
    x = torch.randn(2, 1, 2500)
    with torch.no_grad():
        y, y_flip = model(x), model(-x)
    assert model.reduction == 8 and y.shape == (2, 2500 // 8, 1)
    torch.testing.assert_close(y, y_flip)  # the rectified stem: f(-x) == f(x)
    assert not torch.allclose(y, torch.zeros_like(y))


def test_context_layers_double_the_receptive_field_and_keep_the_invariance() -> None:
    torch.manual_seed(0)
    model = build_model(ModelSettings(arch="strided_cnn", context_layers=2), 250.0).eval()
    assert model.backbone.config.dilations[-3:] == [8, 16, 32]
    x = torch.zeros(1, 1, 5000)
    x[0, 0, 2500] = 1.0  # an impulse: its influence spans the receptive field
    with torch.no_grad():
        base = model(torch.zeros_like(x))[0, :, 0]
        y, y_flip = model(x)[0, :, 0], model(-x)[0, :, 0]
    torch.testing.assert_close(y, y_flip)
    reach = (y - base).abs() > 0
    steps = torch.nonzero(reach)[:, 0]
    # six layers span 513 samples (64 steps of 8 samples); dilations 16 and 32 add 4 * (16 + 32)
    assert int(steps.max() - steps.min()) > 200
    with pytest.raises(ValueError, match="model.context_layers"):
        ModelSettings(context_layers=4)


def test_the_default_network_is_the_strided_cnn() -> None:
    from ecg_models.backbones.strided_cnn import StridedCNN

    assert isinstance(build_model(ModelSettings(), 250.0).backbone, StridedCNN)


def test_bad_model_and_data_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="model.arch must be one of"):
        ModelSettings(arch="transformer")
    with pytest.raises(ValueError, match="data.abnormal_weight must be >= 0"):
        DataSettings(abnormal_weight=-1.0)


def test_low_threshold_reaches_the_detector_capped_by_the_threshold() -> None:
    s = CPSC2019Settings()
    assert detector_config(s)["low_threshold"] == 0.15 < detector_config(s)["threshold"] == 0.5
    s.detect.threshold = 0.1
    assert detector_config(s)["low_threshold"] == 0.1
    with pytest.raises(ValueError, match=r"detect.low_threshold must be in \(0, 1\)"):
        DetectSettings(low_threshold=0.0)


def test_bad_noise_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="augment.noise_kinds"):
        AugmentSettings(noise_kinds=[])
    with pytest.raises(ValueError, match="augment.noise_kinds"):
        AugmentSettings(noise_kinds=["hum"])
    with pytest.raises(ValueError, match=r"augment.noise must be in \[0, 1\]"):
        AugmentSettings(noise=1.5)
    with pytest.raises(ValueError, match=r"augment.noise_only must be in \[0, 1\]"):
        AugmentSettings(noise_only=-0.1)
    with pytest.raises(ValueError, match="noise_snr_low_db"):
        AugmentSettings(noise_snr_low_db=10.0, noise_snr_high_db=0.0)


def test_abnormal_fraction_by_hand() -> None:
    assert abnormal_fraction([]) == 0.0
    assert abnormal_fraction(["N", "V", "N", "A"]) == 0.5
    assert abnormal_fraction(["N", "L", "R", "/", "f", "e", "j"]) == 0.0  # paced, BBB: not ectopic
    assert abnormal_fraction(["F", "J", "S", "E", "a"]) == 1.0


def test_weights_without_beat_symbols_stay_proportional() -> None:
    # LUDB and consensus-labelled recordings have no beat symbols: their factor is 1
    got = abnormal_weights(["ludb/1/ii", "cinc2021/A0001/0"], [1.0, 3.0], Path("."), 10.0)
    np.testing.assert_allclose(got, [0.25, 0.75])


@pytest.mark.data
def test_weights_follow_the_ectopic_share_of_qtdb_records(sample_data: Path) -> None:
    import wfdb

    frac = {}
    for rec in ("sel223", "sel100"):
        sym = wfdb.rdann(str(sample_data / "qtdb" / rec), "atr").symbol
        beats = [s for s in sym if s in set("NLRBAaJSVrFejnE/fQ?")]
        frac[rec] = sum(s in set("VEFAaJS") for s in beats) / len(beats)
    assert frac["sel223"] > 0.1  # the record of the test: ventricular ectopy
    got = abnormal_weights(["qtdb/sel223/0", "qtdb/sel100/1"], [0.5, 0.5], sample_data, 4.0)
    want = np.array([1 + 4 * frac["sel223"], 1 + 4 * frac["sel100"]])
    np.testing.assert_allclose(got, want / want.sum(), rtol=1e-9)


def test_bad_sampling_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="weight must be >= 0"):
        abnormal_weights(["qtdb/sel100/0"], [1.0], Path("."), -2.0)
    with pytest.raises(ValueError, match="one non-negative value per source"):
        abnormal_weights(["qtdb/sel100/0"], [1.0, 2.0], Path("."), 1.0)


#: the held-out records of the default run (seed 0, fold 0 of 4): the shipped ``qrs`` model's
DEFAULT_TEST = [
    "data_00126", "data_00147", "data_00224", "data_00259", "data_00619",
    "data_00980", "data_01110", "data_01170", "data_01235", "data_01511",
]  # fmt: skip


def _settings(**data: object) -> CPSC2019Settings:
    return CPSC2019Settings(data=DataSettings(**data))  # type: ignore[arg-type]


@pytest.mark.data
def test_the_default_split_holds_out_the_same_records_and_the_folds_partition(
    sample_data: Path,
) -> None:
    from ecg_data import CPSC2019

    names = list(CPSC2019(sample_data / "cpsc2019").all_records)
    assert len(names) == 40
    train, test = split_records(names, CPSC2019Settings())
    assert test == DEFAULT_TEST and len(train) == 30 and not set(train) & set(test)
    # the plain 75/25 split of data.n_folds=0 holds out the same ten
    assert split_records(names, _settings(n_folds=0))[1] == DEFAULT_TEST
    folds = [split_records(names, _settings(fold=k)) for k in range(4)]
    held = [t for _, t in folds]
    assert all(len(t) == 10 for t in held)
    assert sorted(sum(held, [])) == sorted(names)  # every record held out exactly once
    for tr, te in folds:
        assert sorted(tr + te) == sorted(names) and not set(tr) & set(te)
    other_seed = CPSC2019Settings(seed=1)
    assert split_records(names, other_seed)[1] != DEFAULT_TEST
    assert split_text(CPSC2019Settings()) == "fold 0 of 4 (seed 0)"
    assert split_text(_settings(fold=3)) == "fold 3 of 4 (seed 0)"


def test_folds_of_a_record_count_not_divisible_by_the_folds() -> None:
    names = [f"r{i:02d}" for i in range(10)]
    held = [split_records(names, _settings(fold=k))[1] for k in range(4)]
    assert [len(t) for t in held] == [3, 3, 2, 2]  # numpy.array_split's chunks
    assert sorted(sum(held, [])) == names
    with pytest.raises(BenchmarkError, match="3 records are too few for data.n_folds=4"):
        split_records(names[:3], CPSC2019Settings())


def test_bad_fold_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="data.n_folds must be 0 or >= 2, got 1"):
        DataSettings(n_folds=1)
    with pytest.raises(ValueError, match="data.n_folds must be 0 or >= 2, got -2"):
        DataSettings(n_folds=-2)
    with pytest.raises(ValueError, match=r"data.fold must lie in \[0, 3\], got 4"):
        DataSettings(fold=4)
    with pytest.raises(ValueError, match=r"data.fold must lie in \[0, 3\], got -1"):
        DataSettings(fold=-1)
    with pytest.raises(ValueError, match="data.fold needs data.n_folds >= 2, got fold 2"):
        DataSettings(n_folds=0, fold=2)
    assert DataSettings(n_folds=10, fold=9).fold == 9
    from ecg_benchmarks.template import TrainSettings

    with pytest.raises(ValueError, match="train.train_ratio is used only with data.n_folds=0"):
        CPSC2019Settings(train=TrainSettings(train_ratio=0.8))
    plain = CPSC2019Settings(data=DataSettings(n_folds=0), train=TrainSettings(train_ratio=0.8))
    assert split_text(plain) == "train 0.8 / test 0.2 (seed 0)"
