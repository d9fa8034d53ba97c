"""ecg_models: the backbone registry and zoo, task models (CRNN, sequence labelling, U-Nets, RR-LSTM)
with typed configs, safe save/load and export.

Public names are resolved lazily (PEP 562): importing ``ecg_models`` imports no heavy
dependency until a name is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ecg_models._version import __version__

if TYPE_CHECKING:
    from ecg_models.explain import (
        GradCAM as GradCAM,
    )
    from ecg_models.explain import (
        grad_cam as grad_cam,
    )
    from ecg_models.models._base import (
        CheckpointError as CheckpointError,
    )
    from ecg_models.models._base import (
        TaskModel as TaskModel,
    )
    from ecg_models.models._base import (
        create_model as create_model,
    )
    from ecg_models.models._base import (
        list_models as list_models,
    )
    from ecg_models.models._base import (
        read_checkpoint_metadata as read_checkpoint_metadata,
    )
    from ecg_models.models._config import (
        config_to_dict as config_to_dict,
    )
    from ecg_models.models._config import (
        from_config as from_config,
    )
    from ecg_models.models.adjust import (
        adjust_cnn_filter_lengths as adjust_cnn_filter_lengths,
    )
    from ecg_models.models.crf import (
        CRF as CRF,
    )
    from ecg_models.models.crnn import (
        ECG_CRNN as ECG_CRNN,
    )
    from ecg_models.models.crnn import (
        ECG_CRNN_CONFIG as ECG_CRNN_CONFIG,
    )
    from ecg_models.models.crnn import (
        AttentionConfig as AttentionConfig,
    )
    from ecg_models.models.crnn import (
        CNNConfig as CNNConfig,
    )
    from ecg_models.models.crnn import (
        CRNNConfig as CRNNConfig,
    )
    from ecg_models.models.crnn import (
        HeadConfig as HeadConfig,
    )
    from ecg_models.models.crnn import (
        RNNConfig as RNNConfig,
    )
    from ecg_models.models.export import (
        to_onnx as to_onnx,
    )
    from ecg_models.models.export import (
        to_torchscript as to_torchscript,
    )
    from ecg_models.models.outputs import (
        ClassificationInference as ClassificationInference,
    )
    from ecg_models.models.outputs import (
        SequenceInference as SequenceInference,
    )
    from ecg_models.models.rr_lstm import (
        RR_LSTM as RR_LSTM,
    )
    from ecg_models.models.rr_lstm import (
        RR_LSTM_CONFIG as RR_LSTM_CONFIG,
    )
    from ecg_models.models.rr_lstm import (
        RRLSTMConfig as RRLSTMConfig,
    )
    from ecg_models.models.seq_lab_net import (
        ECG_SEQ_LAB_NET as ECG_SEQ_LAB_NET,
    )
    from ecg_models.models.seq_lab_net import (
        ECG_SEQ_LAB_NET_CONFIG as ECG_SEQ_LAB_NET_CONFIG,
    )
    from ecg_models.models.seq_lab_net import (
        SeqLabNetConfig as SeqLabNetConfig,
    )
    from ecg_models.models.u2net import (
        ECG_U2NET as ECG_U2NET,
    )
    from ecg_models.models.u2net import (
        ECG_U2NET_CONFIG as ECG_U2NET_CONFIG,
    )
    from ecg_models.models.u2net import (
        U2NetConfig as U2NetConfig,
    )
    from ecg_models.models.unet import (
        ECG_SUBTRACT_UNET as ECG_SUBTRACT_UNET,
    )
    from ecg_models.models.unet import (
        ECG_SUBTRACT_UNET_CONFIG as ECG_SUBTRACT_UNET_CONFIG,
    )
    from ecg_models.models.unet import (
        ECG_UNET as ECG_UNET,
    )
    from ecg_models.models.unet import (
        ECG_UNET_CONFIG as ECG_UNET_CONFIG,
    )
    from ecg_models.models.unet import (
        UNetConfig as UNetConfig,
    )
    from ecg_models.models.unet_plus import (
        ECG_UNET_PLUS as ECG_UNET_PLUS,
    )
    from ecg_models.models.unet_plus import (
        ECG_UNET_PLUS_CONFIG as ECG_UNET_PLUS_CONFIG,
    )
    from ecg_models.models.unet_plus import (
        UNetPlusConfig as UNetPlusConfig,
    )
    from ecg_models.registry import (
        Backbone as Backbone,
    )
    from ecg_models.registry import (
        create_backbone as create_backbone,
    )
    from ecg_models.registry import (
        get_backbone_config as get_backbone_config,
    )
    from ecg_models.registry import (
        list_backbones as list_backbones,
    )
    from ecg_models.registry import (
        register_backbone as register_backbone,
    )

_EXPORTS: dict[str, str] = {
    "Backbone": "ecg_models.registry",
    "create_backbone": "ecg_models.registry",
    "get_backbone_config": "ecg_models.registry",
    "list_backbones": "ecg_models.registry",
    "register_backbone": "ecg_models.registry",
    "CheckpointError": "ecg_models.models._base",
    "TaskModel": "ecg_models.models._base",
    "create_model": "ecg_models.models._base",
    "list_models": "ecg_models.models._base",
    "read_checkpoint_metadata": "ecg_models.models._base",
    "config_to_dict": "ecg_models.models._config",
    "from_config": "ecg_models.models._config",
    "AttentionConfig": "ecg_models.models.crnn",
    "CNNConfig": "ecg_models.models.crnn",
    "CRNNConfig": "ecg_models.models.crnn",
    "GradCAM": "ecg_models.explain",
    "grad_cam": "ecg_models.explain",
    "ECG_CRNN": "ecg_models.models.crnn",
    "ECG_CRNN_CONFIG": "ecg_models.models.crnn",
    "HeadConfig": "ecg_models.models.crnn",
    "RNNConfig": "ecg_models.models.crnn",
    "ECG_SEQ_LAB_NET": "ecg_models.models.seq_lab_net",
    "ECG_SEQ_LAB_NET_CONFIG": "ecg_models.models.seq_lab_net",
    "SeqLabNetConfig": "ecg_models.models.seq_lab_net",
    "ECG_SUBTRACT_UNET": "ecg_models.models.unet",
    "ECG_SUBTRACT_UNET_CONFIG": "ecg_models.models.unet",
    "ECG_UNET": "ecg_models.models.unet",
    "ECG_UNET_CONFIG": "ecg_models.models.unet",
    "UNetConfig": "ecg_models.models.unet",
    "ECG_UNET_PLUS": "ecg_models.models.unet_plus",
    "ECG_UNET_PLUS_CONFIG": "ecg_models.models.unet_plus",
    "UNetPlusConfig": "ecg_models.models.unet_plus",
    "ECG_U2NET": "ecg_models.models.u2net",
    "ECG_U2NET_CONFIG": "ecg_models.models.u2net",
    "U2NetConfig": "ecg_models.models.u2net",
    "RRLSTMConfig": "ecg_models.models.rr_lstm",
    "RR_LSTM": "ecg_models.models.rr_lstm",
    "RR_LSTM_CONFIG": "ecg_models.models.rr_lstm",
    "CRF": "ecg_models.models.crf",
    "ClassificationInference": "ecg_models.models.outputs",
    "SequenceInference": "ecg_models.models.outputs",
    "adjust_cnn_filter_lengths": "ecg_models.models.adjust",
    "to_onnx": "ecg_models.models.export",
    "to_torchscript": "ecg_models.models.export",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ecg_models' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
