"""ecg_models: the backbone registry and zoo, task models (CRNN, sequence labelling, U-Nets, RR-LSTM)
with typed configs, safe save/load and export.

The public names are the re-exports of the ``TYPE_CHECKING`` block below, listed once (add a
name there); :func:`ecg_signal.lazy.attach` resolves them on first use, so importing
``ecg_models`` imports no heavy dependency.
"""

from typing import TYPE_CHECKING

from ecg_models._version import __version__ as __version__
from ecg_signal.lazy import attach

if TYPE_CHECKING:
    from ecg_models.explain import GradCAM as GradCAM
    from ecg_models.explain import grad_cam as grad_cam
    from ecg_models.models._base import CheckpointError as CheckpointError
    from ecg_models.models._base import TaskModel as TaskModel
    from ecg_models.models._base import create_model as create_model
    from ecg_models.models._base import list_models as list_models
    from ecg_models.models._base import read_checkpoint_metadata as read_checkpoint_metadata
    from ecg_models.models._config import config_to_dict as config_to_dict
    from ecg_models.models._config import from_config as from_config
    from ecg_models.models.adjust import adjust_cnn_filter_lengths as adjust_cnn_filter_lengths
    from ecg_models.models.crf import CRF as CRF
    from ecg_models.models.crnn import ECG_CRNN as ECG_CRNN
    from ecg_models.models.crnn import ECG_CRNN_CONFIG as ECG_CRNN_CONFIG
    from ecg_models.models.crnn import AttentionConfig as AttentionConfig
    from ecg_models.models.crnn import CNNConfig as CNNConfig
    from ecg_models.models.crnn import CRNNConfig as CRNNConfig
    from ecg_models.models.crnn import HeadConfig as HeadConfig
    from ecg_models.models.crnn import RNNConfig as RNNConfig
    from ecg_models.models.export import to_onnx as to_onnx
    from ecg_models.models.export import to_torchscript as to_torchscript
    from ecg_models.models.outputs import ClassificationInference as ClassificationInference
    from ecg_models.models.outputs import SequenceInference as SequenceInference
    from ecg_models.models.rr_lstm import RR_LSTM as RR_LSTM
    from ecg_models.models.rr_lstm import RR_LSTM_CONFIG as RR_LSTM_CONFIG
    from ecg_models.models.rr_lstm import RRLSTMConfig as RRLSTMConfig
    from ecg_models.models.seq_lab_net import ECG_SEQ_LAB_NET as ECG_SEQ_LAB_NET
    from ecg_models.models.seq_lab_net import ECG_SEQ_LAB_NET_CONFIG as ECG_SEQ_LAB_NET_CONFIG
    from ecg_models.models.seq_lab_net import SeqLabNetConfig as SeqLabNetConfig
    from ecg_models.models.u2net import ECG_U2NET as ECG_U2NET
    from ecg_models.models.u2net import ECG_U2NET_CONFIG as ECG_U2NET_CONFIG
    from ecg_models.models.u2net import U2NetConfig as U2NetConfig
    from ecg_models.models.unet import ECG_SUBTRACT_UNET as ECG_SUBTRACT_UNET
    from ecg_models.models.unet import ECG_SUBTRACT_UNET_CONFIG as ECG_SUBTRACT_UNET_CONFIG
    from ecg_models.models.unet import ECG_UNET as ECG_UNET
    from ecg_models.models.unet import ECG_UNET_CONFIG as ECG_UNET_CONFIG
    from ecg_models.models.unet import UNetConfig as UNetConfig
    from ecg_models.models.unet_plus import ECG_UNET_PLUS as ECG_UNET_PLUS
    from ecg_models.models.unet_plus import ECG_UNET_PLUS_CONFIG as ECG_UNET_PLUS_CONFIG
    from ecg_models.models.unet_plus import UNetPlusConfig as UNetPlusConfig
    from ecg_models.registry import Backbone as Backbone
    from ecg_models.registry import create_backbone as create_backbone
    from ecg_models.registry import get_backbone_config as get_backbone_config
    from ecg_models.registry import list_backbones as list_backbones
    from ecg_models.registry import register_backbone as register_backbone

if not TYPE_CHECKING:
    __getattr__, __dir__, __all__ = attach(__name__, __file__)
