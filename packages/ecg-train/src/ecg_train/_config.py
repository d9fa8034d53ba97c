"""Shared helper: build a slots dataclass config from a mapping, rejecting unknown keys."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from typing import Any, TypeVar

__all__ = ["config_from", "config_to_dict"]

T = TypeVar("T")


def config_from(cls: type[T], config: Mapping[str, Any] | T | None) -> T:
    """Return an instance of the dataclass ``cls`` built from a plain mapping (or a copy).

    Raises:
        TypeError: ``config`` is neither a mapping nor a ``cls`` instance.
        ValueError: an unknown key (the error names it, close matches and the allowed keys).
    """
    if config is None:
        return cls()
    if isinstance(config, cls):
        return dataclasses.replace(config)  # type: ignore[type-var]
    if not isinstance(config, Mapping):
        raise TypeError(
            f"{cls.__name__} config must be a mapping or a {cls.__name__}, "
            f"got {type(config).__name__}"
        )
    allowed = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    for key in config:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=3)
            hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
            raise ValueError(
                f"unknown {cls.__name__} key {key!r}{hint}; allowed keys: {', '.join(allowed)}"
            )
    return cls(**dict(config))


def config_to_dict(config: object) -> dict[str, Any]:
    """A JSON-friendly dict of a dataclass config (tuples become lists)."""
    if not dataclasses.is_dataclass(config) or isinstance(config, type):
        raise TypeError(f"expected a dataclass instance, got {type(config).__name__}")
    out: dict[str, Any] = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        out[f.name] = value
    return out
