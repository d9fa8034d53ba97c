"""The QRS detector of ecg_models.pretrained: the input contract of ecg_signal's detect_rpeaks,
NaN stretches, short and long signals, rates from 100 to 2000 Hz, the batch form."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ecg_models import ECG_SEQ_LAB_NET
from ecg_models.pretrained.qrs import QRSDetector, qrs_input, robust_scale


@pytest.fixture(scope="module")
def det() -> QRSDetector:
    torch.manual_seed(0)
    model = ECG_SEQ_LAB_NET(
        ["qrs"], 1, recover_length=False, rnn={"name": "none"}, attn={"name": "none"}, fs=250.0
    )
    # a low threshold so that the untrained network reports peaks
    return QRSDetector(model, fs=250.0, window_s=4.0, overlap_s=1.0, threshold=0.45)


def _ecg(seconds: float, fs: float) -> np.ndarray:
    t = np.arange(round(seconds * fs)) / fs
    return np.sin(2 * np.pi * 1.1 * t) ** 41 + 0.05 * np.sin(2 * np.pi * 0.3 * t)


def test_same_errors_as_detect_rpeaks(det: QRSDetector) -> None:
    from ecg_signal.rpeaks import detect_rpeaks

    cases = [
        (np.zeros(0), 250.0, "empty"),
        (np.full(1000, np.nan), 250.0, "no finite sample"),
        (np.zeros((2, 1000)), 250.0, "1-D"),
        (np.array(["a", "b"]), 250.0, "numbers"),
    ]
    for sig, fs, words in cases:
        for fn in (det, detect_rpeaks):
            with pytest.raises((ValueError, TypeError), match=words):
                fn(sig, fs)
    for fs in (99.0, 2001.0, float("nan")):
        with pytest.raises(ValueError, match=r"fs must be a sampling rate in \[100, 2000\] Hz"):
            det(_ecg(10, 250), fs)
    with pytest.raises(TypeError, match="fs must be a real number"):
        det(_ecg(10, 250), "250")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"\(leads, samples\)"):
        det.batch(_ecg(10, 250), 250.0)
    with pytest.raises(ValueError, match=r"\(leads, samples\), got shape \(1, 2, 2500\)"):
        det.batch(_ecg(10, 250).reshape(1, 2, 1250).repeat(2, axis=2), 250.0)
    with pytest.raises(ValueError, match="no finite sample"):
        det(np.full(1000, np.inf), 250.0)


def test_output_contract_rates_and_padding(det: QRSDetector) -> None:
    for fs in (100.0, 250.0, 360.0, 2000.0):
        x = _ecg(12.0, fs)
        p = det(x, fs)
        assert p.dtype == np.int64 and p.ndim == 1
        assert np.all(np.diff(p) > 0) and (p.size == 0 or (p[0] >= 0 and p[-1] < x.size))
    short = det(_ecg(1.5, 360.0), 360.0)  # shorter than one 4 s window: padded
    assert short.dtype == np.int64
    assert det(np.zeros(3000), 250.0).size == 0  # constant: no peak


def test_long_signal_equals_its_stitched_probabilities(det: QRSDetector) -> None:
    x = _ecg(60.0, 250.0)
    y = qrs_input(x, 250.0, 250.0)
    prob = det.probabilities(y)
    assert prob.shape == (-(-y.size // det.reduction),)
    # the first window's middle equals the network on that window alone
    one = det._net(y[None, None, : det.window].astype(np.float32))[0, :, 0]
    k = (det.window - det.overlap // 2) // det.reduction
    np.testing.assert_allclose(prob[:k], one[:k], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(det(x, 250.0), det.peaks_from_probabilities(prob, y))


def test_nan_stretches_are_skipped_not_propagated(det: QRSDetector) -> None:
    x = _ecg(30.0, 250.0)
    y = x.copy()
    y[2500:3750] = np.nan  # 10 s .. 15 s
    y[3000] = np.inf  # inf counts as missing too
    got = det(y, 250.0)
    assert not np.any((got >= 2500) & (got < 3750))
    want = np.concatenate([det(x[:2500], 250.0), det(x[3750:], 250.0) + 3750])
    np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match=r"sig\[1\] holds no finite sample"):
        det.batch(np.stack([x, np.full_like(x, np.nan)]), 250.0)


def test_batch_is_row_by_row(det: QRSDetector) -> None:
    rows = np.stack([_ecg(10.0, 360.0), -_ecg(10.0, 360.0)])
    got = det.batch(rows, 360.0)
    assert len(got) == 2
    for g, r in zip(got, rows, strict=True):
        np.testing.assert_array_equal(g, det(r, 360.0))


def test_robust_scale_by_hand() -> None:
    x = np.array([[0.0, 1.0, 2.0, 3.0, 100.0]])
    # median 2, MAD 1 -> scale 5 * 1.4826; the outlier clips at 5
    want = np.clip((x - 2.0) / (5 * 1.4826 + 1e-6), -5, 5)
    np.testing.assert_allclose(robust_scale(x), want, rtol=1e-6)


def _plain_robust_scale(x: np.ndarray, clip: float = 5.0) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    med = np.median(x, axis=-1, keepdims=True)
    mad = np.median(np.abs(x - med), axis=-1, keepdims=True)
    return np.clip((x - med) / (5.0 * 1.4826 * mad + 1e-6), -clip, clip)


@pytest.mark.parametrize("n", [1, 2, 3, 2500, 2501])
def test_robust_scale_equals_np_median_bit_for_bit(n: int) -> None:
    rng = np.random.default_rng(n)
    for x in (
        rng.standard_normal((7, 1, n)),  # float64 in, float32 out
        rng.standard_normal((3, n)).astype(np.float32) * 40 + 1000,
        np.round(rng.standard_normal((2, 2, n)) * 2).astype(np.float32),  # many ties
        np.zeros((2, n), np.float32),  # MAD 0
    ):
        got = robust_scale(x)
        assert got.dtype == np.float32 and got.shape == x.shape
        np.testing.assert_array_equal(got, _plain_robust_scale(x))


def test_unique_sorted_equals_np_unique() -> None:
    from ecg_models.pretrained.qrs import _unique_sorted

    rng = np.random.default_rng(0)
    for a in (np.zeros(0, np.int64), np.array([3]), np.sort(rng.integers(0, 50, 200)),
              rng.integers(0, 50, 200), np.arange(10)):  # fmt: skip
        got = _unique_sorted(a)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, np.unique(a))


@pytest.mark.parametrize(("fs", "offset"), [(360.0, 0.0), (500.0, 0.0), (128.0, 1000.0)])
def test_qrs_input_float32_resampling_equals_float64(fs: float, offset: float) -> None:
    from scipy import signal

    from ecg_signal.preprocess import bandpass

    x = _ecg(60.0, fs) + offset
    got = qrs_input(x, fs, 250.0)
    up, down = {360.0: (25, 36), 500.0: (1, 2), 128.0: (125, 64)}[fs]
    want = bandpass(signal.resample_poly(x, up, down), 250.0, 0.5, 45.0)
    assert got.dtype == np.float32 and got.shape == want.shape
    # float32 rounding of the input and of the resampled signal, nothing more
    scale = np.abs(want).max()
    err = np.abs(got - want).max()
    assert err < 1e-6 * (scale + offset), (err, scale)
    np.testing.assert_array_equal(qrs_input(x, 250.0, 250.0), bandpass(x, 250.0).astype(np.float32))


def test_a_signal_shorter_than_one_window_is_zero_padded(det: QRSDetector) -> None:
    x = _ecg(1.5, 250.0)  # 375 samples, the window is 4 s
    y = qrs_input(x, 250.0, 250.0)
    prob = det.probabilities(y)
    assert prob.shape == (-(-y.size // det.reduction),)
    padded = np.zeros((1, 1, det.window), dtype=np.float32)
    padded[0, 0, : y.size] = y
    np.testing.assert_allclose(prob, det._net(padded)[0, : prob.size, 0], rtol=1e-6, atol=1e-7)
    edge = np.full((1, 1, det.window), y[-1], dtype=np.float32)  # another padding differs
    edge[0, 0, : y.size] = y
    assert not np.allclose(prob, det._net(edge)[0, : prob.size, 0], atol=1e-4)


@pytest.mark.parametrize("fs", [250.0, 360.0, 1000.0])
def test_chunked_filtering_equals_the_whole_signal(det: QRSDetector, fs: float) -> None:
    x = _ecg(200.0, fs) + 0.2 * np.sin(2 * np.pi * 0.05 * np.arange(round(200 * fs)) / fs)
    chunked = QRSDetector(det.model, fs=250.0, window_s=4.0, overlap_s=1.0, threshold=0.45,
                          chunk_s=25.3, margin_s=30.0)  # fmt: skip
    whole = qrs_input(x, fs, 250.0)
    got = chunked.filtered(x, fs)
    assert got.dtype == np.float32 and got.shape == whole.shape
    np.testing.assert_allclose(got, whole, rtol=0, atol=1e-6)
    # without a margin the chunk edges show: the test can fail
    bare = QRSDetector(det.model, fs=250.0, chunk_s=25.3, margin_s=0.0).filtered(x, fs)
    assert np.abs(bare - whole).max() > 1e-3
    np.testing.assert_array_equal(chunked(x, fs), det(x, fs))


def test_nan_stretch_inside_a_chunked_signal(det: QRSDetector) -> None:
    chunked = QRSDetector(det.model, fs=250.0, window_s=4.0, overlap_s=1.0, threshold=0.45,
                          chunk_s=20.0, margin_s=10.0)  # fmt: skip
    x = _ecg(120.0, 360.0)
    y = x.copy()
    y[20000:20500] = np.nan
    got = chunked(y, 360.0)
    want = np.concatenate([chunked(x[:20000], 360.0), chunked(x[20500:], 360.0) + 20500])
    np.testing.assert_array_equal(got, want)
    assert not np.any((got >= 20000) & (got < 20500))


def test_bad_chunk_settings() -> None:
    model = ECG_SEQ_LAB_NET(["qrs"], 1, recover_length=False, rnn={"name": "none"},
                            attn={"name": "none"}, fs=250.0)  # fmt: skip
    with pytest.raises(ValueError, match="chunk_s > 0"):
        QRSDetector(model, chunk_s=0.0)
    with pytest.raises(ValueError, match="margin_s >= 0"):
        QRSDetector(model, margin_s=-1.0)


def test_low_threshold_is_the_hysteresis_of_rpeaks_from_prob(det: QRSDetector) -> None:
    from ecg_models.models._inference import rpeaks_from_prob

    model = det.model
    hyst = QRSDetector(model, fs=250.0, window_s=4.0, overlap_s=1.0, threshold=0.45,
                       low_threshold=0.2, refine_ms=0.0)  # fmt: skip
    prob = np.zeros(200, dtype=np.float32)
    prob[50:55] = [0.3, 0.3, 0.6, 0.3, 0.3]  # one 32-ms step above 0.45, five above 0.2
    prob[120:130] = 0.9
    x = np.zeros(1600, dtype=np.float32)
    r = hyst.reduction
    want = rpeaks_from_prob(prob, 0.45, 250.0, r, 0.04, 0.2, 0.2)
    assert want.tolist() == [(50 + 55) * r // 2, (120 + 130) * r // 2]
    assert hyst.peaks_from_probabilities(prob, x).tolist() == want.tolist()
    plain = QRSDetector(model, fs=250.0, window_s=4.0, overlap_s=1.0, threshold=0.45)
    assert plain.low_threshold is None
    assert plain.peaks_from_probabilities(prob, x).tolist() == [(120 + 130) * r // 2]
    # a threshold below low_threshold given per call: no hysteresis
    assert (
        hyst.peaks_from_probabilities(prob, x, 0.1).tolist()
        == rpeaks_from_prob(prob, 0.1, 250.0, r, 0.04, 0.2).tolist()
    )
    with pytest.raises(ValueError, match="low_threshold must be in"):
        QRSDetector(model, threshold=0.5, low_threshold=0.6)


@pytest.mark.data
def test_pretrained_chunked_equals_unchunked_on_mitdb_100(sample_data) -> None:  # type: ignore[no-untyped-def]
    import wfdb

    from ecg_models.pretrained import load_pretrained
    from ecg_signal.rpeaks.compare import compare

    torch.set_num_threads(1)
    rec = str(sample_data / "mitdb" / "100")
    x = wfdb.rdsamp(rec, channels=[0], sampto=360 * 300)[0][:, 0]  # 5 min, MLII, 360 Hz
    det = load_pretrained("qrs")
    assert isinstance(det, QRSDetector)
    whole = det(x, 360.0)
    det.chunk_s, det.margin_s = 70.0, 30.0
    np.testing.assert_array_equal(det(x, 360.0), whole)
    ann = wfdb.rdann(rec, "atr", sampto=360 * 300)
    ref = np.array([s for s, c in zip(ann.sample, ann.symbol, strict=True) if c in "NAV"])
    assert compare(ref, whole, 360.0, 0.15).f1 > 0.97


def test_memory_of_a_long_recording_is_bounded() -> None:
    import tracemalloc

    torch.manual_seed(0)
    model = ECG_SEQ_LAB_NET(["qrs"], 1, fs=250.0, recover_length=False, cnn={"name": "strided_cnn"},
                            rnn={"name": "none"}, attn={"name": "none"},
                            head={"hidden_sizes": [], "dropout": 0.0})  # fmt: skip
    x = _ecg(3 * 3600.0, 360.0)  # 3 h at 360 Hz: 3.9 M samples, 31 MB of float64
    peaks = {}
    used = {}
    for chunk_s in (600.0, 1e9):
        det = QRSDetector(model, fs=250.0, threshold=0.5, refine_ms=40.0, chunk_s=chunk_s)
        det(x[:36000], 360.0)
        tracemalloc.start()
        peaks[chunk_s] = det(x, 360.0)
        used[chunk_s] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    # chunked: the float32 network input (2.7 M samples, 10.3 MB), the finite mask (3.7 MB),
    # one chunk's temporaries and the per-step output; unchunked: several float64 copies
    assert used[600.0] < 40.0 < used[1e9], used  # measured 25.5 and 86 MB
    np.testing.assert_array_equal(peaks[600.0], peaks[1e9])
