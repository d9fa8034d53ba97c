"""``ecg_signal.lazy.attach``: the public names of a package from its TYPE_CHECKING block."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from ecg_signal.lazy import public_names

INIT = '''"""A toy package."""
from typing import TYPE_CHECKING

from ecg_signal.lazy import attach
from toypkg._version import __version__ as __version__

if TYPE_CHECKING:
    from toypkg.heavy import compute as compute
    from .heavy import Thing as Thing

if not TYPE_CHECKING:
    __getattr__, __dir__, __all__ = attach(__name__, __file__)
'''


def _write(root: Path, init: str) -> None:
    pkg = root / "toypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(init)
    (pkg / "_version.py").write_text('__version__ = "1.2.3"\n')
    (pkg / "heavy.py").write_text(
        "LOADED = True\ndef compute():\n    return 42\nclass Thing:\n    pass\n"
    )


def test_names_resolve_lazily(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, INIT)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith("toypkg")]:
        monkeypatch.delitem(sys.modules, name)
    toypkg = importlib.import_module("toypkg")
    try:
        assert toypkg.__all__ == ["Thing", "__version__", "compute"]
        assert "toypkg.heavy" not in sys.modules  # nothing imported until used
        assert toypkg.compute() == 42 and "toypkg.heavy" in sys.modules
        assert toypkg.Thing is sys.modules["toypkg.heavy"].Thing
        assert {"Thing", "compute", "__version__"} <= set(dir(toypkg))
        with pytest.raises(AttributeError, match="module 'toypkg' has no attribute 'nope'"):
            _ = toypkg.nope
    finally:
        for name in [m for m in sys.modules if m.startswith("toypkg")]:
            del sys.modules[name]


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("    from toypkg.heavy import compute\n", "only explicit re-exports"),
        ("    import toypkg.heavy as heavy\n", "only explicit re-exports"),
        (
            "    from toypkg.heavy import compute as compute\n"
            "    from toypkg.heavy import compute as compute\n",
            "'compute' is listed twice",
        ),
    ],
)
def test_block_is_only_the_list(tmp_path: Path, block: str, message: str) -> None:
    init = tmp_path / "__init__.py"
    init.write_text(f"from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n{block}")
    with pytest.raises(ValueError, match=message):
        public_names("toypkg", init)
