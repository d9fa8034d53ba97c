"""``CFG``: a dict with attribute access, for seed-style configuration code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["CFG"]


def _wrap(value: Any) -> Any:
    """Turn nested plain dicts (also inside lists and tuples) into :class:`CFG`."""
    if isinstance(value, CFG):
        return value
    if isinstance(value, Mapping):
        return CFG(value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    return value


class CFG(dict[str, Any]):
    """A dict whose keys are also attributes, as in torch_ecg.

    Nested dicts become ``CFG`` too, so ``cfg.resample.fs`` works. ``update`` merges nested
    mappings recursively (the seed's behaviour) instead of replacing them. Every ``from_config``
    in ecg-suite accepts a ``CFG`` (or any mapping) and validates its keys.

    Example:
        >>> cfg = CFG(random=False, resample={"fs": 500})
        >>> cfg.resample.fs
        500
        >>> cfg.update({"resample": {"method": "poly"}})
        >>> sorted(cfg.resample)
        ['fs', 'method']
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.update(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"CFG has no key {name!r}; keys are {sorted(self)}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(f"CFG has no key {name!r}") from None

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, _wrap(value))

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Merge ``args[0]`` (a mapping or an iterable of pairs) and ``kwargs`` into this config.

        A nested mapping is merged into an existing nested ``CFG`` key by key; any other value
        replaces the old one.
        """
        if len(args) > 1:
            raise TypeError(f"update expected at most 1 positional argument, got {len(args)}")
        items: list[tuple[str, Any]] = []
        if args:
            other = args[0]
            if isinstance(other, Mapping):
                items.extend(other.items())
            elif isinstance(other, Iterable):
                items.extend(other)
            else:
                raise TypeError(f"update expects a mapping or pairs, got {type(other).__name__}")
        items.extend(kwargs.items())
        for key, value in items:
            current = self.get(key)
            if isinstance(current, CFG) and isinstance(value, Mapping):
                current.update(value)
            else:
                self[key] = value

    def copy(self) -> CFG:
        """A shallow copy that is a ``CFG`` again (use ``copy.deepcopy`` for a deep one)."""
        return CFG(self)

    def __repr__(self) -> str:
        return f"CFG({dict.__repr__(self)})"
