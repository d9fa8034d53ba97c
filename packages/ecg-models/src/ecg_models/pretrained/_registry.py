"""The registry of pretrained models: entries, their shipped files and provenance.

An entry is a module of :mod:`ecg_models.pretrained` (any module whose name does not start with
``_``) that calls :func:`register_pretrained` at import. Its files live in
``ecg_models/pretrained/weights/``: ``<name>.safetensors`` (a :meth:`TaskModel.save`
checkpoint, read without unpickling) and ``<name>.json`` (the model card: task, summary, training
data, held-out scores, provenance and the entry's own settings).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import pkgutil
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CARD_FORMAT_VERSION",
    "MAX_WEIGHTS_BYTES",
    "PretrainedError",
    "PretrainedInfo",
    "card_path",
    "check_card",
    "list_pretrained",
    "load_pretrained",
    "register_pretrained",
    "weights_dir",
    "weights_path",
]

CARD_FORMAT_VERSION = 1
#: the largest weights file an entry may ship, in bytes (5 MB)
MAX_WEIGHTS_BYTES = 5 * 1024 * 1024

Loader = Callable[["PretrainedInfo"], Any]


class PretrainedError(ValueError):
    """A pretrained model that is unknown, not shipped, or whose files do not validate."""


@dataclass(frozen=True, slots=True)
class PretrainedInfo:
    """What :func:`list_pretrained` tells about one shipped model (read from its JSON card).

    Attributes:
        name: the registry name (``load_pretrained(name)``).
        task: what it does, e.g. ``"qrs_detection"``.
        summary: one line.
        training_data: the data it was trained on, in words.
        scores: measured held-out scores, ``{description: value}`` (the description names the
            records and the split).
        provenance: ``command`` (the exact ``ecg-bench run`` command), ``data``, ``seed``,
            ``commit`` and ``created_utc``.
        config: the entry's own settings (e.g. the sampling rate the network expects).
        weights: path of the safetensors file.
    """

    name: str
    task: str
    summary: str
    training_data: str
    scores: Mapping[str, float]
    provenance: Mapping[str, Any]
    config: Mapping[str, Any] = field(default_factory=dict)
    weights: Path = Path()


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    task: str
    loader: Loader


_REGISTRY: dict[str, _Entry] = {}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def register_pretrained(name: str, *, task: str) -> Callable[[Loader], Loader]:
    """Decorator registering ``loader(info) -> model`` as the pretrained model ``name``.

    ``load_pretrained(name)`` validates the entry's card and weights, then calls the loader
    with the :class:`PretrainedInfo`.

    Raises:
        ValueError: ``name`` is not snake_case or is registered twice by different loaders.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"pretrained names are snake_case ([a-z][a-z0-9_]*), got {name!r}")

    def deco(loader: Loader) -> Loader:
        old = _REGISTRY.get(name)
        if old is not None and old.loader.__qualname__ != loader.__qualname__:
            raise ValueError(f"pretrained model {name!r} is already registered by {old.loader}")
        _REGISTRY[name] = _Entry(name, task, loader)
        return loader

    return deco


def _discover() -> dict[str, _Entry]:
    """Import every entry module of the package (once) and return the registry."""
    pkg = importlib.import_module("ecg_models.pretrained")
    for mod in pkgutil.iter_modules(pkg.__path__):
        if not mod.name.startswith("_") and mod.name != "weights":
            importlib.import_module(f"ecg_models.pretrained.{mod.name}")
    return _REGISTRY


def weights_dir() -> Path:
    """The folder of the shipped files (inside the installed package)."""
    return Path(__file__).resolve().parent / "weights"


def weights_path(name: str) -> Path:
    """``weights/<name>.safetensors``."""
    return weights_dir() / f"{name}.safetensors"


def card_path(name: str) -> Path:
    """``weights/<name>.json``."""
    return weights_dir() / f"{name}.json"


