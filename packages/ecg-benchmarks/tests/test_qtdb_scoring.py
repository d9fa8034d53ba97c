"""qtdb scoring: the best-beat (BB) rule against hand-derived values, and the per-beat split of
the one-lead scores checked against :func:`score_boundaries` on synthetic and real marks."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from ecg_benchmarks.cases._qtdb_scoring import (
    BOUNDARIES,
    beat_scores,
    best_beat,
    score_best_beat,
    score_boundaries,
)

FS = 250.0  # 150 ms = 37.5 samples
TOL = 37.5
P_WINDOW = (-125.0, 0.0)  # 0.5 s before the QRS peak, samples
BEATS = np.array([1000, 1250, 1500, 1750, 2000, 2250])
P_REF = np.array([960, 1210, 1460, 1960, 2210])  # the beat at 1750 has no annotated P
# beat:        1000  1250   1500  1750  2000   2250
LEAD0 = np.array([965, 1230, 1700, 1956, 2150])  # +5, +20, miss, 1 FP, -4, 60 late
LEAD1 = np.array([950, 1215, 1400, 1690, 1720, 1964, 2160])  # -10, +5, FP, 2 FP, +4, 50 late


def _empty() -> dict[str, np.ndarray]:
    return {label: np.zeros(0, dtype=np.int64) for label in BOUNDARIES}


def test_beat_scores_split_one_lead_by_beat() -> None:
    s0 = beat_scores(P_REF, LEAD0, BEATS, P_WINDOW, TOL)
    assert s0.tp.tolist() == [1, 1, 0, 0, 1, 0]
    assert s0.fn.tolist() == [0, 0, 1, 0, 0, 1]
    assert s0.fp.tolist() == [0, 0, 0, 1, 0, 1]
    assert s0.abs_error.tolist() == [5.0, 20.0, math.inf, math.inf, 4.0, math.inf]
    assert s0.error.tolist() == [5, 20, -4] and s0.error_beat.tolist() == [0, 1, 4]
    s1 = beat_scores(P_REF, LEAD1, BEATS, P_WINDOW, TOL)
    assert s1.tp.tolist() == [1, 1, 0, 0, 1, 0]
    assert s1.fp.tolist() == [0, 0, 1, 2, 0, 1]
    assert s1.abs_error[:2].tolist() == [10.0, 5.0]
    # a detection outside every beat window is not scored; a match is the reference's beat's
    far = beat_scores(P_REF, [5000, 1245], BEATS, P_WINDOW, TOL)
    assert far.fp.sum() == 0 and far.tp.tolist() == [0, 1, 0, 0, 0, 0]
    with pytest.raises(ValueError, match="at least one annotated beat"):
        beat_scores(P_REF, LEAD0, [], P_WINDOW, TOL)


def test_best_beat_rule_hand_derived() -> None:
    s0 = beat_scores(P_REF, LEAD0, BEATS, P_WINDOW, TOL)
    s1 = beat_scores(P_REF, LEAD1, BEATS, P_WINDOW, TOL)
    kept, chosen = best_beat([s0, s1])
    # beat 1: both match, lead 0 nearer (5 < 10); beat 2: lead 1 nearer (5 < 20); beat 3:
    # neither matches, lead 0 has fewer FPs (0 < 1); beat 4 (no reference): 1 FP < 2 FPs;
    # beat 5: |-4| = |+4|, a tie: lead 0; beat 6: neither matches, 1 FP each: lead 0
    assert chosen.tolist() == [0, 1, 0, 0, 0, 0]
    assert kept.error.tolist() == [5, 5, -4]
    assert (int(kept.tp.sum()), int(kept.fn.sum()), int(kept.fp.sum())) == (3, 2, 2)
    # the same marks with the leads swapped keep the same outcomes (ties go to the new lead 0)
    kept2, chosen2 = best_beat([s1, s0])
    assert chosen2.tolist() == [1, 0, 1, 1, 0, 0]
    assert kept2.error.tolist() == [5, 5, 4]
    assert (int(kept2.tp.sum()), int(kept2.fp.sum())) == (3, 2)
    with pytest.raises(ValueError, match="same beats"):
        best_beat([s0, beat_scores(P_REF, LEAD0, BEATS[:3], P_WINDOW, TOL)])


def test_score_best_beat_table_hand_derived() -> None:
    ref = dict(_empty(), **{"P peak": P_REF, "beats": BEATS})
    lead0 = {"P peak": LEAD0, "QRS onset": np.zeros(0, dtype=np.int64)}
    lead1 = {"P peak": LEAD1}  # this lead gives no QRS onset: scored as no detection
    bb = score_best_beat([ref], [[lead0, lead1]], FS)
    p = bb["P peak"]
    assert p["sensitivity"] == pytest.approx(0.6) and p["ppv"] == pytest.approx(0.6)
    assert p["f1"] == pytest.approx(0.6) and p["n_ref"] == 5
    # errors 20, 20, -16 ms: mean 8, SD sqrt((12^2 + 12^2 + 24^2) / 3)
    assert p["mean_error_ms"] == pytest.approx(8.0)
    assert p["sd_error_ms"] == pytest.approx(math.sqrt(288.0))
    # lead 0 alone: 3 TP (20, 80, -16 ms), 2 FN, 2 FP
    one = score_boundaries([ref], [lead0], FS)["P peak"]
    assert one["f1"] == pytest.approx(0.6) and one["mean_error_ms"] == pytest.approx(28.0)
    # a boundary no lead gives is not available; one a lead gives empty is scored
    assert math.isnan(bb["T offset"]["f1"])
    assert bb["QRS onset"]["f1"] == 0.0 and bb["QRS onset"]["n_ref"] == 0
    with pytest.raises(ValueError, match="beats"):
        score_best_beat([_empty()], [[lead0]], FS)


def _random_case(rng: np.random.Generator) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Beats 0.4-1.2 s apart (overlapping windows at high rates), jittered references (some
    left out), detections near them and at random (some far, some in skipped beats)."""
    beats = np.cumsum(rng.integers(100, 300, size=12)) + 500
    ref: dict[str, np.ndarray] = {"beats": beats}
    pred: dict[str, np.ndarray] = {}
    offs = {"p": -40, "qrs": -10, "t": 90}
    for label, (wave, _) in BOUNDARIES.items():
        r = beats + offs[wave] + rng.integers(-8, 8, size=beats.size)
        ref[label] = np.sort(r[rng.random(beats.size) < 0.8])
        near = r[rng.random(beats.size) < 0.7] + rng.integers(-50, 50, size=1)
        noise = rng.integers(int(beats[0]) - 200, int(beats[-1]) + 200, size=6)
        pred[label] = np.sort(np.r_[near, noise]).astype(np.int64)
    return ref, pred


