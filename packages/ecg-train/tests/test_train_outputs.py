"""Outputs validate their required fields and compute metrics; wave delineation metrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn import metrics as skm

from ecg_train.metrics.wave_delineation import (
    WaveDelineationMetrics,
    mask_to_waves,
    match_boundaries,
)
from ecg_train.outputs import (
    ClassificationOutput,
    MultiLabelClassificationOutput,
    RPeaksDetectionOutput,
    SequenceTaggingOutput,
    WaveDelineationOutput,
)


def test_required_fields_and_custom_fields() -> None:
    with pytest.raises(ValueError, match="missing required field\\(s\\) pred"):
        ClassificationOutput(classes=["a", "b"], prob=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="prob has 3 classes .* 2 class names"):
        ClassificationOutput(classes=["a", "b"], prob=np.zeros((2, 3)), pred=np.zeros(2, int))
    with pytest.raises(ValueError, match="pred shape"):
        MultiLabelClassificationOutput(
            classes=["a"], thr=0.5, prob=np.zeros((2, 1)), pred=np.zeros((3, 1))
        )
    with pytest.raises(ValueError, match="thr must be"):
        MultiLabelClassificationOutput(
            classes=["a"], thr=3, prob=np.zeros((2, 1)), pred=np.zeros((2, 1))
        )
    out = ClassificationOutput(
        classes=["a", "b"], prob=torch.tensor([[0.8, 0.2]]), pred=torch.tensor([0]), ids=["x"]
    )
    assert (
        out.ids == ["x"] and out["ids"] == ["x"] and set(out) == {"classes", "prob", "pred", "ids"}
    )
    out.extra = 3
    assert out.extra == 3
    with pytest.raises(AttributeError, match="no field 'nope'"):
        _ = out.nope
    with pytest.raises(ValueError, match="pred has"):
        out.pred = np.array([0, 1])


def test_classification_output_metrics() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 60)
    prob = rng.dirichlet(np.ones(3), 60)
    out = ClassificationOutput(classes=["n", "af", "o"], prob=prob, pred=prob.argmax(1), labels=y)
    res = out.compute_metrics()
    assert res["macro_f1"] == pytest.approx(skm.f1_score(y, prob.argmax(1), average="macro"))
    ml = MultiLabelClassificationOutput(
        classes=["a", "b"], thr=0.5, prob=prob[:, :2], pred=prob[:, :2] > 0.5
    )
    lab = np.eye(3)[y][:, :2]
    assert ml.compute_metrics(lab)["micro_f1"] == pytest.approx(
        skm.f1_score(lab, prob[:, :2] > 0.5, average="micro")
    )


def test_sequence_tagging_output() -> None:
    rng = np.random.default_rng(1)
    prob = rng.dirichlet(np.ones(2), (3, 50))
    pred = prob.argmax(-1)
    lab = rng.integers(0, 2, (3, 50))
    out = SequenceTaggingOutput(classes=["bg", "qrs"], prob=prob, pred=pred)
    res = out.compute_metrics(lab)
    assert res["accuracy"] == pytest.approx(skm.accuracy_score(lab.ravel(), pred.ravel()))
    with pytest.raises(ValueError, match="labels shape"):
        out.compute_metrics(lab[:, :10])


def test_mask_to_waves_and_matching() -> None:
    mask = np.array([0, 1, 1, 0, 2, 2, 2, 0, 3, 3, 0, 1])
    w = mask_to_waves(mask)
    np.testing.assert_array_equal(w["p"]["onset"], [1, 11])
    np.testing.assert_array_equal(w["p"]["offset"], [2, 11])
    np.testing.assert_array_equal(w["qrs"]["onset"], [4])
    np.testing.assert_array_equal(w["t"]["offset"], [9])
    a, b = match_boundaries([10, 20], [19, 11, 100], 3)
    assert sorted(zip(a.tolist(), b.tolist(), strict=True)) == [(0, 1), (1, 0)]


def test_wave_delineation_hand_values() -> None:
    fs = 500
    ref = {
        w: {"onset": np.array([100, 600]), "offset": np.array([150, 650])}
        for w in ("p", "qrs", "t")
    }
    pred = {
        w: {"onset": np.array([105, 600, 900]), "offset": np.array([150 - 10, 650 + 100])}
        for w in ("p", "qrs", "t")
    }
    res = WaveDelineationMetrics(fs=fs).compute([ref], [pred])
    # onsets: 2 TP (errors +10 ms, 0 ms), 1 FP (900 is 600 ms away)
    assert (res["qrs_onset_tp"], res["qrs_onset_fp"], res["qrs_onset_fn"]) == (2, 1, 0)
    assert res["qrs_onset_ppv"] == pytest.approx(2 / 3) and res["qrs_onset_sensitivity"] == 1
    assert res["qrs_onset_mean_error_ms"] == pytest.approx(5.0)
    assert res["qrs_onset_sd_error_ms"] == pytest.approx(5.0)
    # offsets: errors -20 ms and +200 ms: the latter exceeds 150 ms -> 1 FN + 1 FP
    assert (res["t_offset_tp"], res["t_offset_fp"], res["t_offset_fn"]) == (1, 1, 1)
    assert res["t_offset_f1"] == pytest.approx(0.5)
    assert res["p_offset_mean_error_ms"] == pytest.approx(-20.0)


def test_wave_delineation_output() -> None:
    mask = np.zeros((1, 1000), int)
    mask[0, 100:150], mask[0, 200:260], mask[0, 400:500] = 1, 2, 3
    pred = mask.copy()
    pred[0, 200:205] = 0  # QRS onset 5 samples (10 ms) late
    prob = np.eye(4)[pred]
    out = WaveDelineationOutput(classes=["i", "p", "qrs", "t"], prob=prob, mask=pred)
    res = out.compute_metrics(mask, fs=500)
    assert res["qrs_onset_f1"] == 1.0 and res["qrs_onset_mean_error_ms"] == pytest.approx(10.0)
    assert res["t_offset_mean_error_ms"] == 0.0


def test_rpeaks_output() -> None:
    ref = [np.array([400, 900, 1400, 1900, 2400, 2900, 3400, 3900, 4400])]
    out = RPeaksDetectionOutput(rpeak_indices=[ref[0] + 5], prob=np.zeros((1, 5000)))
    res = out.compute_metrics(ref, fs=500)
    assert (
        res["f1"] == 1.0
        and res["cpsc2019_score"] == 1.0
        and res["mean_error_ms"] == pytest.approx(10)
    )
    with pytest.raises(ValueError, match="one per record"):
        RPeaksDetectionOutput(rpeak_indices=np.array([1, 2, 3]))