_CARD_KEYS: dict[str, type] = {
    "format_version": int,
    "name": str,
    "task": str,
    "summary": str,
    "training_data": str,
    "sha256": str,
    "scores": dict,
    "provenance": dict,
    "config": dict,
}
_PROVENANCE_KEYS: dict[str, type | tuple[type, ...]] = {
    "command": str,
    "data": (str, list, dict),
    "seed": int,
    "commit": str,
}


def check_card(card: Any, name: str) -> None:
    """Validate a model card (the JSON of an entry) against the schema.

    Raises:
        PretrainedError: a missing or mistyped key, naming it.
    """
    if not isinstance(card, dict):
        raise PretrainedError(f"the card of {name!r} must be a JSON object")
    for key, typ in _CARD_KEYS.items():
        if key not in card:
            raise PretrainedError(
                f"the card of {name!r} lacks {key!r} (keys: {sorted(_CARD_KEYS)})"
            )
        if not isinstance(card[key], typ) or isinstance(card[key], bool):
            raise PretrainedError(f"{name!r} card: {key!r} must be a {typ.__name__}")
    if card["format_version"] != CARD_FORMAT_VERSION:
        raise PretrainedError(
            f"{name!r} card has format version {card['format_version']}, "
            f"this ecg_models reads {CARD_FORMAT_VERSION}"
        )
    if card["name"] != name:
        raise PretrainedError(f"the card of {name!r} names {card['name']!r}")
    prov = card["provenance"]
    for key, ptyp in _PROVENANCE_KEYS.items():
        if key not in prov or not isinstance(prov[key], ptyp) or isinstance(prov[key], bool):
            raise PretrainedError(
                f"{name!r} card: provenance[{key!r}] is missing or mistyped "
                f"(needs {sorted(_PROVENANCE_KEYS)})"
            )
    if not prov["command"].startswith("ecg-bench run "):
        raise PretrainedError(
            f"{name!r} card: provenance['command'] must be the 'ecg-bench run ...' command"
        )
    for k, v in card["scores"].items():
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise PretrainedError(f"{name!r} card: score {k!r} must be a number, got {v!r}")


def _info(name: str, verify: bool) -> PretrainedInfo:
    card_file, weights = card_path(name), weights_path(name)
    if not card_file.is_file() or not weights.is_file():
        raise PretrainedError(
            f"pretrained model {name!r} is registered but its files are not shipped in this "
            f"build ({card_file.name}, {weights.name} in {weights_dir()})"
        )
    try:
        card = json.loads(card_file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise PretrainedError(f"{card_file} is not valid JSON: {err}") from err
    check_card(card, name)
    size = weights.stat().st_size
    if size > MAX_WEIGHTS_BYTES:
        raise PretrainedError(f"{weights} is {size} bytes, over {MAX_WEIGHTS_BYTES}")
    if verify:
        digest = hashlib.sha256(weights.read_bytes()).hexdigest()
        if digest != card["sha256"]:
            raise PretrainedError(
                f"{weights} does not match its card (sha256 {digest}, card {card['sha256']})"
            )
    return PretrainedInfo(
        name=name,
        task=card["task"],
        summary=card["summary"],
        training_data=card["training_data"],
        scores={str(k): float(v) for k, v in card["scores"].items()},
        provenance=dict(card["provenance"]),
        config=dict(card["config"]),
        weights=weights,
    )


def list_pretrained() -> list[PretrainedInfo]:
    """The shipped pretrained models, sorted by name (entries whose files are absent are left
    out)."""
    out = []
    for name in sorted(_discover()):
        try:
            out.append(_info(name, verify=False))
        except PretrainedError:
            continue
    return out


def load_pretrained(name: str) -> Any:
    """Load the pretrained model ``name`` (see :func:`list_pretrained`); the weights are checked
    against the card's SHA-256 and read with safetensors (never unpickled).

    Raises:
        PretrainedError: unknown name (close matches suggested), files not shipped or invalid.
    """
    import difflib

    reg = _discover()
    if not isinstance(name, str) or name not in reg:
        close = difflib.get_close_matches(str(name), list(reg), n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise PretrainedError(
            f"unknown pretrained model {name!r}{hint} available: {', '.join(sorted(reg))}"
        )
    return reg[name].loader(_info(name, verify=True))
