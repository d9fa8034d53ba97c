"""ecg-suite: the meta-package that installs the five ecg-* packages.

It has almost no code of its own: :class:`CFG` (a dict with attribute access, for seed-style
configuration code), ``__version__``, and lazy re-exports of the most used names of the five
packages, so ``from ecg_suite import ECG_CRNN`` works without importing everything up front.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ecg_suite._cfg import CFG
from ecg_suite._version import __version__

if TYPE_CHECKING:
    from ecg_data import (
        CINC2021 as CINC2021,
    )
    from ecg_data import (
        CPSC2019 as CPSC2019,
    )
    from ecg_data import (
        CPSC2021 as CPSC2021,
    )
    from ecg_data import (
        LUDB as LUDB,
    )
    from ecg_data import (
        MITDB as MITDB,
    )
    from ecg_data import (
        PTBXL as PTBXL,
    )
    from ecg_data import (
        CINC2020Dataset as CINC2020Dataset,
    )
    from ecg_data import (
        CINC2020TrainCfg as CINC2020TrainCfg,
    )
    from ecg_data import (
        CINC2021Dataset as CINC2021Dataset,
    )
    from ecg_data import (
        CINC2021TrainCfg as CINC2021TrainCfg,
    )
    from ecg_data import (
        CPSC2019Dataset as CPSC2019Dataset,
    )
    from ecg_data import (
        CPSC2019TrainCfg as CPSC2019TrainCfg,
    )
    from ecg_data import (
        CPSC2021Dataset as CPSC2021Dataset,
    )
    from ecg_data import (
        CPSC2021TrainCfg as CPSC2021TrainCfg,
    )
    from ecg_data import (
        LUDBDataset as LUDBDataset,
    )
    from ecg_data import (
        LUDBTrainCfg as LUDBTrainCfg,
    )
    from ecg_data import (
        MITDBDataset as MITDBDataset,
    )
    from ecg_data import (
        PTBXLDataset as PTBXLDataset,
    )
    from ecg_data import (
        SyntheticDB as SyntheticDB,
    )
    from ecg_models import (
        ECG_CRNN as ECG_CRNN,
    )
    from ecg_models import (
        ECG_CRNN_CONFIG as ECG_CRNN_CONFIG,
    )
    from ecg_models import (
        ECG_SEQ_LAB_NET as ECG_SEQ_LAB_NET,
    )
    from ecg_models import (
        ECG_SEQ_LAB_NET_CONFIG as ECG_SEQ_LAB_NET_CONFIG,
    )
    from ecg_models import (
        ECG_SUBTRACT_UNET as ECG_SUBTRACT_UNET,
    )
    from ecg_models import (
        ECG_UNET as ECG_UNET,
    )
    from ecg_models import (
        ECG_UNET_CONFIG as ECG_UNET_CONFIG,
    )
    from ecg_models import (
        RR_LSTM as RR_LSTM,
    )
    from ecg_models import (
        adjust_cnn_filter_lengths as adjust_cnn_filter_lengths,
    )
    from ecg_models import (
        create_backbone as create_backbone,
    )
    from ecg_models import (
        get_backbone_config as get_backbone_config,
    )
    from ecg_models import (
        list_backbones as list_backbones,
    )
    from ecg_signal import (
        AugmenterManager as AugmenterManager,
    )
    from ecg_signal import (
        PreprocManager as PreprocManager,
    )
    from ecg_signal import (
        compare as compare,
    )
    from ecg_signal import (
        detect_rpeaks as detect_rpeaks,
    )
    from ecg_signal import (
        simulate_ecg as simulate_ecg,
    )
    from ecg_train import (
        BaseTrainer as BaseTrainer,
    )
    from ecg_train import (
        ClassificationMetrics as ClassificationMetrics,
    )
    from ecg_train import (
        ClassificationOutput as ClassificationOutput,
    )
    from ecg_train import (
        LoggerManager as LoggerManager,
    )
    from ecg_train import (
        MultiLabelClassificationOutput as MultiLabelClassificationOutput,
    )
    from ecg_train import (
        RPeaksDetectionMetrics as RPeaksDetectionMetrics,
    )
    from ecg_train import (
        RPeaksDetectionOutput as RPeaksDetectionOutput,
    )
    from ecg_train import (
        SequenceTaggingOutput as SequenceTaggingOutput,
    )
    from ecg_train import (
        TrainConfig as TrainConfig,
    )
    from ecg_train import (
        WaveDelineationMetrics as WaveDelineationMetrics,
    )
    from ecg_train import (
        WaveDelineationOutput as WaveDelineationOutput,
    )

# name -> package that exports it; resolved on first access (PEP 562), so importing ecg_suite
# imports none of the packages.
_REEXPORTS: dict[str, str] = {
    "AugmenterManager": "ecg_signal",
    "PreprocManager": "ecg_signal",
    "compare": "ecg_signal",
    "detect_rpeaks": "ecg_signal",
    "simulate_ecg": "ecg_signal",
    "CINC2020Dataset": "ecg_data",
    "CINC2020TrainCfg": "ecg_data",
    "CINC2021": "ecg_data",
    "CINC2021Dataset": "ecg_data",
    "CINC2021TrainCfg": "ecg_data",
    "CPSC2019": "ecg_data",
    "CPSC2019Dataset": "ecg_data",
    "CPSC2019TrainCfg": "ecg_data",
    "CPSC2021": "ecg_data",
    "CPSC2021Dataset": "ecg_data",
    "CPSC2021TrainCfg": "ecg_data",
    "LUDB": "ecg_data",
    "LUDBDataset": "ecg_data",
    "LUDBTrainCfg": "ecg_data",
    "MITDB": "ecg_data",
    "MITDBDataset": "ecg_data",
    "PTBXL": "ecg_data",
    "PTBXLDataset": "ecg_data",
    "SyntheticDB": "ecg_data",
    "ECG_CRNN": "ecg_models",
    "ECG_CRNN_CONFIG": "ecg_models",
    "ECG_SEQ_LAB_NET": "ecg_models",
    "ECG_SEQ_LAB_NET_CONFIG": "ecg_models",
    "ECG_SUBTRACT_UNET": "ecg_models",
    "ECG_UNET": "ecg_models",
    "ECG_UNET_CONFIG": "ecg_models",
    "RR_LSTM": "ecg_models",
    "adjust_cnn_filter_lengths": "ecg_models",
    "create_backbone": "ecg_models",
    "get_backbone_config": "ecg_models",
    "list_backbones": "ecg_models",
    "BaseTrainer": "ecg_train",
    "ClassificationMetrics": "ecg_train",
    "ClassificationOutput": "ecg_train",
    "LoggerManager": "ecg_train",
    "MultiLabelClassificationOutput": "ecg_train",
    "RPeaksDetectionMetrics": "ecg_train",
    "RPeaksDetectionOutput": "ecg_train",
    "SequenceTaggingOutput": "ecg_train",
    "TrainConfig": "ecg_train",
    "WaveDelineationMetrics": "ecg_train",
    "WaveDelineationOutput": "ecg_train",
}

__all__ = ["CFG", "__version__", *sorted(_REEXPORTS)]


def __getattr__(name: str) -> Any:
    module = _REEXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ecg_suite' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_REEXPORTS))
