"""ecg_train: outputs, metrics matching the official challenge scorers, loggers and BaseTrainer.

The public names are the re-exports of the ``TYPE_CHECKING`` block below, listed once (add a
name there); :func:`ecg_signal.lazy.attach` resolves them on first use, so importing
``ecg_train`` imports no heavy dependency.
"""

from typing import TYPE_CHECKING

from ecg_signal.lazy import attach
from ecg_train._version import __version__ as __version__

if TYPE_CHECKING:
    from ecg_train.loggers import BaseLogger as BaseLogger
    from ecg_train.loggers import CSVLogger as CSVLogger
    from ecg_train.loggers import LoggerConfig as LoggerConfig
    from ecg_train.loggers import LoggerManager as LoggerManager
    from ecg_train.loggers import TensorBoardLogger as TensorBoardLogger
    from ecg_train.loggers import TextLogger as TextLogger
    from ecg_train.losses import AsymmetricLoss as AsymmetricLoss
    from ecg_train.losses import FocalLoss as FocalLoss
    from ecg_train.losses import MaskedBCEWithLogitsLoss as MaskedBCEWithLogitsLoss
    from ecg_train.losses import WeightedCrossEntropyLoss as WeightedCrossEntropyLoss
    from ecg_train.losses import asymmetric_loss as asymmetric_loss
    from ecg_train.losses import class_weights as class_weights
    from ecg_train.losses import focal_loss as focal_loss
    from ecg_train.losses import masked_bce_with_logits as masked_bce_with_logits
    from ecg_train.losses import weighted_cross_entropy as weighted_cross_entropy
    from ecg_train.metrics.challenge2020 import cinc2021_classes as cinc2021_classes
    from ecg_train.metrics.challenge2020 import cinc2021_weights as cinc2021_weights
    from ecg_train.metrics.challenge2020 import compute_challenge_metric as compute_challenge_metric
    from ecg_train.metrics.cinc2017 import cinc2017_confusion as cinc2017_confusion
    from ecg_train.metrics.cinc2017 import cinc2017_score as cinc2017_score
    from ecg_train.metrics.classification import ClassificationMetrics as ClassificationMetrics
    from ecg_train.metrics.classification import ClassificationResult as ClassificationResult
    from ecg_train.metrics.cpsc2020 import cpsc2020_score as cpsc2020_score
    from ecg_train.metrics.cpsc2021 import cpsc2021_record_score as cpsc2021_record_score
    from ecg_train.metrics.cpsc2021 import cpsc2021_score as cpsc2021_score
    from ecg_train.metrics.rpeaks import RPeaksDetectionMetrics as RPeaksDetectionMetrics
    from ecg_train.metrics.rpeaks import cpsc2019_record_score as cpsc2019_record_score
    from ecg_train.metrics.rpeaks import cpsc2019_score as cpsc2019_score
    from ecg_train.metrics.wave_delineation import WaveDelineationMetrics as WaveDelineationMetrics
    from ecg_train.metrics.wave_delineation import mask_to_waves as mask_to_waves
    from ecg_train.outputs import BaseOutput as BaseOutput
    from ecg_train.outputs import ClassificationOutput as ClassificationOutput
    from ecg_train.outputs import MultiLabelClassificationOutput as MultiLabelClassificationOutput
    from ecg_train.outputs import RPeaksDetectionOutput as RPeaksDetectionOutput
    from ecg_train.outputs import SequenceTaggingOutput as SequenceTaggingOutput
    from ecg_train.outputs import WaveDelineationOutput as WaveDelineationOutput
    from ecg_train.protocols import DataItem as DataItem
    from ecg_train.protocols import ECGDataset as ECGDataset
    from ecg_train.protocols import ECGModel as ECGModel
    from ecg_train.protocols import validate_item as validate_item
    from ecg_train.trainer.base import BaseTrainer as BaseTrainer
    from ecg_train.trainer.config import TrainConfig as TrainConfig
    from ecg_train.trainer.errors import CheckpointMismatchError as CheckpointMismatchError
    from ecg_train.trainer.errors import NonFiniteLossError as NonFiniteLossError
    from ecg_train.trainer.errors import TrainingInterruptedError as TrainingInterruptedError

if not TYPE_CHECKING:
    __getattr__, __dir__, __all__ = attach(__name__, __file__)
