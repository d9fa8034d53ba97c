"""The cpsc2019 case's settings: the network choice and the checks of the data and augment sections."""

from __future__ import annotations

import pytest
import torch

from ecg_benchmarks.cases._cpsc2019_settings import AugmentSettings, DataSettings, ModelSettings
from ecg_benchmarks.cases.cpsc2019 import build_model


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
