"""ECG data augmentation in torch: augmenters and the :class:`AugmenterManager`.

Every augmenter maps ``(sig, label, *extra)`` to a tuple of the same form, with ``sig`` of shape
``(batch, leads, samples)``; see :class:`~ecg_signal.augment.base.Augmenter`.
"""

from ecg_signal.augment.artefacts import RandomArtefacts, RandomArtefactsConfig
from ecg_signal.augment.base import Augmenter
from ecg_signal.augment.baseline_wander import BaselineWander, BaselineWanderConfig
from ecg_signal.augment.coloured_noise import ColouredNoise, ColouredNoiseConfig
from ecg_signal.augment.cutmix import CutMix, CutMixConfig
from ecg_signal.augment.label_smooth import LabelSmooth, LabelSmoothConfig
from ecg_signal.augment.manager import (
    AUGMENTERS,
    AugmenterManager,
    AugmenterManagerConfig,
    get_augmenter,
)
from ecg_signal.augment.mixup import Mixup, MixupConfig
from ecg_signal.augment.random_flip import RandomFlip, RandomFlipConfig
from ecg_signal.augment.random_masking import RandomMasking, RandomMaskingConfig
from ecg_signal.augment.random_renormalize import RandomRenormalize, RandomRenormalizeConfig
from ecg_signal.augment.stretch_compress import StretchCompress, StretchCompressConfig

__all__ = [
    "AUGMENTERS",
    "Augmenter",
    "AugmenterManager",
    "AugmenterManagerConfig",
    "BaselineWander",
    "BaselineWanderConfig",
    "ColouredNoise",
    "ColouredNoiseConfig",
    "CutMix",
    "CutMixConfig",
    "LabelSmooth",
    "LabelSmoothConfig",
    "Mixup",
    "MixupConfig",
    "RandomFlip",
    "RandomFlipConfig",
    "RandomMasking",
    "RandomMaskingConfig",
    "RandomArtefacts",
    "RandomArtefactsConfig",
    "RandomRenormalize",
    "RandomRenormalizeConfig",
    "StretchCompress",
    "StretchCompressConfig",
    "get_augmenter",
]
