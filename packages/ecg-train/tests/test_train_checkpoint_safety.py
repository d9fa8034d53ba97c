"""Checkpoints never unpickle: a crafted file at any checkpoint name runs no code on load."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import train_toy as toy

from ecg_train.trainer.checkpoint import latest_checkpoint, load_checkpoint
from ecg_train.trainer.safe_state import decode_state, encode_state, read_state, state_to_bytes


class _Evil:
    """Unpickling this object creates the folder ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (self.marker,))


def _write_evil(path: Path, marker: Path, *, zipped: bool) -> None:
    payload = {"format": 2, "model": _Evil(marker), "model_class": "ToyModel"}
    path.parent.mkdir(parents=True, exist_ok=True)
    if zipped:
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload))


def test_the_crafted_file_is_really_malicious(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    _write_evil(tmp_path / "x.pt", marker, zipped=False)
    pickle.loads((tmp_path / "x.pt").read_bytes())  # noqa: S301 - the point of this test
    assert marker.exists()


@pytest.mark.parametrize("zipped", [True, False], ids=["torch.save", "raw-pickle"])
@pytest.mark.parametrize("name", ["checkpoint_epoch0001_step00000004.pt", "best_model.pt"])
def test_no_load_path_runs_a_crafted_checkpoint(tmp_path: Path, name: str, zipped: bool) -> None:
    marker = tmp_path / "pwned"
    ckpt_dir = tmp_path / "ckpt"
    _write_evil(ckpt_dir / name, marker, zipped=zipped)
    with pytest.raises(ValueError, match="not a safetensors trainer state"):
        load_checkpoint(ckpt_dir / name)
    with pytest.raises(ValueError, match="pickled"):
        read_state(ckpt_dir / name)
    trainer = toy.ToyTrainer(toy.ToyModel(), toy.train_config(tmp_path))
    with pytest.raises(ValueError, match="not a safetensors"):
        trainer.resume(ckpt_dir / name)
    if name.startswith("checkpoint_"):
        assert latest_checkpoint(ckpt_dir) == ckpt_dir / name
        with pytest.raises(ValueError, match="not a safetensors"):
            trainer.train(resume_from=ckpt_dir)
    trainer.close()
    assert not marker.exists()


def test_a_real_checkpoint_is_a_safetensors_file(tmp_path: Path) -> None:
    trainer = toy.ToyTrainer(toy.ToyModel(), toy.train_config(tmp_path))
    trainer.train()
    trainer.close()
    path = trainer.last_checkpoint
    assert path is not None
    head = path.read_bytes()[:8]
    assert head[:2] != b"PK" and int.from_bytes(head, "little") > 0  # safetensors header size
    state = load_checkpoint(path)
    assert state["global_step"] == trainer.global_step
    for k, v in trainer.model.state_dict().items():
        assert torch.equal(state["model"][k], v)


def test_state_round_trip_keeps_types_and_values() -> None:
    rng = np.random.default_rng(0)
    obj = {
        1: {"exp_avg": torch.randn(3, dtype=torch.float64), "step": torch.tensor(4.0)},
        "betas": (0.9, 0.999),
        "nested": [None, True, 3, 0.1 + 0.2, float("inf"), "s", ("a", [1, 2])],
        "np": rng.standard_normal((2, 3)).astype(np.float32),
        "np_u4": np.arange(5, dtype=np.uint32),
        "np_scalar": np.float64(1.5),
        "bf16": torch.randn(4).to(torch.bfloat16),
        "shared": torch.arange(6)[2:4],
    }
    tensors, text = encode_state(obj)
    back = decode_state(tensors, text)
    assert list(back) == list(obj)
    assert back["betas"] == (0.9, 0.999) and isinstance(back["betas"], tuple)
    assert back["nested"][3] == 0.1 + 0.2 and back["nested"][4] == float("inf")
    assert back["nested"][6] == ("a", [1, 2])
    assert torch.equal(back[1]["exp_avg"], obj[1]["exp_avg"])  # type: ignore[index]
    assert back["bf16"].dtype == torch.bfloat16 and torch.equal(back["bf16"], obj["bf16"])
    assert torch.equal(back["shared"], torch.tensor([2, 3]))
    np.testing.assert_array_equal(back["np"], obj["np"])
    assert back["np_u4"].dtype == np.uint32
    assert isinstance(back["np_scalar"], np.float64) and back["np_scalar"] == 1.5
    assert len(state_to_bytes(obj)) > 0


def test_unsupported_values_are_refused_by_path() -> None:
    with pytest.raises(TypeError, match=r"state\['f'\].*function"):
        encode_state({"f": lambda: 0})
    with pytest.raises(ValueError, match="missing tensor"):
        decode_state({}, '{"$tensor": "t0"}')
    with pytest.raises(ValueError, match="malformed"):
        decode_state({}, '{"__reduce__": ["os.system", "true"]}')
    with pytest.raises(ValueError, match="malformed numpy"):
        decode_state({"t0": torch.zeros(8, dtype=torch.uint8)}, json_ndarray("O"))


def json_ndarray(dtype: str) -> str:
    return json.dumps({"$ndarray": "t0", "dtype": dtype, "shape": [1], "scalar": False})


def test_compile_option_wraps_the_training_forward_only(tmp_path: Path) -> None:
    trainer = toy.ToyTrainer(toy.ToyModel(), {**toy.train_config(tmp_path), "compile": True})
    assert type(trainer.train_module).__name__ == "OptimizedModule"
    assert trainer.model is not trainer.train_module
    assert set(trainer.state_dict()["model"]) == set(toy.ToyModel().state_dict())
    trainer.close()
    with pytest.raises(TypeError, match="compile must be a bool, got 'yes'"):
        toy.ToyTrainer(toy.ToyModel(), {**toy.train_config(tmp_path), "compile": "yes"})
