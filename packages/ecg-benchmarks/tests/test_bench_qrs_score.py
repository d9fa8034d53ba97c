"""The official CPSC2019 QRS score, on hand-derived cases."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_benchmarks.cases._qrs_score import qrs_record_score, qrs_score

FS = 500
REF = np.array([200, 1000, 1500, 2000, 2500, 4800])  # 200 (< 0.5 s) and 4800 (> 9.5 s) are dropped


def test_perfect_and_tolerance_edges() -> None:
    r = qrs_record_score(REF, [1000, 1500, 2000, 2500], FS)
    assert (r.tp, r.fp, r.fn, r.score) == (4, 0, 0, 1.0)
    # 75 ms = 37.5 samples: 37 samples off is a hit, 38 is not.
    assert qrs_record_score([1000], [1037], FS).score == 1.0
    assert qrs_record_score([1000], [1038], FS).fn == 1


def test_one_fp_one_fn_and_more() -> None:
    assert qrs_record_score(REF, [1000, 1500, 1750, 2000, 2500], FS).score == 0.7  # FP in a gap
    assert qrs_record_score(REF, [1000, 1500, 2500], FS).score == 0.3  # 2000 missed
    assert qrs_record_score(REF, [1000, 1500, 1510, 2000, 2500], FS).score == 0.7  # double hit
    r = qrs_record_score(REF, [1000, 2500], FS)
    assert (r.fn, r.score) == (2, 0.0)


def test_official_quirks() -> None:
    # The gap between the first and second reference peaks is not checked by the official code...
    assert qrs_record_score(REF, [1000, 1250, 1500, 2000, 2500], FS).score == 1.0
    # ...nor detections before 0.5 s + 75 ms or after 9.5 s - 75 ms.
    assert qrs_record_score(REF, [100, 1000, 1500, 2000, 2500, 4900], FS).score == 1.0
    # A detection before the first reference peak (after 0.575 s) is a FP.
    assert qrs_record_score(REF, [600, 1000, 1500, 2000, 2500], FS).score == 0.7


def test_mean_over_records_and_errors() -> None:
    assert qrs_score(
        [REF, REF], [[1000, 1500, 2000, 2500], [1000, 1500, 2500]], FS
    ) == pytest.approx(0.65)
    with pytest.raises(ValueError, match="one entry per record"):
        qrs_score([REF], [], FS)
    with pytest.raises(ValueError, match="at least one record"):
        qrs_score([], [], FS)
