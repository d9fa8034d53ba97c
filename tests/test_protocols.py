"""Cross-package agreements: the providers conform to what their consumers define.

- ecg-train defines what a dataset item is (``validate_item``/``DataItem``) and what a model is
  (``ECGModel``): every ecg-data Dataset and every ecg-models task model must conform.
"""

from __future__ import annotations

from copy import deepcopy
from pathlib import Path
from typing import Any

import pytest
import torch

from ecg_train.protocols import ECGDataset, ECGModel, validate_item


def _datasets(sample_data: Path) -> dict[str, Any]:
    import ecg_data as d

    def cfg(base: Any, **kw: Any) -> Any:
        c = deepcopy(base)
        for k, v in kw.items():
            setattr(c, k, v)
        return c

    return {
        "CPSC2019": lambda: d.CPSC2019Dataset(
            cfg(d.CPSC2019TrainCfg, db_dir=sample_data / "cpsc2019"), training=True
        ),
        "CPSC2019-synthetic": lambda: d.CPSC2019Dataset(cfg(d.CPSC2019TrainCfg, db_dir=None)),
        "CINC2021": lambda: d.CINC2021Dataset(
            cfg(d.CINC2021TrainCfg, db_dir=sample_data / "cinc2021"), training=True, lazy=True
        ),
        "CINC2021-2leads": lambda: d.CINC2021Dataset(
            cfg(d.CINC2021TrainCfg, db_dir=sample_data / "cinc2021", leads=2), training=False
        ),
        "LUDB": lambda: d.LUDBDataset(cfg(d.LUDBTrainCfg, db_dir=sample_data / "ludb")),
        "CPSC2021-main": lambda: d.CPSC2021Dataset(
            cfg(d.CPSC2021TrainCfg, db_dir=sample_data / "cpsc2021", task="main")
        ),
        "CPSC2021-qrs": lambda: d.CPSC2021Dataset(
            cfg(d.CPSC2021TrainCfg, db_dir=sample_data / "cpsc2021", task="qrs_detection")
        ),
        "MITDB-beat": lambda: d.MITDBDataset(cfg(d.MITDBTrainCfg, db_dir=sample_data / "mitdb")),
    }


DATASETS = [
    "CPSC2019",
    "CPSC2019-synthetic",
    "CINC2021",
    "CINC2021-2leads",
    "LUDB",
    "CPSC2021-main",
    "CPSC2021-qrs",
    "MITDB-beat",
]


@pytest.mark.data
@pytest.mark.parametrize("name", DATASETS)
def test_ecg_data_datasets_yield_what_ecg_train_consumes(sample_data: Path, name: str) -> None:
    ds = _datasets(sample_data)[name]()
    assert isinstance(ds, ECGDataset)
    assert len(ds) > 0
    arities = (2,) if name in ("CPSC2019", "CPSC2019-synthetic", "CPSC2021-qrs") else (2, 3)
    for index in (0, len(ds) - 1):
        item = validate_item(ds[index], arities=arities)
        assert torch.isfinite(item.signals).all()
    if name == "CINC2021-2leads":
        assert item.signals.shape[0] == 2


def _models() -> dict[str, Any]:
    import ecg_models as m

    classes = ["N", "AF"]
    return {
        "ECG_CRNN": lambda: m.ECG_CRNN(classes, 12),
        "ECG_SEQ_LAB_NET": lambda: m.ECG_SEQ_LAB_NET(classes, 12),
        "ECG_UNET": lambda: m.ECG_UNET(classes, 12),
        "ECG_SUBTRACT_UNET": lambda: m.ECG_SUBTRACT_UNET(classes, 12),
        "ECG_UNET_PLUS": lambda: m.ECG_UNET_PLUS(classes, 12),
        "ECG_U2NET": lambda: m.ECG_U2NET(classes, 12),
        "RR_LSTM": lambda: m.RR_LSTM(classes, 1),
    }


@pytest.mark.parametrize("name", list(_models()))
def test_ecg_models_task_models_are_ecg_train_models(name: str) -> None:
    model = _models()[name]()
    assert isinstance(model, ECGModel)
    assert list(model.classes) == ["N", "AF"]
    assert model.n_leads in (1, 12)


def test_every_task_model_is_covered() -> None:
    import ecg_models

    assert set(ecg_models.list_models()) <= set(_models()), "a task model is missing above"
