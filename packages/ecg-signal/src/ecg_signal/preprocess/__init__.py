"""ECG preprocessors: numpy/scipy functions, their torch twins and modules, and the manager.

- :mod:`ecg_signal.preprocess.functional`: numpy/scipy functional core (band-pass, notch,
  resample, baseline removal, polynomial detrend, normalize).
- :mod:`ecg_signal.preprocess.torch_functional`: the same algorithms and filters in torch.
- :mod:`ecg_signal.preprocess.modules`: ``nn.Module`` forms.
- :mod:`ecg_signal.preprocess.manager`: configs and :class:`PreprocManager`.
- :mod:`ecg_signal.preprocess.spikes`: repair of impulse artefacts (one to three samples).
"""

from __future__ import annotations

from ecg_signal.preprocess.functional import (
    bandpass,
    baseline_remove,
    butter_sos,
    detrend_polynomial,
    median_filter,
    normalize,
    notch,
    notch_sos,
    resample,
    resample_ratio,
)
from ecg_signal.preprocess.manager import (
    DEFAULT_ORDER,
    BandpassConfig,
    BaselineRemoveConfig,
    NormalizeConfig,
    NotchConfig,
    PreprocConfig,
    PreprocManager,
    ResampleConfig,
)
from ecg_signal.preprocess.modules import (
    BandPass,
    BaselineRemove,
    Detrend,
    Normalize,
    Notch,
    Resample,
)
from ecg_signal.preprocess.spikes import remove_spikes, spike_mask

__all__ = [
    "DEFAULT_ORDER",
    "BandPass",
    "BandpassConfig",
    "BaselineRemove",
    "BaselineRemoveConfig",
    "Detrend",
    "Normalize",
    "NormalizeConfig",
    "Notch",
    "NotchConfig",
    "PreprocConfig",
    "PreprocManager",
    "Resample",
    "ResampleConfig",
    "bandpass",
    "baseline_remove",
    "butter_sos",
    "detrend_polynomial",
    "median_filter",
    "normalize",
    "notch",
    "notch_sos",
    "remove_spikes",
    "resample",
    "resample_ratio",
    "spike_mask",
]
