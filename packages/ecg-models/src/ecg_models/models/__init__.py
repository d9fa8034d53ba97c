"""Task models: ECG_CRNN, ECG_SEQ_LAB_NET, the U-Net family and RR_LSTM, with typed configs,
safe save/load (safetensors + JSON) and TorchScript/ONNX export."""

from ecg_models.models._base import (
    CHECKPOINT_FORMAT_VERSION,
    CheckpointError,
    TaskModel,
    create_model,
    get_model_class,
    list_models,
    read_checkpoint_metadata,
)
from ecg_models.models._config import ConfigMixin, config_to_dict, from_config
from ecg_models.models.adjust import adjust_cnn_filter_lengths
from ecg_models.models.crf import CRF
from ecg_models.models.crnn import (
    ECG_CRNN,
    ECG_CRNN_CONFIG,
    AttentionConfig,
    CNNConfig,
    CRNNConfig,
    HeadConfig,
    RNNConfig,
)
from ecg_models.models.export import to_onnx, to_torchscript
from ecg_models.models.outputs import ClassificationInference, SequenceInference
from ecg_models.models.rr_lstm import RR_LSTM, RR_LSTM_CONFIG, RRLSTMConfig
from ecg_models.models.seq_lab_net import ECG_SEQ_LAB_NET, ECG_SEQ_LAB_NET_CONFIG, SeqLabNetConfig
from ecg_models.models.u2net import ECG_U2NET, ECG_U2NET_CONFIG, U2NetConfig
from ecg_models.models.unet import (
    ECG_SUBTRACT_UNET,
    ECG_SUBTRACT_UNET_CONFIG,
    ECG_UNET,
    ECG_UNET_CONFIG,
    UNetConfig,
)
from ecg_models.models.unet_plus import ECG_UNET_PLUS, ECG_UNET_PLUS_CONFIG, UNetPlusConfig

__all__ = [
    "CHECKPOINT_FORMAT_VERSION",
    "CRF",
    "AttentionConfig",
    "CNNConfig",
    "CRNNConfig",
    "CheckpointError",
    "ClassificationInference",
    "ConfigMixin",
    "ECG_CRNN",
    "ECG_CRNN_CONFIG",
    "ECG_SEQ_LAB_NET",
    "ECG_SEQ_LAB_NET_CONFIG",
    "ECG_SUBTRACT_UNET",
    "ECG_SUBTRACT_UNET_CONFIG",
    "ECG_U2NET",
    "ECG_U2NET_CONFIG",
    "ECG_UNET",
    "ECG_UNET_CONFIG",
    "ECG_UNET_PLUS",
    "ECG_UNET_PLUS_CONFIG",
    "HeadConfig",
    "RNNConfig",
    "RRLSTMConfig",
    "RR_LSTM",
    "RR_LSTM_CONFIG",
    "SeqLabNetConfig",
    "SequenceInference",
    "TaskModel",
    "U2NetConfig",
    "UNetConfig",
    "UNetPlusConfig",
    "adjust_cnn_filter_lengths",
    "config_to_dict",
    "create_model",
    "from_config",
    "get_model_class",
    "list_models",
    "read_checkpoint_metadata",
    "to_onnx",
    "to_torchscript",
]
