"""The cpsc2019 case's sampling of training windows: weights by the share of ectopic beats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecg_benchmarks.cases._cpsc2019_sampling import abnormal_fraction, abnormal_weights


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
