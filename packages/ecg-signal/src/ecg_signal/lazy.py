"""Lazy public names of a package, listed once, in the import block that type checkers read.

A package's ``__init__.py`` lists every public name once, as an explicit re-export
(``from module import Name as Name``), inside an ``if TYPE_CHECKING:`` block, which type checkers
read and the interpreter skips. :func:`attach` parses that block from the source file (in the
manner of scientific-python's ``lazy_loader.attach_stub``) and returns the module's
``__getattr__``, ``__dir__`` and ``__all__``: a name's module is imported on first use, so
importing the package imports no heavy dependency. Re-exports outside the block (imported at
once, e.g. ``from pkg._version import __version__ as __version__``) are public too::

    from typing import TYPE_CHECKING

    from ecg_signal.lazy import attach
    from mypkg._version import __version__ as __version__

    if TYPE_CHECKING:
        from mypkg.filters import bandpass as bandpass, notch as notch

    if not TYPE_CHECKING:
        __getattr__, __dir__, __all__ = attach(__name__, __file__)

Adding a public name is one line in the block. Only ``from ... import X as X`` statements
(absolute or relative) are allowed in it; anything else raises, so the block stays the list.
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeGuard

__all__ = ["attach", "public_names"]


def _is_type_checking_block(node: ast.stmt) -> TypeGuard[ast.If]:
    if not isinstance(node, ast.If) or node.orelse:
        return False
    test = node.test
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _module_of(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return str(node.module)
    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
    return f"{base}.{node.module}" if node.module else base


def public_names(package: str, init_file: str | Path) -> tuple[dict[str, str], list[str]]:
    """The public names of a package's ``__init__.py``: ``({lazy name: module}, eager names)``.

    Lazy names come from the ``if TYPE_CHECKING:`` block, eager ones from the explicit
    re-exports (``import X as X``) at module level.

    Raises:
        ValueError: the block holds something other than ``from module import X as X``, or a
            name is listed twice.
    """
    path = Path(init_file)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    lazy: dict[str, str] = {}
    eager: list[str] = []

    def add(name: str) -> None:
        if name in lazy or name in eager:
            raise ValueError(f"{path}: public name {name!r} is listed twice")

    for node in tree.body:
        if _is_type_checking_block(node):
            for stmt in node.body:
                if not isinstance(stmt, ast.ImportFrom) or any(
                    a.asname != a.name for a in stmt.names
                ):
                    raise ValueError(
                        f"{path}:{stmt.lineno}: the TYPE_CHECKING block may hold only explicit "
                        "re-exports 'from module import Name as Name'"
                    )
                module = _module_of(stmt, package)
                for alias in stmt.names:
                    add(alias.name)
                    lazy[alias.name] = module
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.asname is not None and alias.asname == alias.name:
                    add(alias.name)
                    eager.append(alias.name)
    return lazy, eager


def attach(
    package: str, init_file: str | Path
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``(__getattr__, __dir__, __all__)`` of the package ``package`` from its ``__init__.py``.

    Args:
        package: the package's ``__name__``.
        init_file: the package's ``__file__``.
    """
    lazy, eager = public_names(package, init_file)
    names = sorted([*lazy, *eager])

    def getattr_(name: str) -> Any:
        module = lazy.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later lookups skip __getattr__
        return value

    def dir_() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names))

    return getattr_, dir_, names