@pytest.mark.parametrize("seed", range(8))
def test_best_beat_of_one_lead_is_the_one_lead_score(seed: int) -> None:
    rng = np.random.default_rng(seed)
    cases = [_random_case(rng) for _ in range(3)]
    refs = [c[0] for c in cases]
    preds = [c[1] for c in cases]
    one = score_boundaries(refs, list(preds), FS)
    for leads in ([[p] for p in preds], [[p, p] for p in preds]):
        bb = score_best_beat(refs, leads, FS)
        for label in BOUNDARIES:
            for k, v in one[label].items():
                assert bb[label][k] == pytest.approx(v, nan_ok=True), (label, k)
    # a second lead can only add matches
    other = [_random_case(rng)[1] for _ in cases]
    bb2 = score_best_beat(refs, [[p, q] for p, q in zip(preds, other, strict=True)], FS)
    for label in BOUNDARIES:
        assert bb2[label]["sensitivity"] >= one[label]["sensitivity"] - 1e-12


@pytest.mark.data
def test_best_beat_on_a_real_record(sample_data: Path) -> None:
    """sel100's real annotations: one lead's best beat is its one-lead score; the reference
    itself given as a second lead scores perfectly."""
    from ecg_benchmarks.cases.qtdb import _reference
    from ecg_data import QTDB

    ref = _reference(QTDB(sample_data / "qtdb").load_waves("sel100", "q1c"))
    assert ref["beats"].size == 30
    rng = np.random.default_rng(0)
    pred = {k: v + rng.integers(-30, 30, size=v.size) for k, v in ref.items() if k != "beats"}
    pred = {k: np.r_[v, ref["beats"][::3] - 60] for k, v in pred.items()}
    one = score_boundaries([ref], [pred], FS)
    bb = score_best_beat([ref], [[pred, pred]], FS)
    for label in BOUNDARIES:
        assert bb[label] == pytest.approx(one[label])
    exact = {k: v for k, v in ref.items() if k != "beats"}
    perfect = score_best_beat([ref], [[pred, exact]], FS)
    for label in BOUNDARIES:
        assert perfect[label]["sensitivity"] == 1.0
        assert perfect[label]["mean_error_ms"] == 0.0 and perfect[label]["sd_error_ms"] == 0.0
