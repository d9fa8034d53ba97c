"""ecg_signal: preprocessing (numpy/scipy with torch twins), augmentation (torch), their managers,
R-peak detectors and ECG simulation.

Public names are resolved lazily (PEP 562): importing ``ecg_signal`` imports no heavy
dependency until a name is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ecg_signal._version import __version__

if TYPE_CHECKING:
    from ecg_signal.augment.base import (
        Augmenter as Augmenter,
    )
    from ecg_signal.augment.baseline_wander import (
        BaselineWander as BaselineWander,
    )
    from ecg_signal.augment.baseline_wander import (
        BaselineWanderConfig as BaselineWanderConfig,
    )
    from ecg_signal.augment.cutmix import (
        CutMix as CutMix,
    )
    from ecg_signal.augment.cutmix import (
        CutMixConfig as CutMixConfig,
    )
    from ecg_signal.augment.label_smooth import (
        LabelSmooth as LabelSmooth,
    )
    from ecg_signal.augment.label_smooth import (
        LabelSmoothConfig as LabelSmoothConfig,
    )
    from ecg_signal.augment.manager import (
        AUGMENTERS as AUGMENTERS,
    )
    from ecg_signal.augment.manager import (
        AugmenterManager as AugmenterManager,
    )
    from ecg_signal.augment.manager import (
        AugmenterManagerConfig as AugmenterManagerConfig,
    )
    from ecg_signal.augment.manager import (
        get_augmenter as get_augmenter,
    )
    from ecg_signal.augment.mixup import (
        Mixup as Mixup,
    )
    from ecg_signal.augment.mixup import (
        MixupConfig as MixupConfig,
    )
    from ecg_signal.augment.random_flip import (
        RandomFlip as RandomFlip,
    )
    from ecg_signal.augment.random_flip import (
        RandomFlipConfig as RandomFlipConfig,
    )
    from ecg_signal.augment.random_masking import (
        RandomMasking as RandomMasking,
    )
    from ecg_signal.augment.random_masking import (
        RandomMaskingConfig as RandomMaskingConfig,
    )
    from ecg_signal.augment.random_renormalize import (
        RandomRenormalize as RandomRenormalize,
    )
    from ecg_signal.augment.random_renormalize import (
        RandomRenormalizeConfig as RandomRenormalizeConfig,
    )
    from ecg_signal.augment.stretch_compress import (
        StretchCompress as StretchCompress,
    )
    from ecg_signal.augment.stretch_compress import (
        StretchCompressConfig as StretchCompressConfig,
    )
    from ecg_signal.preprocess.functional import (
        bandpass as bandpass,
    )
    from ecg_signal.preprocess.functional import (
        baseline_remove as baseline_remove,
    )
    from ecg_signal.preprocess.functional import (
        detrend_polynomial as detrend_polynomial,
    )
    from ecg_signal.preprocess.functional import (
        median_filter as median_filter,
    )
    from ecg_signal.preprocess.functional import (
        normalize as normalize,
    )
    from ecg_signal.preprocess.functional import (
        notch as notch,
    )
    from ecg_signal.preprocess.functional import (
        resample as resample,
    )
    from ecg_signal.preprocess.manager import (
        DEFAULT_ORDER as DEFAULT_ORDER,
    )
    from ecg_signal.preprocess.manager import (
        BandpassConfig as BandpassConfig,
    )
    from ecg_signal.preprocess.manager import (
        BaselineRemoveConfig as BaselineRemoveConfig,
    )
    from ecg_signal.preprocess.manager import (
        NormalizeConfig as NormalizeConfig,
    )
    from ecg_signal.preprocess.manager import (
        NotchConfig as NotchConfig,
    )
    from ecg_signal.preprocess.manager import (
        PreprocConfig as PreprocConfig,
    )
    from ecg_signal.preprocess.manager import (
        PreprocManager as PreprocManager,
    )
    from ecg_signal.preprocess.manager import (
        ResampleConfig as ResampleConfig,
    )
    from ecg_signal.preprocess.modules import (
        BandPass as BandPass,
    )
    from ecg_signal.preprocess.modules import (
        BaselineRemove as BaselineRemove,
    )
    from ecg_signal.preprocess.modules import (
        Detrend as Detrend,
    )
    from ecg_signal.preprocess.modules import (
        Normalize as Normalize,
    )
    from ecg_signal.preprocess.modules import (
        Notch as Notch,
    )
    from ecg_signal.preprocess.modules import (
        Resample as Resample,
    )
    from ecg_signal.rpeaks.api import (
        DEFAULT_METHOD as DEFAULT_METHOD,
    )
    from ecg_signal.rpeaks.api import (
        MIN_FS as MIN_FS,
    )
    from ecg_signal.rpeaks.api import (
        detect_rpeaks as detect_rpeaks,
    )
    from ecg_signal.rpeaks.api import (
        detect_rpeaks_batch as detect_rpeaks_batch,
    )
    from ecg_signal.rpeaks.api import (
        list_methods as list_methods,
    )
    from ecg_signal.rpeaks.compare import (
        RPeakComparison as RPeakComparison,
    )
    from ecg_signal.rpeaks.compare import (
        compare as compare,
    )
    from ecg_signal.rpeaks.compare import (
        cpsc2019_record_score as cpsc2019_record_score,
    )
    from ecg_signal.rpeaks.compare import (
        cpsc2019_score as cpsc2019_score,
    )
    from ecg_signal.rpeaks.compare import (
        match_annotations as match_annotations,
    )
    from ecg_signal.rpeaks.detector import (
        DEFAULT_ECGSUITE_CONFIG as DEFAULT_ECGSUITE_CONFIG,
    )
    from ecg_signal.rpeaks.detector import (
        EcgSuiteConfig as EcgSuiteConfig,
    )
    from ecg_signal.rpeaks.detector import (
        ecgsuite_detect as ecgsuite_detect,
    )
    from ecg_signal.simulate import (
        FIDUCIALS as FIDUCIALS,
    )
    from ecg_signal.simulate import (
        STANDARD_LEADS as STANDARD_LEADS,
    )
    from ecg_signal.simulate import (
        SimulatedECG as SimulatedECG,
    )
    from ecg_signal.simulate import (
        SimulationConfig as SimulationConfig,
    )
    from ecg_signal.simulate import (
        simulate_ecg as simulate_ecg,
    )
    from ecg_signal.simulate import (
        simulate_from_config as simulate_from_config,
    )

_EXPORTS: dict[str, str] = {
    "FIDUCIALS": "ecg_signal.simulate",
    "STANDARD_LEADS": "ecg_signal.simulate",
    "SimulatedECG": "ecg_signal.simulate",
    "SimulationConfig": "ecg_signal.simulate",
    "simulate_ecg": "ecg_signal.simulate",
    "simulate_from_config": "ecg_signal.simulate",
    "Augmenter": "ecg_signal.augment.base",
    "AUGMENTERS": "ecg_signal.augment.manager",
    "AugmenterManager": "ecg_signal.augment.manager",
    "AugmenterManagerConfig": "ecg_signal.augment.manager",
    "get_augmenter": "ecg_signal.augment.manager",
    "BaselineWander": "ecg_signal.augment.baseline_wander",
    "BaselineWanderConfig": "ecg_signal.augment.baseline_wander",
    "CutMix": "ecg_signal.augment.cutmix",
    "CutMixConfig": "ecg_signal.augment.cutmix",
    "LabelSmooth": "ecg_signal.augment.label_smooth",
    "LabelSmoothConfig": "ecg_signal.augment.label_smooth",
    "Mixup": "ecg_signal.augment.mixup",
    "MixupConfig": "ecg_signal.augment.mixup",
    "RandomFlip": "ecg_signal.augment.random_flip",
    "RandomFlipConfig": "ecg_signal.augment.random_flip",
    "RandomMasking": "ecg_signal.augment.random_masking",
    "RandomMaskingConfig": "ecg_signal.augment.random_masking",
    "RandomRenormalize": "ecg_signal.augment.random_renormalize",
    "RandomRenormalizeConfig": "ecg_signal.augment.random_renormalize",
    "StretchCompress": "ecg_signal.augment.stretch_compress",
    "StretchCompressConfig": "ecg_signal.augment.stretch_compress",
    "BandpassConfig": "ecg_signal.preprocess.manager",
    "BaselineRemoveConfig": "ecg_signal.preprocess.manager",
    "DEFAULT_ORDER": "ecg_signal.preprocess.manager",
    "NormalizeConfig": "ecg_signal.preprocess.manager",
    "NotchConfig": "ecg_signal.preprocess.manager",
    "PreprocConfig": "ecg_signal.preprocess.manager",
    "PreprocManager": "ecg_signal.preprocess.manager",
    "ResampleConfig": "ecg_signal.preprocess.manager",
    "BandPass": "ecg_signal.preprocess.modules",
    "BaselineRemove": "ecg_signal.preprocess.modules",
    "Detrend": "ecg_signal.preprocess.modules",
    "Normalize": "ecg_signal.preprocess.modules",
    "Notch": "ecg_signal.preprocess.modules",
    "Resample": "ecg_signal.preprocess.modules",
    "bandpass": "ecg_signal.preprocess.functional",
    "baseline_remove": "ecg_signal.preprocess.functional",
    "detrend_polynomial": "ecg_signal.preprocess.functional",
    "median_filter": "ecg_signal.preprocess.functional",
    "normalize": "ecg_signal.preprocess.functional",
    "notch": "ecg_signal.preprocess.functional",
    "resample": "ecg_signal.preprocess.functional",
    "DEFAULT_METHOD": "ecg_signal.rpeaks.api",
    "MIN_FS": "ecg_signal.rpeaks.api",
    "detect_rpeaks": "ecg_signal.rpeaks.api",
    "detect_rpeaks_batch": "ecg_signal.rpeaks.api",
    "list_methods": "ecg_signal.rpeaks.api",
    "RPeakComparison": "ecg_signal.rpeaks.compare",
    "compare": "ecg_signal.rpeaks.compare",
    "cpsc2019_record_score": "ecg_signal.rpeaks.compare",
    "cpsc2019_score": "ecg_signal.rpeaks.compare",
    "match_annotations": "ecg_signal.rpeaks.compare",
    "DEFAULT_ECGSUITE_CONFIG": "ecg_signal.rpeaks.detector",
    "EcgSuiteConfig": "ecg_signal.rpeaks.detector",
    "ecgsuite_detect": "ecg_signal.rpeaks.detector",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ecg_signal' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
