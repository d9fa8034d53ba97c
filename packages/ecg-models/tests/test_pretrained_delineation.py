"""The wave delineator of ecg_models.pretrained: the post-processing rules on hand-written
labels, the fusion of leads, the network input, and the Delineator's contract (1-D and batch,
any length, rates from 100 to 2000 Hz, bad input)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ecg_models.models.unet import ECG_UNET, UNetConfig
from ecg_models.pretrained.delineation import (
    Delineator,
    PostprocConfig,
    fuse_leads,
    labels_to_waves,
    network_input,
    postprocess_labels,
)


def _lab(n: int, spans: list[tuple[int, int, int]]) -> np.ndarray:
    m = np.zeros(n, dtype=np.int64)
    for a, b, code in spans:
        m[a:b] = code
    return m


def test_postprocess_gaps_min_durations_and_order() -> None:
    fs = 100.0  # 10 ms per sample
    cfg = PostprocConfig(min_ms={"p": 40, "qrs": 40, "t": 60}, max_gap_ms=20, t_merge_ms=120)
    # QRS split by a 2-sample gap (filled); a 3-sample P (30 ms, dropped)
    lab = _lab(200, [(10, 15, 2), (17, 22, 2), (40, 43, 1)])
    out = postprocess_labels(lab, fs, cfg)
    np.testing.assert_array_equal(out, _lab(200, [(10, 22, 2)]))
    # between two QRS: T at 40-60, another T at 70-80 (gap 100 ms <= 120: merged), a T at
    # 120-130 far after (dropped), and a P at 30-36 before the T (dropped)
    lab = _lab(300, [(10, 20, 2), (30, 36, 1), (40, 60, 3), (70, 80, 3), (120, 130, 3)])
    lab[200:210] = 2
    out = postprocess_labels(lab, fs, cfg)
    np.testing.assert_array_equal(out, _lab(300, [(10, 20, 2), (40, 80, 3), (200, 210, 2)]))
    # a P after the T of its interval stays
    lab = _lab(300, [(10, 20, 2), (40, 60, 3), (150, 160, 1), (200, 210, 2)])
    np.testing.assert_array_equal(postprocess_labels(lab, fs, cfg), lab)
    off = PostprocConfig(min_ms={}, max_gap_ms=0, one_t_per_beat=False)
    np.testing.assert_array_equal(postprocess_labels(lab, fs, off), lab)
    with pytest.raises(ValueError, match="unknown waves"):
        PostprocConfig(min_ms={"u": 10})
    with pytest.raises(ValueError, match="unknown post-processing keys"):
        PostprocConfig.from_mapping({"min": 1})


def test_labels_to_waves_and_peaks() -> None:
    lab = _lab(50, [(5, 10, 1), (20, 25, 2)])
    x = np.zeros(50)
    x[22] = 1.0
    x[7] = -0.5
    w = labels_to_waves(lab, x)
    assert w["p"]["onset"].tolist() == [5] and w["p"]["offset"].tolist() == [9]
    assert w["p"]["peak"].tolist() == [7] and w["qrs"]["peak"].tolist() == [22]
    assert w["t"]["onset"].size == 0
    assert labels_to_waves(lab)["qrs"]["peak"].tolist() == [22]  # middle without a signal


def test_fusion_and_network_input() -> None:
    p = np.zeros((2, 3, 4), dtype=np.float32)
    p[0, :, 1] = 1.0
    p[1, :, 2] = 1.0
    f = fuse_leads(p, 0.75)
    np.testing.assert_allclose(f[0, 0], [0, 0.875, 0.125, 0])
    np.testing.assert_array_equal(fuse_leads(p, 1.0), p)
    np.testing.assert_array_equal(fuse_leads(p[:1], 0.0), p[:1])
    x = np.array([[3.0, 0.0], [4.0, 0.0]], dtype=np.float32)
    inp = network_input(x)
    assert inp.shape == (2, 2, 2)
    np.testing.assert_allclose(inp[:, 1, 0], [np.sqrt(12.5)] * 2)
    np.testing.assert_array_equal(inp[:, 0], x)


@pytest.fixture(scope="module")
def delineator() -> Delineator:
    torch.manual_seed(0)
    cfg = UNetConfig(
        fs=100.0, init_num_filters=4, num_filters=[4, 8], down_scales=[2, 2], filter_lengths=[5, 5]
    )
    model = ECG_UNET(["i", "p", "N", "t"], 2, cfg)
    return Delineator(model, 100.0, window_s=4.0, overlap_s=1.0)


def test_delineator_contract(delineator: Delineator) -> None:
    rng = np.random.default_rng(0)
    for fs in (100.0, 360.0, 2000.0):
        n = int(7.3 * fs)
        sig = rng.normal(size=(3, n))
        out = delineator.batch(sig, fs)
        assert len(out) == 3
        for waves in out:
            assert set(waves) == {"p", "qrs", "t"}
            for d in waves.values():
                assert set(d) == {"onset", "peak", "offset"}
                for v in d.values():
                    assert v.dtype == np.int64 and (v.size == 0 or (v.min() >= 0 and v.max() < n))
                assert np.all(d["onset"] <= d["peak"]) and np.all(d["peak"] <= d["offset"])
        one = delineator(sig[0], fs)
        assert set(one) == {"p", "qrs", "t"}
    short = delineator(rng.normal(size=150), 100.0)  # shorter than a window: padded
    assert set(short) == {"p", "qrs", "t"}
    x = rng.normal(size=(2, 3000))
    x[0, 100:400] = np.nan  # NaN stretches do not raise
    assert len(delineator.batch(x, 250.0)) == 2
    bad = [
        (rng.normal(size=1000), 50.0, "fs must lie"),
        (rng.normal(size=1000), 3000.0, "fs must lie"),
        (np.full((1, 500), np.nan), 250.0, "no finite sample"),
        (np.zeros((1, 0)), 250.0, "at least one lead"),
        (np.zeros((1, 2, 3)), 250.0, "shape"),
    ]
    for sig, fs, words in bad:
        fn = delineator.batch if sig.ndim != 1 else delineator
        with pytest.raises(ValueError, match=words):
            fn(sig, fs)
    with pytest.raises(ValueError, match="1-D"):
        delineator(np.zeros((2, 100)), 250.0)


@pytest.mark.data
@pytest.mark.filterwarnings("ignore:LUDB record")
def test_pretrained_delineator_on_a_real_record(sample_data) -> None:  # type: ignore[no-untyped-def]
    import wfdb

    from ecg_models.pretrained import list_pretrained, load_pretrained

    assert "delineation" in [m.name for m in list_pretrained()]
    d = load_pretrained("delineation")
    rec = sample_data / "ludb" / "data" / "1"
    sig = wfdb.rdrecord(str(rec)).p_signal.T  # (12, 5000) mV at 500 Hz
    waves = d.batch(sig, 500.0)
    assert len(waves) == 12
    ann = wfdb.rdann(str(rec), "ii")
    sym = list(ann.symbol)
    ref_on = np.array(
        [ann.sample[k - 1] for k, s in enumerate(sym) if s == "N" and sym[k - 1] == "("]
    )
    got = waves[1]["qrs"]["onset"]
    lo, hi = ann.sample.min() - 75, ann.sample.max() + 75  # the annotated span, +-150 ms
    got = got[(got >= lo) & (got <= hi)]
    dist = np.abs(got[:, None] - ref_on[None, :])
    assert got.size == ref_on.size and np.all(dist.min(axis=1) <= 75)  # within 150 ms
    one = d(sig[1], 500.0)  # lead ii alone
    assert abs(one["qrs"]["onset"].size - waves[1]["qrs"]["onset"].size) <= 2
