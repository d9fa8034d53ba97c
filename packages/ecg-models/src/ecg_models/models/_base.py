"""The base class of every task model: validation, size, safe save/load and a model registry.

Checkpoints are a single safetensors file: the weights, plus JSON metadata under the key
``"ecg_models"`` (model class name, config dict, classes, n_leads, format version). Loading
never unpickles anything.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import torch
from torch import nn

from ecg_models.models._config import config_to_dict, from_config
from ecg_signal.config import check_keys, config_fields

__all__ = [
    "TaskModel",
    "CheckpointError",
    "CHECKPOINT_FORMAT_VERSION",
    "create_model",
    "list_models",
    "get_model_class",
    "read_checkpoint_metadata",
]

CHECKPOINT_FORMAT_VERSION = 1
_META_KEY = "ecg_models"

M = TypeVar("M", bound="TaskModel")

_MODELS: dict[str, type[TaskModel]] = {}


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded into the requested model (class, config or weights)."""


def _check_classes(classes: Sequence[str]) -> tuple[str, ...]:
    if isinstance(classes, str) or not isinstance(classes, Sequence):
        raise TypeError(
            f"classes must be a sequence of class names, got {type(classes).__name__}: {classes!r}"
        )
    out = tuple(classes)
    if len(out) == 0:
        raise ValueError("classes must not be empty: give at least one class name")
    bad = [c for c in out if not isinstance(c, str) or not c]
    if bad:
        raise TypeError(f"class names must be non-empty str, got {bad!r}")
    dups = sorted({c for c in out if out.count(c) > 1})
    if dups:
        raise ValueError(f"classes must be unique, got duplicates {dups} in {list(out)}")
    return out


def _format_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover


def _format_count(n: int) -> str:
    if n >= 1_000_000_000:
        return f"{n / 1e9:.1f}G"
    if n >= 1_000_000:
        return f"{n / 1e6:.1f}M"
    if n >= 1_000:
        return f"{n / 1e3:.1f}K"
    return str(n)


