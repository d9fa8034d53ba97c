"""Export task models to TorchScript and ONNX.

``onnx`` is an optional extra (``pip install ecg-models[onnx]``); it is imported only by
:func:`to_onnx`.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import torch
from torch import nn

__all__ = ["to_torchscript", "to_onnx"]


def _check_example(example: torch.Tensor) -> None:
    if not isinstance(example, torch.Tensor):
        raise TypeError(f"example must be a torch.Tensor, got {type(example).__name__}")


def to_torchscript(model: nn.Module, example: torch.Tensor) -> torch.jit.ScriptModule:
    """Trace ``model`` (in eval mode) on ``example`` ``(batch, leads, samples)``.

    The model is traced, so the input checks run on the example's shape only; the traced module
    accepts other batch sizes. The model's training mode is restored afterwards.

    Returns:
        A ``torch.jit.ScriptModule`` (save it with ``.save(path)``).
    """
    _check_example(example)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            traced: torch.jit.ScriptModule = torch.jit.trace(  # type: ignore[no-untyped-call]
                model, (example,), check_trace=False
            )
    finally:
        model.train(was_training)
    return traced


def to_onnx(
    model: nn.Module,
    example: torch.Tensor,
    path: str | os.PathLike[str],
    *,
    opset_version: int = 18,
    dynamic_batch: bool = True,
) -> Path:
    """Export ``model`` (in eval mode) to an ONNX file with input ``"input"`` and output
    ``"output"``; the batch axis is dynamic when ``dynamic_batch``.

    ``example`` is an input of the model, e.g. ``(batch, leads, samples)``; the exported graph
    keeps its number of leads and samples.

    Raises:
        ImportError: if ``onnx`` is not installed (``pip install ecg-models[onnx]``).
    """
    _check_example(example)
    try:
        import onnx
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "to_onnx needs the optional dependency onnx: pip install 'ecg-models[onnx]'"
        ) from err
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    was_training = model.training
    model.eval()
    dynamic_axes = {"input": {0: "batch"}, "output": {0: "batch"}} if dynamic_batch else None
    try:
        # grad stays enabled: under no_grad the transformer layers take a fused fast path
        # (aten::_transformer_encoder_layer_fwd) that has no ONNX symbolic.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (example,),
                str(out),
                input_names=["input"],
                output_names=["output"],
                dynamic_axes=dynamic_axes,
                opset_version=opset_version,
                dynamo=False,
            )
    finally:
        model.train(was_training)
    onnx.checker.check_model(str(out))
    return out
