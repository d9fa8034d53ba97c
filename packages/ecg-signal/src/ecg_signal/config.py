"""Building config dataclasses from plain mappings: the one helper every ecg-* package uses.

:func:`config_from` turns a mapping (a parsed JSON/TOML/YAML section, a seed-style dict) into a
config dataclass, copies an instance, or builds the defaults from ``None``. A key that is not a
field raises :class:`ValueError` naming the key, the close matches (:mod:`difflib`) and the
allowed keys, in one format everywhere::

    unknown bandpass config key 'lowcutt'; did you mean 'lowcut'? allowed keys: lowcut, highcut, order

:func:`check_keys` and :func:`unknown_key_error` are the same check for code that converts the
values itself before building (nested configs, dotted settings).
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

__all__ = ["check_keys", "config_fields", "config_from", "unknown_key_error"]

T = TypeVar("T")


def unknown_key_error(
    keys: str | Sequence[str], allowed: Sequence[str], what: str = "config key"
) -> ValueError:
    """The ``ValueError`` for unknown keys: names them, their close matches and the allowed keys.

    Args:
        keys: the unknown key, or several.
        allowed: the accepted keys, in the order they are listed in the message.
        what: what a key is, as in ``"unknown {what} 'key'"``: ``"TrainConfig key"``,
            ``"bandpass config key"``, ``"setting"``.
    """
    names = [keys] if isinstance(keys, str) else [str(k) for k in keys]
    allowed = [str(a) for a in allowed]
    matches = {k: difflib.get_close_matches(k, allowed, n=3) for k in names}
    if len(names) == 1:
        head = f"unknown {what} {names[0]!r}"
        close = matches[names[0]]
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    else:
        head = f"unknown {what}s {', '.join(repr(k) for k in names)}"
        parts = [f"{m[0]!r} for {k!r}" for k, m in matches.items() if m]
        hint = f"; did you mean {', '.join(parts)}?" if parts else ""
    sep = "" if hint else ";"
    return ValueError(f"{head}{hint}{sep} allowed keys: {', '.join(allowed)}")


def check_keys(keys: Iterable[Any], allowed: Sequence[str], what: str = "config key") -> None:
    """Raise :func:`unknown_key_error` if any of ``keys`` is not in ``allowed``."""
    allowed_set = set(allowed)
    unknown = [str(k) for k in keys if k not in allowed_set]
    if unknown:
        raise unknown_key_error(unknown, allowed, what)


def config_fields(cls: type) -> list[str]:
    """The names of the init fields of the dataclass ``cls``, in declaration order."""
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(f"{cls!r} is not a dataclass config class")
    return [f.name for f in dataclasses.fields(cls) if f.init]


def config_from(
    cls: type[T], config: Mapping[str, Any] | T | None = None, what: str | None = None
) -> T:
    """Build the dataclass ``cls`` from a mapping, copy an instance of it, or make its defaults.

    Keys missing from the mapping keep their defaults; the dataclass validates the values itself
    (``__post_init__``).

    Args:
        cls: a dataclass config class.
        config: a mapping of field names to values, an instance of ``cls`` (deep-copied and
            validated again) or ``None`` (the defaults).
        what: what the config is called in messages (default ``cls.__name__``): the unknown-key
            error reads ``"unknown {what} key 'k'"``.

    Raises:
        ValueError: a key is not a field of ``cls`` (the message names it, the close matches and
            the allowed keys), or the config's own validation fails.
        TypeError: ``config`` is neither a mapping, a ``cls`` nor ``None``.
    """
    allowed = config_fields(cls)
    name = cls.__name__ if what is None else what
    if config is None:
        return cls()
    if isinstance(config, cls):
        # rebuilt through __init__, so that a copy-and-edited instance is validated again
        return dataclasses.replace(copy.deepcopy(config))  # type: ignore[type-var]
    if not isinstance(config, Mapping):
        raise TypeError(
            f"the {name} config must be a mapping or a {cls.__name__}, got {type(config).__name__}"
        )
    check_keys(config, allowed, f"{name} key")
    return cls(**dict(config))
