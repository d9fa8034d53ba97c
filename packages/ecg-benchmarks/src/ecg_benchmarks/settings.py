"""Typed benchmark settings: overrides from ``--set key=value`` and TOML files, and a TOML writer.

A benchmark's settings are a tree of ``@dataclass(slots=True)`` objects. ``apply_overrides`` sets
dotted keys (``train.epochs=3``) on that tree, converting the text to each field's annotated type
and rejecting unknown keys with the allowed ones; ``dump_toml`` writes the resolved tree back as
TOML, so ``ecg-bench run NAME --config out/config.toml`` repeats a run.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ecg_signal.config import unknown_key_error

__all__ = [
    "SettingsError",
    "apply_overrides",
    "flatten",
    "load_toml",
    "parse_assignments",
    "to_dict",
    "dump_toml",
    "describe",
    "format_settings",
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
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SettingsError(
            f"config file {p} is not UTF-8 text (byte {exc.start}): TOML files are UTF-8"
        ) from exc
    except OSError as exc:
        raise SettingsError(f"cannot read config file {p}: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config file {p} is not valid TOML: {exc}") from exc
    return flatten(data)


def _convert(value: Any, annotation: Any, key: str) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is Any:
        return value
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        keys = sorted(f"{key}.{f.name}" for f in dataclasses.fields(annotation))
        raise SettingsError(
            f"{key} is a section of settings, not a value (got {value!r}); set its keys "
            f"instead: {keys}"
        )
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
    if annotation in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise SettingsError(f"{key} expects {annotation.__name__}, got {value!r}")
        try:
            if annotation is int and isinstance(value, float) and not value.is_integer():
                raise ValueError
            number = annotation(value)
        except (TypeError, ValueError, OverflowError):
            raise SettingsError(f"{key} expects {annotation.__name__}, got {value!r}") from None
        if not math.isfinite(number):
            raise SettingsError(f"{key} must be a finite number, got {value!r}")
        return number
    if annotation is str:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise SettingsError(f"{key} expects text, got {value!r}")
        return str(value)
    return value


def apply_overrides(settings: Any, overrides: Mapping[str, Any]) -> None:
    """Set each dotted key of ``overrides`` on the dataclass tree ``settings``, typed and checked.

    Every value is converted to its field's type as it is set; each section's checks
    (``__post_init__``) run once all keys are set, so fields that must agree (e.g. a list of
    filters and a list of down-sampling factors of the same length) can be changed together.
    The root's checks run last.
    """
    touched: dict[int, tuple[Any, list[str]]] = {}
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
                prefix = ".".join(parts[:depth])
                allowed = [f"{prefix}.{f}" if prefix else f for f in fields]
                if depth < len(parts) - 1:
                    dotted_here = ".".join(parts[: depth + 1])
                else:
                    dotted_here = dotted
                raise SettingsError(str(unknown_key_error(dotted_here, allowed, "setting")))
            if depth == len(parts) - 1:
                hints = typing.get_type_hints(type(node))
                setattr(node, part, _convert(raw, hints[part], dotted))
                touched.setdefault(id(node), (node, []))[1].append(f"{dotted}={raw!r}")
            else:
                node = getattr(node, part)
    if touched and id(settings) not in touched:
        touched[id(settings)] = (settings, [f"{k}={v!r}" for k, v in overrides.items()])
    # deepest sections first: a section's own message before the root's cross-section checks
    for node, items in sorted(
        touched.values(), key=lambda t: _node_depth(settings, t[0]), reverse=True
    ):
        post_init = getattr(node, "__post_init__", None)
        if post_init is None:
            continue
        try:
            post_init()
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"{', '.join(items)}: {exc}") from exc


def _node_depth(root: Any, node: Any) -> int:
    """How many sections below ``root`` the dataclass ``node`` lies (0 for the root itself)."""
    stack = [(root, 0)]
    while stack:
        current, depth = stack.pop()
        if current is node:
            return depth
        for f in dataclasses.fields(current):
            child = getattr(current, f.name)
            if dataclasses.is_dataclass(child) and not isinstance(child, type):
                stack.append((child, depth + 1))
    raise SettingsError(f"{type(node).__name__} is not a section of {type(root).__name__}")


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


def _attribute_docs(cls: type) -> dict[str, str]:
    """``name -> text`` of the ``Attributes:`` sections of ``cls`` and its bases (Google style)."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        text = inspect.cleandoc(klass.__dict__.get("__doc__") or "")
        lines = text.splitlines()
        inside, current = False, None
        for line in lines:
            stripped = line.strip()
            if stripped in ("Attributes:", "Args:"):
                inside, current = True, None
                continue
            if inside and stripped and not line.startswith(" "):
                inside = False
            if not inside or not stripped:
                continue
            head, sep, rest = stripped.partition(":")
            names = [n.strip() for n in head.split(",")]
            if (
                sep
                and line.startswith("    ")
                and not line.startswith("     ")
                and all(n.isidentifier() for n in names)
            ):
                current = names
                for n in names:
                    docs[n] = rest.strip()
            elif current is not None:
                for n in current:
                    docs[n] = f"{docs[n]} {stripped}".strip()
    return docs


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " | ".join(str(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in args)
    if origin in (list, tuple):
        inner = _type_name(args[0]) if args else "any"
        return f"list of {inner}"
    if annotation is type(None):
        return "none"
    return getattr(annotation, "__name__", str(annotation))


def describe(settings: Any, prefix: str = "") -> list[tuple[str, str, str, str]]:
    """Every setting of the dataclass tree ``settings``: ``(dotted key, type, default, meaning)``.

    The meaning is the field's ``metadata["help"]``, else its entry in the ``Attributes:``
    section of the class docstring.
    """
    rows: list[tuple[str, str, str, str]] = []
    hints = typing.get_type_hints(type(settings))
    docs = _attribute_docs(type(settings))
    for f in dataclasses.fields(settings):
        key = f"{prefix}{f.name}"
        value = getattr(settings, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            rows += describe(value, key + ".")
            continue
        meaning = str(f.metadata.get("help", docs.get(f.name, "")))
        default = (
            "none"
            if value is None
            else json.dumps(value)
            if isinstance(value, str)
            else (
                _toml_value(list(value)) if isinstance(value, list | tuple) else _toml_value(value)
            )
        )
        rows.append((key, _type_name(hints[f.name]), default, meaning))
    return rows


def format_settings(settings: Any, width: int = 100) -> str:
    """The table of :func:`describe` as text for ``ecg-bench run NAME --help``."""
    import re
    import textwrap

    out = []
    for key, kind, default, meaning in describe(settings):
        # docstring markup as plain text: ``x`` -> x, :func:`a.b` -> a.b
        meaning = re.sub(r":\w+:`~?([^`]+)`", r"\1", meaning).replace("``", "")
        out.append(f"  {key} ({kind}; default {default})")
        if meaning:
            out += textwrap.wrap(
                meaning, width, initial_indent="      ", subsequent_indent="      "
            )
    return "\n".join(out)
