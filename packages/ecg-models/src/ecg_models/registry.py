"""The backbone registry (after timm): exact names, one builder and one default config per name.

A backbone is registered with :func:`register_backbone`, built with :func:`create_backbone` and
listed with :func:`list_backbones`. Names are exact: an unknown name raises ``ValueError`` naming
the close matches, and no substring guessing is done.

Example:
    >>> from ecg_models.registry import create_backbone
    >>> net = create_backbone("tresnetP", in_channels=12)
    >>> net.compute_output_shape(5000, 2)[::2]  # 5000 samples -> ceil(5000 / 32)
    (2, 157)
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from typing import Any, TypeVar

from torch import nn

from ecg_signal.config import check_keys, config_fields

__all__ = [
    "Backbone",
    "BackboneEntry",
    "register_backbone",
    "create_backbone",
    "get_backbone_config",
    "get_backbone_entry",
    "list_backbones",
]


class Backbone(nn.Module):
    """Base class of every backbone: a module mapping ``(batch, in_channels, samples)`` to
    ``(batch, out_channels, samples_out)``.

    Subclasses set ``in_channels`` and ``out_channels`` and implement
    :meth:`compute_output_shape`.
    """

    in_channels: int
    out_channels: int

    def compute_output_shape(
        self, seq_len: int | None = None, batch_size: int | None = None
    ) -> tuple[int | None, int, int | None]:
        """Shape ``(batch, out_channels, samples_out)`` of the output for an input of ``seq_len``
        samples; ``None`` entries stay ``None``."""
        raise NotImplementedError


BuilderT = TypeVar("BuilderT", bound=Callable[..., Backbone])


@dataclass(frozen=True, slots=True)
class BackboneEntry:
    """One registered backbone: its name, family, builder and default-config factory."""

    name: str
    family: str
    builder: Callable[..., Backbone]
    default_config: Callable[[], Any]


_REGISTRY: dict[str, BackboneEntry] = {}


def register_backbone(
    default_config: Callable[[], Any], *, family: str | None = None
) -> Callable[[BuilderT], BuilderT]:
    """Register a builder ``fn(in_channels: int, config) -> Backbone`` under its function name.

    Args:
        default_config: a factory returning a fresh default config (a dataclass instance) of
            this variant.
        family: family name (defaults to the builder's module name, e.g. ``"resnet"``).

    Raises:
        ValueError: if the name is already registered.
    """

    def decorator(fn: BuilderT) -> BuilderT:
        name = fn.__name__
        if name in _REGISTRY:
            raise ValueError(f"backbone {name!r} is already registered")
        fam = family or fn.__module__.rsplit(".", 1)[-1].lstrip("_")
        _REGISTRY[name] = BackboneEntry(name, fam, fn, default_config)
        return fn

    return decorator


def _ensure_loaded() -> None:
    # Registration happens when the family modules are imported; importing the package's
    # backbone subpackage imports them all (no work beyond class definitions).
    import importlib

    importlib.import_module("ecg_models.backbones")


def get_backbone_entry(name: str) -> BackboneEntry:
    """Return the registry entry of ``name``; unknown names raise ``ValueError`` with close matches."""
    if not isinstance(name, str):
        raise TypeError(f"backbone name must be a str, got {name!r} ({type(name).__name__})")
    _ensure_loaded()
    try:
        return _REGISTRY[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=5, cutoff=0.5)
        hint = f"; close matches: {', '.join(close)}" if close else ""
        raise ValueError(
            f"unknown backbone {name!r}{hint}. list_backbones() gives all {len(_REGISTRY)} names"
        ) from None


def get_backbone_config(name: str) -> Any:
    """A fresh copy of the default config of backbone ``name``."""
    return get_backbone_entry(name).default_config()


def create_backbone(
    name: str, in_channels: int, config: Any | None = None, **overrides: Any
) -> Backbone:
    """Build backbone ``name`` for ``in_channels`` input leads.

    Args:
        name: exact registered name (see :func:`list_backbones`).
        in_channels: number of input channels (leads).
        config: a config of the backbone's config class; defaults to the registered default.
        **overrides: fields of the config to replace (unknown fields raise ``ValueError``).

    Returns:
        The backbone, mapping ``(batch, in_channels, samples)`` to
        ``(batch, out_channels, samples_out)``.
    """
    entry = get_backbone_entry(name)
    if isinstance(in_channels, bool) or not isinstance(in_channels, int) or in_channels < 1:
        raise ValueError(f"in_channels must be a positive int, got {in_channels!r}")
    cfg = deepcopy(config) if config is not None else entry.default_config()
    if overrides:
        if not dataclasses.is_dataclass(cfg) or isinstance(cfg, type):
            raise TypeError(f"overrides need a dataclass config, got {type(cfg).__name__}")
        check_keys(overrides, config_fields(type(cfg)), f"backbone {name!r} config key")
        cfg = dataclasses.replace(cfg, **overrides)
    return entry.builder(in_channels, cfg)


def list_backbones(pattern: str | None = None) -> list[str]:
    """Sorted registered names, optionally filtered by a shell-style ``pattern`` (``"resnet*"``)."""
    _ensure_loaded()
    names = sorted(_REGISTRY)
    if pattern is not None:
        names = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
    return names
