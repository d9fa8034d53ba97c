"""``evaluate`` must return ``dict[str, float]``: anything else is an error naming the method."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import train_toy as toy

from ecg_train.trainer.distributed import check_metrics


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        (None, r"StubTrainer\.evaluate must return a dict\[str, float\] .*got None \(NoneType\)"),
        ([0.5], r"StubTrainer\.evaluate must return .*got \[0\.5\] \(list\)"),
        ({"f1": "high"}, r"StubTrainer\.evaluate must return .*'f1' is 'high' \(str\)"),
        ({1: 0.5}, r"key 1 is not a str"),
    ],
)
def test_bad_evaluate_result_names_the_method(tmp_path: Path, returned: Any, message: str) -> None:
    class StubTrainer(toy.ToyTrainer):
        def evaluate(self, data_loader: Any) -> Any:
            return returned

    trainer = StubTrainer(toy.ToyModel(), toy.train_config(tmp_path))
    with pytest.raises(TypeError, match=message):
        trainer.train()


def test_numbers_of_any_kind_are_floats() -> None:
    got = check_metrics(
        {"a": 1, "b": np.float32(0.25), "c": torch.tensor(0.5), "d": torch.tensor([2.0])}, "T.e"
    )
    assert got == {"a": 1.0, "b": 0.25, "c": 0.5, "d": 2.0}
    assert all(type(v) is float for v in got.values())
    with pytest.raises(TypeError, match="'t' is tensor"):
        check_metrics({"t": torch.zeros(2)}, "T.e")
