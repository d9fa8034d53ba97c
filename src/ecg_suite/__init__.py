"""ecg-suite: the meta-package that installs the five ecg-* packages.

It has almost no code of its own: :class:`CFG` (a dict with attribute access, for seed-style
configuration code), ``__version__``, and lazy re-exports of the most used names of the five
packages, so ``from ecg_suite import ECG_CRNN`` works without importing everything up front.
"""

from typing import TYPE_CHECKING

from ecg_signal.lazy import attach
from ecg_suite._cfg import CFG as CFG
from ecg_suite._version import __version__ as __version__

if TYPE_CHECKING:
    from ecg_data import CINC2021 as CINC2021
    from ecg_data import CPSC2019 as CPSC2019
    from ecg_data import CPSC2021 as CPSC2021
    from ecg_data import LUDB as LUDB
    from ecg_data import MITDB as MITDB
    from ecg_data import PTBXL as PTBXL
    from ecg_data import CINC2020Dataset as CINC2020Dataset
    from ecg_data import CINC2020TrainCfg as CINC2020TrainCfg
    from ecg_data import CINC2021Dataset as CINC2021Dataset
    from ecg_data import CINC2021TrainCfg as CINC2021TrainCfg
    from ecg_data import CPSC2019Dataset as CPSC2019Dataset
    from ecg_data import CPSC2019TrainCfg as CPSC2019TrainCfg
    from ecg_data import CPSC2021Dataset as CPSC2021Dataset
    from ecg_data import CPSC2021TrainCfg as CPSC2021TrainCfg
    from ecg_data import LUDBDataset as LUDBDataset
    from ecg_data import LUDBTrainCfg as LUDBTrainCfg
    from ecg_data import MITDBDataset as MITDBDataset
    from ecg_data import PTBXLDataset as PTBXLDataset
    from ecg_data import SyntheticDB as SyntheticDB
    from ecg_models import ECG_CRNN as ECG_CRNN
    from ecg_models import ECG_CRNN_CONFIG as ECG_CRNN_CONFIG
    from ecg_models import ECG_SEQ_LAB_NET as ECG_SEQ_LAB_NET
    from ecg_models import ECG_SEQ_LAB_NET_CONFIG as ECG_SEQ_LAB_NET_CONFIG
    from ecg_models import ECG_SUBTRACT_UNET as ECG_SUBTRACT_UNET
    from ecg_models import ECG_UNET as ECG_UNET
    from ecg_models import ECG_UNET_CONFIG as ECG_UNET_CONFIG
    from ecg_models import RR_LSTM as RR_LSTM
    from ecg_models import adjust_cnn_filter_lengths as adjust_cnn_filter_lengths
    from ecg_models import create_backbone as create_backbone
    from ecg_models import get_backbone_config as get_backbone_config
    from ecg_models import list_backbones as list_backbones
    from ecg_signal import AugmenterManager as AugmenterManager
    from ecg_signal import PreprocManager as PreprocManager
    from ecg_signal import compare as compare
    from ecg_signal import detect_rpeaks as detect_rpeaks
    from ecg_signal import simulate_ecg as simulate_ecg
    from ecg_train import BaseTrainer as BaseTrainer
    from ecg_train import ClassificationMetrics as ClassificationMetrics
    from ecg_train import ClassificationOutput as ClassificationOutput
    from ecg_train import LoggerManager as LoggerManager
    from ecg_train import MultiLabelClassificationOutput as MultiLabelClassificationOutput
    from ecg_train import RPeaksDetectionMetrics as RPeaksDetectionMetrics
    from ecg_train import RPeaksDetectionOutput as RPeaksDetectionOutput
    from ecg_train import SequenceTaggingOutput as SequenceTaggingOutput
    from ecg_train import TrainConfig as TrainConfig
    from ecg_train import WaveDelineationMetrics as WaveDelineationMetrics
    from ecg_train import WaveDelineationOutput as WaveDelineationOutput

if not TYPE_CHECKING:
    __getattr__, __dir__, __all__ = attach(__name__, __file__)
