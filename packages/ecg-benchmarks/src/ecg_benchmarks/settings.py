"""Typed benchmark settings: overrides from ``--set key=value`` and TOML files, and a TOML writer.

A benchmark's settings are a tree of ``@dataclass(slots=True)`` objects. ``apply_overrides`` sets
dotted keys (``train.epochs=3``) on that tree, converting the text to each field's annotated type
and rejecting unknown keys with the allowed ones; ``dump_toml`` writes the resolved tree back as
TOML, so ``ecg-bench run NAME --config out/config.toml`` repeats a run.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "SettingsError",
    "apply_overrides",
    "flatten",
    "load_toml",
    "parse_assignments",
    "to_dict",
    "dump_toml",
]


class SettingsError(ValueError):
    """A bad setting: an unknown key, or a value of the wrong type."""


def parse_assignments(items: list[str]) -> dict[str, str]:
    """Parse ``["a.b=1", "c=x"]`` into ``{"a.b": "1", "c": "x"}``."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise SettingsError(f"--set expects key=value, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}`` (lists stay values)."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML settings file into flat dotted keys."""
    p = Path(path)
    if not p.is_file():
        raise SettingsError(f"config file {p} does not exist")
    try:
        data = tomllib.loads(p.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config file {p} is not valid TOML: {exc}") from exc
    return flatten(data)


def _convert(value: Any, annotation: Any, key: str) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        is_none = value is None or (isinstance(value, str) and value.lower() in ("none", "null"))
        if is_none and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(value, arg, key)
            except SettingsError as exc:
                errors.append(str(exc))
        raise SettingsError(f"{key}={value!r} matches none of {annotation}: {'; '.join(errors)}")
    if origin is typing.Literal:
        for choice in args:
            if str(choice) == str(value):
                return choice
        raise SettingsError(f"{key} must be one of {list(args)}, got {value!r}")
    if origin in (list, tuple):
        if isinstance(value, str):
            text = value.strip()
            try:
                items = (
                    json.loads(text) if text.startswith("[") else [v for v in text.split(",") if v]
                )
            except json.JSONDecodeError as exc:
                raise SettingsError(f"{key} expects a list, got {value!r}") from exc
        elif isinstance(value, list | tuple):
            items = list(value)
        else:
            raise SettingsError(f"{key} expects a list, got {value!r}")
        inner = args[0] if args else Any
        converted = [_convert(v, inner, key) for v in items]
        return tuple(converted) if origin is tuple else converted
    if annotation is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on"):
            return True
        if isinstance(value, str) and value.lower() in ("false", "0", "no", "off"):
            return False
        raise SettingsError(f"{key} expects true or false, got {value!r}")
    if annotation in (int, float, str):
        try:
            if annotation is int and isinstance(value, float) and not value.is_integer():
                raise ValueError
            return annotation(value)
        except (TypeError, ValueError):
            raise SettingsError(f"{key} expects {annotation.__name__}, got {value!r}") from None
    return value


def apply_overrides(settings: Any, overrides: Mapping[str, Any]) -> None:
    """Set each dotted key of ``overrides`` on the dataclass tree ``settings``, typed and checked."""
    for dotted, raw in overrides.items():
        node = settings
        parts = dotted.split(".")
        for depth, part in enumerate(parts):
            if not dataclasses.is_dataclass(node):
                raise SettingsError(
                    f"{'.'.join(parts[:depth])} is not a section; cannot set {dotted}"
                )
            fields = {f.name: f for f in dataclasses.fields(node)}
            if part not in fields:
                close = difflib.get_close_matches(part, fields, n=3)
                hint = f"; did you mean {close}?" if close else ""
                prefix = ".".join(parts[:depth])
                allowed = sorted(f"{prefix}.{f}" if prefix else f for f in fields)
                raise SettingsError(f"unknown setting {dotted!r}{hint} Allowed here: {allowed}")
            if depth == len(parts) - 1:
                hints = typing.get_type_hints(type(node))
                value = _convert(raw, hints[part], dotted)
                setattr(node, part, value)
                post_init = getattr(node, "__post_init__", None)
                if post_init is not None:
                    try:
                        post_init()
                    except (TypeError, ValueError) as exc:
                        raise SettingsError(f"{dotted}={raw!r}: {exc}") from exc
            else:
                node = getattr(node, part)


def to_dict(settings: Any) -> dict[str, Any]:
    """The dataclass tree as plain data (tuples become lists)."""
    return typing.cast(dict[str, Any], json.loads(json.dumps(dataclasses.asdict(settings))))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise SettingsError(f"cannot write {value!r} ({type(value).__name__}) to TOML")


def dump_toml(tree: Mapping[str, Any]) -> str:
    """Write a nested mapping of scalars and lists as TOML (``None`` values are left out)."""
    lines: list[str] = []

    def section(node: Mapping[str, Any], name: str) -> None:
        scalars = {k: v for k, v in node.items() if not isinstance(v, Mapping) and v is not None}
        tables = {k: v for k, v in node.items() if isinstance(v, Mapping)}
        if name and scalars:
            lines.append(f"\n[{name}]")
        for key, value in scalars.items():
            lines.append(f"{key} = {_toml_value(value)}")
        for key, value in tables.items():
            section(value, f"{name}.{key}" if name else key)

    section(tree, "")
    return "\n".join(lines).lstrip("\n") + "\n"