class TaskModel(nn.Module):
    """Base of the task models: ``__init__(classes, n_leads, config=None, **kwargs)``.

    Subclasses set ``config_class`` (a slots dataclass with ``from_config``) and build their
    layers after calling ``super().__init__``. ``kwargs`` are config fields overriding
    ``config`` (unknown names raise ``ValueError``).

    Attributes:
        classes: the class names, in output order.
        n_leads: number of input leads (channels).
        config: the validated config (a private deep copy).
    """

    config_class: ClassVar[type[Any]]
    #: the length of the time axis of inputs (the input is ``(batch, leads, samples)``)
    classes: tuple[str, ...]
    n_leads: int

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "config_class" in cls.__dict__ and not cls.__name__.startswith("_"):
            _MODELS[cls.__name__] = cls

    def __init__(
        self, classes: Sequence[str], n_leads: int, config: Any = None, **kwargs: Any
    ) -> None:
        super().__init__()
        self.classes = _check_classes(classes)
        if isinstance(n_leads, bool) or not isinstance(n_leads, int) or n_leads < 1:
            raise ValueError(f"n_leads must be a positive int (number of leads), got {n_leads!r}")
        self.n_leads = n_leads
        cfg = from_config(self.config_class, config)
        if kwargs:
            check_keys(kwargs, config_fields(type(cfg)), f"{type(self).__name__} config key")
            cfg = from_config(self.config_class, {**config_to_dict(cfg), **kwargs})
        else:
            # re-validate (a user may have edited a copy after construction)
            cfg = from_config(self.config_class, config_to_dict(cfg))
        self.config = cfg

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)

    # ------------------------------------------------------------------ inference
    def _as_batch(self, x: Any) -> torch.Tensor:
        """``x`` as a float32 tensor ``(batch, leads, samples)``; a 2-D input is one item."""
        t = torch.as_tensor(x, dtype=torch.float32)
        return t.unsqueeze(0) if t.dim() == 2 else t

    def _eval_forward(self, x: torch.Tensor) -> torch.Tensor:
        """``self(x)`` in eval mode (the training flag is restored afterwards)."""
        was_training = self.training
        self.eval()
        try:
            out: torch.Tensor = self(x)
        finally:
            self.train(was_training)
        return out

    # ------------------------------------------------------------------ input checks
    @property
    def min_input_length(self) -> int:
        """The shortest input (samples) the model accepts (its receptive-field constraint)."""
        return 1

    def _check_input(self, x: torch.Tensor) -> None:
        """Raise ``ValueError`` unless ``x`` is ``(batch, n_leads, samples >= min_input_length)``."""
        if x.dim() != 3:
            raise ValueError(
                f"{type(self).__name__} expects input of shape (batch, leads, samples), "
                f"got {x.dim()} dims with shape {tuple(x.shape)}"
            )
        if x.shape[1] != self.n_leads:
            raise ValueError(
                f"{type(self).__name__} was built for n_leads={self.n_leads} but the input has "
                f"{x.shape[1]} leads (shape {tuple(x.shape)} = (batch, leads, samples))"
            )
        if x.shape[-1] < self.min_input_length:
            raise ValueError(
                f"input of {x.shape[-1]} samples is shorter than the receptive field of "
                f"{type(self).__name__}: at least {self.min_input_length} samples are needed"
            )

    # ------------------------------------------------------------------ size
    @property
    def module_size(self) -> int:
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    @property
    def module_size_(self) -> str:
        """Human-readable size, e.g. ``"12.3M params / 47.0 MiB"`` (memory of trainable params)."""
        n_bytes = sum(p.numel() * p.element_size() for p in self.parameters() if p.requires_grad)
        return f"{_format_count(self.module_size)} params / {_format_bytes(n_bytes)}"

    # ------------------------------------------------------------------ save / load
    def checkpoint_metadata(self) -> dict[str, Any]:
        """The JSON metadata stored with the weights."""
        return {
            "format_version": CHECKPOINT_FORMAT_VERSION,
            "model_class": type(self).__name__,
            "config_class": type(self.config).__name__,
            "config": config_to_dict(self.config),
            "classes": list(self.classes),
            "n_leads": self.n_leads,
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the weights and metadata to one safetensors file at ``path``; returns the path."""
        from safetensors.torch import save_file

        path = Path(path)
        state = {k: v.detach().to("cpu").contiguous().clone() for k, v in self.state_dict().items()}
        meta = json.dumps(self.checkpoint_metadata(), sort_keys=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        save_file(state, str(path), metadata={_META_KEY: meta})
        return path

    @classmethod
    def from_checkpoint(
        cls: type[M],
        path: str | os.PathLike[str],
        *,
        map_location: str | torch.device = "cpu",
        config: Any = None,
    ) -> M:
        """Rebuild a model saved with :meth:`save`.

        Called on a subclass, the checkpoint must have been written by that class; called on
        :class:`TaskModel`, the class recorded in the checkpoint is used.

        Args:
            path: the checkpoint file.
            map_location: device of the loaded weights.
            config: optional expected config: if given, it must equal the stored config.

        Raises:
            CheckpointError: another model class, another format version, a config that does
                not validate or differs from ``config``, or weights that do not fit the model.
        """
        from safetensors import safe_open

        meta = read_checkpoint_metadata(path)
        name = meta.get("model_class")
        if cls is TaskModel:
            target: type[TaskModel] = get_model_class(str(name))
        else:
            if name != cls.__name__:
                raise CheckpointError(
                    f"checkpoint {str(path)!r} was written by {name!r}, cannot load it as "
                    f"{cls.__name__!r} (use {name}.from_checkpoint or TaskModel.from_checkpoint)"
                )
            target = cls
        try:
            stored = from_config(target.config_class, meta["config"])
        except (ValueError, TypeError) as err:
            raise CheckpointError(
                f"config stored in {str(path)!r} is incompatible with "
                f"{target.config_class.__name__}: {err}"
            ) from err
        if config is not None:
            expected = config_to_dict(from_config(target.config_class, config))
            got = config_to_dict(stored)
            if expected != got:
                diff = sorted(k for k in set(expected) | set(got) if expected.get(k) != got.get(k))
                raise CheckpointError(
                    f"config stored in {str(path)!r} differs from the expected config in {diff}"
                )
        model = target(meta["classes"], int(meta["n_leads"]), stored)
        state: dict[str, torch.Tensor] = {}
        with safe_open(str(path), framework="pt", device=str(map_location)) as f:
            for key in f.keys():  # noqa: SIM118 (safe_open is not a dict)
                state[key] = f.get_tensor(key)
        own = model.state_dict()
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        wrong = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
        if missing or unexpected or wrong:
            raise CheckpointError(
                f"weights in {str(path)!r} do not fit {target.__name__}: missing {missing[:5]}, "
                f"unexpected {unexpected[:5]}, wrong shapes {wrong[:5]}"
            )
        model.load_state_dict(state, strict=True)
        model.to(map_location)
        if not isinstance(model, cls):  # pragma: no cover - guarded above
            raise CheckpointError(f"{target.__name__} is not a {cls.__name__}")
        return model

    # ------------------------------------------------------------------ misc
    def extra_repr(self) -> str:
        return f"classes={list(self.classes)}, n_leads={self.n_leads}"


def read_checkpoint_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON metadata of a checkpoint written by :meth:`TaskModel.save`.

    Raises:
        CheckpointError: if the file is not such a checkpoint or its format version differs.
    """
    from safetensors import safe_open

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"checkpoint {str(p)!r} does not exist")
    try:
        with safe_open(str(p), framework="pt", device="cpu") as f:
            meta_all = f.metadata() or {}
            raw = meta_all.get(_META_KEY)
    except Exception as err:  # safetensors raises its own error types
        raise CheckpointError(
            f"{str(p)!r} is not a safetensors checkpoint ({err}); {_model_file_hint(p)}"
        ) from err
    if raw is None:
        raise CheckpointError(
            f"{str(p)!r} has no {_META_KEY!r} metadata: not an ecg_models checkpoint (a trainer "
            f"checkpoint holds weights, optimizer and RNG state, not the model); "
            f"{_model_file_hint(p)}"
        )
    meta = json.loads(raw)
    if not isinstance(meta, dict):
        raise CheckpointError(f"metadata of {str(p)!r} is not a JSON object")
    version = meta.get("format_version")
    if version != CHECKPOINT_FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint {str(p)!r} has format version {version!r}; this version of ecg_models "
            f"reads version {CHECKPOINT_FORMAT_VERSION}"
        )
    return meta


