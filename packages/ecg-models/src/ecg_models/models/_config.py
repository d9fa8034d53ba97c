"""Generic conversion between nested ``@dataclass(slots=True)`` configs and JSON-able dicts.

``config_to_dict`` turns a (nested) dataclass into plain dicts, lists and scalars;
:func:`from_config` builds a dataclass from a mapping (or copies a dataclass instance), converting
nested mappings into the nested dataclass types named by the field annotations, and rejects an
unknown key with an error naming it and the allowed keys. Each config validates itself in
``__post_init__``.

A class may customise its JSON form with two hooks: ``_to_json(self) -> dict`` and
``_from_json(cls, mapping) -> instance`` (used e.g. by the CNN config, whose backbone variants are
configs of classes only the backbone registry knows).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from copy import deepcopy
from typing import Any, TypeVar, cast

from ecg_signal.config import check_keys, config_fields

__all__ = ["ConfigMixin", "config_to_dict", "from_config", "config_type_name"]

T = TypeVar("T")


def config_type_name(cls: type) -> str:
    """``"module.QualName"`` of a config class, used to identify it in JSON."""
    return f"{cls.__module__}.{cls.__qualname__}"


def config_to_dict(obj: object) -> Any:
    """Plain JSON-able form of a (nested) dataclass config: dicts, lists, str, int, float, bool, None.

    Raises:
        TypeError: if a value has no JSON form (e.g. a tensor or a function).
    """
    hook = getattr(obj, "_to_json", None)
    if hook is not None and dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return hook()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: config_to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        out: dict[str, Any] = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise TypeError(f"config mapping keys must be str, got {k!r}")
            out[k] = config_to_dict(v)
        return out
    if isinstance(obj, list | tuple):
        return [config_to_dict(v) for v in obj]
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    raise TypeError(f"config value {obj!r} of type {type(obj).__name__} has no JSON form")


def _convert(value: Any, annotation: Any, where: str) -> Any:
    """Convert a JSON value to ``annotation`` where the annotation says how (dataclasses, tuples,
    lists, dicts, unions); other values pass through (the config's ``__post_init__`` validates)."""
    if annotation is Any or annotation is None:
        return value
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        if isinstance(value, annotation):
            return deepcopy(value)
        if isinstance(value, Mapping):
            return from_config(annotation, value, _where=where)
        return value
    if origin is typing.Union or origin is types.UnionType:
        args = typing.get_args(annotation)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            if (
                isinstance(arg, type)
                and dataclasses.is_dataclass(arg)
                and isinstance(value, Mapping)
            ):
                return from_config(arg, value, _where=where)
            if typing.get_origin(arg) in (tuple, list, dict) and isinstance(
                value, list | tuple | Mapping
            ):
                return _convert(value, arg, where)
        return value
    if origin is tuple and isinstance(value, list | tuple):
        args = typing.get_args(annotation)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
        if args and len(args) == len(value):
            return tuple(
                _convert(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(args, value))
            )
        return tuple(value)
    if origin is list and isinstance(value, list | tuple):
        args = typing.get_args(annotation)
        item = args[0] if args else Any
        return [_convert(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict and isinstance(value, Mapping):
        args = typing.get_args(annotation)
        item = args[1] if len(args) == 2 else Any
        return {k: _convert(v, item, f"{where}.{k}") for k, v in value.items()}
    return value


def from_config(
    cls: type[T], config: Mapping[str, Any] | T | None = None, *, _where: str = ""
) -> T:
    """Build a ``cls`` config from a mapping, a ``cls`` instance (deep-copied) or ``None`` (defaults).

    Keys missing from the mapping keep their defaults. Nested dataclass fields accept mappings.

    Raises:
        ValueError: on a key that is not a field of ``cls`` (the message names it and the allowed
            keys), or from the config's own validation.
        TypeError: if ``config`` is neither a mapping nor a ``cls`` instance.
    """
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(f"{cls!r} is not a dataclass config class")
    if config is None:
        return cls()
    if isinstance(config, cls):
        return deepcopy(config)
    if not isinstance(config, Mapping):
        raise TypeError(
            f"config for {cls.__name__} must be a mapping or a {cls.__name__}, "
            f"got {type(config).__name__}"
        )
    hook = getattr(cls, "_from_json", None)
    if hook is not None:
        return cast(T, hook(config))
    where = f" (at {_where})" if _where else ""
    check_keys(config, config_fields(cls), f"{cls.__name__}{where} key")
    hints = typing.get_type_hints(cls)
    kwargs = {
        k: _convert(v, hints.get(k, Any), f"{_where}.{k}" if _where else k)
        for k, v in config.items()
    }
    return cls(**kwargs)


class ConfigMixin:
    """Mixin giving a slots dataclass config ``from_config`` and ``to_dict``."""

    __slots__ = ()

    @classmethod
    def from_config(cls: type[T], config: Mapping[str, Any] | T | None = None) -> T:
        """Build from a mapping or a copy of an instance; unknown keys raise ``ValueError``."""
        return from_config(cls, config)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-able dict form (see :func:`config_to_dict`)."""
        return cast(dict[str, Any], config_to_dict(self))
