"""The cpsc2019 recipe's parts: the network choice and the ectopic-beat sampling weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from ecg_benchmarks.cases._cpsc2019_sampling import abnormal_fraction, abnormal_weights
from ecg_benchmarks.cases.cpsc2019 import DataSettings, ModelSettings, build_model


def test_strided_cnn_network_shape_and_polarity_invariance() -> None:
    torch.manual_seed(0)
    model = build_model(ModelSettings(arch="strided_cnn"), 250.0).eval()
    x = torch.randn(2, 1, 2500)
    with torch.no_grad():
        y, y_flip = model(x), model(-x)
    assert model.reduction == 8 and y.shape == (2, 2500 // 8, 1)
    torch.testing.assert_close(y, y_flip)  # the rectified stem: f(-x) == f(x)
    assert not torch.allclose(y, torch.zeros_like(y))


def test_the_default_network_is_the_strided_cnn() -> None:
    from ecg_models.backbones.strided_cnn import StridedCNN

    assert isinstance(build_model(ModelSettings(), 250.0).backbone, StridedCNN)


def test_bad_recipe_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="model.arch must be one of"):
        ModelSettings(arch="transformer")
    with pytest.raises(ValueError, match="data.abnormal_weight must be >= 0"):
        DataSettings(abnormal_weight=-1.0)
    with pytest.raises(ValueError, match="weight must be >= 0"):
        abnormal_weights(["qtdb/sel100/0"], [1.0], Path("."), -2.0)
    with pytest.raises(ValueError, match="one non-negative value per source"):
        abnormal_weights(["qtdb/sel100/0"], [1.0, 2.0], Path("."), 1.0)


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