def _model_file_hint(path: Path) -> str:
    """Which file to load instead of ``path``: the model file of the same run, when there is one."""
    beside = path.with_name("model.safetensors")
    if beside.is_file() and beside != path:
        return f"load the model file beside it: TaskModel.from_checkpoint({str(beside)!r})"
    return (
        "load a file written by TaskModel.save (a finished ecg-bench run keeps it at "
        "RUN_DIR/checkpoints/model.safetensors)"
    )


_MODEL_MODULES = ["crnn", "seq_lab_net", "unet", "unet_plus", "u2net", "rr_lstm"]


def _ensure_models_loaded() -> None:
    import importlib

    for mod in _MODEL_MODULES:
        importlib.import_module(f"ecg_models.models.{mod}")


def list_models() -> list[str]:
    """Sorted names of the registered task models."""
    _ensure_models_loaded()
    return sorted(_MODELS)


def get_model_class(name: str) -> type[TaskModel]:
    """The task-model class called ``name``; unknown names raise ``ValueError`` with close matches."""
    _ensure_models_loaded()
    try:
        return _MODELS[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), list(_MODELS), n=5, cutoff=0.5)
        hint = f"; close matches: {', '.join(close)}" if close else ""
        raise ValueError(
            f"unknown task model {name!r}{hint}; known models: {sorted(_MODELS)}"
        ) from None


def create_model(
    name: str,
    classes: Sequence[str],
    n_leads: int,
    config: Mapping[str, Any] | Any | None = None,
    **kwargs: Any,
) -> TaskModel:
    """Build the task model ``name`` (e.g. ``"ECG_CRNN"``, see :func:`list_models`)."""
    return get_model_class(name)(classes, n_leads, config, **kwargs)
