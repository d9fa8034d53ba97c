"""ecg_signal: preprocessing (numpy/scipy with torch twins), augmentation (torch), their managers,
R-peak detectors and ECG simulation.

The public names are the re-exports of the ``TYPE_CHECKING`` block below, listed once (add a
name there); :func:`ecg_signal.lazy.attach` resolves them on first use, so importing
``ecg_signal`` imports no heavy dependency.
"""

from typing import TYPE_CHECKING

from ecg_signal._version import __version__ as __version__
from ecg_signal.lazy import attach

if TYPE_CHECKING:
    from ecg_signal.augment.artefacts import RandomArtefacts as RandomArtefacts
    from ecg_signal.augment.artefacts import RandomArtefactsConfig as RandomArtefactsConfig
    from ecg_signal.augment.base import Augmenter as Augmenter
    from ecg_signal.augment.baseline_wander import BaselineWander as BaselineWander
    from ecg_signal.augment.baseline_wander import BaselineWanderConfig as BaselineWanderConfig
    from ecg_signal.augment.coloured_noise import ColouredNoise as ColouredNoise
    from ecg_signal.augment.coloured_noise import ColouredNoiseConfig as ColouredNoiseConfig
    from ecg_signal.augment.cutmix import CutMix as CutMix
    from ecg_signal.augment.cutmix import CutMixConfig as CutMixConfig
    from ecg_signal.augment.label_smooth import LabelSmooth as LabelSmooth
    from ecg_signal.augment.label_smooth import LabelSmoothConfig as LabelSmoothConfig
    from ecg_signal.augment.manager import AUGMENTERS as AUGMENTERS
    from ecg_signal.augment.manager import AugmenterManager as AugmenterManager
    from ecg_signal.augment.manager import AugmenterManagerConfig as AugmenterManagerConfig
    from ecg_signal.augment.manager import get_augmenter as get_augmenter
    from ecg_signal.augment.mixup import Mixup as Mixup
    from ecg_signal.augment.mixup import MixupConfig as MixupConfig
    from ecg_signal.augment.random_flip import RandomFlip as RandomFlip
    from ecg_signal.augment.random_flip import RandomFlipConfig as RandomFlipConfig
    from ecg_signal.augment.random_masking import RandomMasking as RandomMasking
    from ecg_signal.augment.random_masking import RandomMaskingConfig as RandomMaskingConfig
    from ecg_signal.augment.random_renormalize import RandomRenormalize as RandomRenormalize
    from ecg_signal.augment.random_renormalize import (
        RandomRenormalizeConfig as RandomRenormalizeConfig,
    )
    from ecg_signal.augment.stretch_compress import StretchCompress as StretchCompress
    from ecg_signal.augment.stretch_compress import StretchCompressConfig as StretchCompressConfig
    from ecg_signal.beat_morphology import BEAT_FEATURES as BEAT_FEATURES
    from ecg_signal.beat_morphology import beat_features as beat_features
    from ecg_signal.preprocess.functional import bandpass as bandpass
    from ecg_signal.preprocess.functional import baseline_remove as baseline_remove
    from ecg_signal.preprocess.functional import detrend_polynomial as detrend_polynomial
    from ecg_signal.preprocess.functional import median_filter as median_filter
    from ecg_signal.preprocess.functional import normalize as normalize
    from ecg_signal.preprocess.functional import notch as notch
    from ecg_signal.preprocess.functional import resample as resample
    from ecg_signal.preprocess.manager import DEFAULT_ORDER as DEFAULT_ORDER
    from ecg_signal.preprocess.manager import BandpassConfig as BandpassConfig
    from ecg_signal.preprocess.manager import BaselineRemoveConfig as BaselineRemoveConfig
    from ecg_signal.preprocess.manager import NormalizeConfig as NormalizeConfig
    from ecg_signal.preprocess.manager import NotchConfig as NotchConfig
    from ecg_signal.preprocess.manager import PreprocConfig as PreprocConfig
    from ecg_signal.preprocess.manager import PreprocManager as PreprocManager
    from ecg_signal.preprocess.manager import ResampleConfig as ResampleConfig
    from ecg_signal.preprocess.modules import BandPass as BandPass
    from ecg_signal.preprocess.modules import BaselineRemove as BaselineRemove
    from ecg_signal.preprocess.modules import Detrend as Detrend
    from ecg_signal.preprocess.modules import Normalize as Normalize
    from ecg_signal.preprocess.modules import Notch as Notch
    from ecg_signal.preprocess.modules import Resample as Resample
    from ecg_signal.rpeaks.api import DEFAULT_METHOD as DEFAULT_METHOD
    from ecg_signal.rpeaks.api import MIN_FS as MIN_FS
    from ecg_signal.rpeaks.api import detect_rpeaks as detect_rpeaks
    from ecg_signal.rpeaks.api import detect_rpeaks_batch as detect_rpeaks_batch
    from ecg_signal.rpeaks.api import list_methods as list_methods
    from ecg_signal.rpeaks.compare import DetectionCounts as DetectionCounts
    from ecg_signal.rpeaks.compare import RPeakComparison as RPeakComparison
    from ecg_signal.rpeaks.compare import compare as compare
    from ecg_signal.rpeaks.compare import cpsc2019_record_score as cpsc2019_record_score
    from ecg_signal.rpeaks.compare import cpsc2019_score as cpsc2019_score
    from ecg_signal.rpeaks.compare import match_annotations as match_annotations
    from ecg_signal.rpeaks.consensus import ConsensusPeaks as ConsensusPeaks
    from ecg_signal.rpeaks.consensus import consensus_rpeaks as consensus_rpeaks
    from ecg_signal.rpeaks.detector import DEFAULT_ECGSUITE_CONFIG as DEFAULT_ECGSUITE_CONFIG
    from ecg_signal.rpeaks.detector import EcgSuiteConfig as EcgSuiteConfig
    from ecg_signal.rpeaks.detector import ecgsuite_detect as ecgsuite_detect
    from ecg_signal.rr_intervals import RR_FEATURES as RR_FEATURES
    from ecg_signal.rr_intervals import rr_features as rr_features
    from ecg_signal.rr_intervals import rr_statistics as rr_statistics
    from ecg_signal.simulate import FIDUCIALS as FIDUCIALS
    from ecg_signal.simulate import STANDARD_LEADS as STANDARD_LEADS
    from ecg_signal.simulate import SimulatedECG as SimulatedECG
    from ecg_signal.simulate import SimulationConfig as SimulationConfig
    from ecg_signal.simulate import simulate_ecg as simulate_ecg
    from ecg_signal.simulate import simulate_from_config as simulate_from_config
    from ecg_signal.wave_intervals import WAVE_FEATURES as WAVE_FEATURES
    from ecg_signal.wave_intervals import wave_features as wave_features

if not TYPE_CHECKING:
    __getattr__, __dir__, __all__ = attach(__name__, __file__)
