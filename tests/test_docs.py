"""The documentation: every public class and function of the five packages has a docstring, those
taking or returning arrays say their shapes, and the site's pages and API pages are complete.

Public means: a module with no path part starting with ``_``, a name of its ``__all__`` (or, without
one, a name not starting with ``_`` defined in that module), and for classes the methods and
properties they define whose names do not start with ``_``. The strict ``mkdocs build`` itself runs
in ``make test`` (``make docs``).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ecg_docs_hooks", ROOT / "docs" / "_hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["ecg_docs_hooks"] = module
    spec.loader.exec_module(module)
    return module


HOOKS = _hooks()
MODULES = [
    m for dist, (name, src) in HOOKS.PACKAGES.items() for m in HOOKS.public_modules(name, src)
]

#: an annotation naming an array type
_ARRAY = re.compile(r"\b(Tensor|NDArray|ndarray|ArrayLike|\w*Array)\b")
#: words that state a shape: "shape", "(batch, leads, samples)", "samples", "1-D" ...
_SHAPE = re.compile(
    r"shape|\(\s*[\w*]+\s*,|\(\s*(batch|leads|samples|channels|n_\w+)\b|\bsamples\b|"
    r"\b[123]-D\b|\bscalar\b|\blength\b|same (shape|size)|\bvector\b|\belement|\b\w+ x \w+\b",
    re.IGNORECASE,
)


def _public_objects(module: ModuleType) -> Iterator[tuple[str, Any]]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    listed = names is getattr(module, "__all__", None)
    for name in names:
        obj = getattr(module, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        if listed or obj.__module__ == module.__name__:
            yield name, obj


def _members(cls: type) -> Iterator[tuple[str, Any, Any]]:
    """(name, function or property, the object holding the docstring) defined on ``cls``."""
    for name, raw in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(raw, property):
            yield name, raw.fget, raw
        elif isinstance(raw, staticmethod | classmethod):
            yield name, raw.__func__, raw.__func__
        elif inspect.isfunction(raw):
            yield name, raw, getattr(cls, name)


def _annotations(fn: Any) -> str:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return ""
    parts = [str(p.annotation) for p in sig.parameters.values()]
    parts.append(str(sig.return_annotation))
    return " ".join(parts)


def _problems(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    out: list[str] = []
    for name, obj in _public_objects(module):
        qual = f"{module_name}.{name}"
        doc = inspect.getdoc(obj) or ""
        if not doc.strip():
            out.append(f"{qual}: no docstring")
            continue
        if inspect.isfunction(obj):
            if _ARRAY.search(_annotations(obj)) and not _SHAPE.search(doc):
                out.append(f"{qual}: takes or returns arrays but states no shape")
            continue
        for mname, fn, holder in _members(obj):
            mdoc = inspect.getdoc(holder) or ""
            if not mdoc.strip():
                out.append(f"{qual}.{mname}: no docstring")
            elif _ARRAY.search(_annotations(fn)) and not (
                _SHAPE.search(mdoc) or _SHAPE.search(doc)
            ):
                out.append(f"{qual}.{mname}: takes or returns arrays but states no shape")
    return out


@pytest.mark.parametrize("module_name", MODULES)
def test_public_api_is_documented(module_name: str) -> None:
    problems = _problems(module_name)
    assert not problems, "\n".join(problems)


def test_the_checker_can_fail() -> None:
    fake = ModuleType("ecg_fake_docs")

    def undocumented(x: Any) -> None:
        pass

    def no_shape(x: Any) -> None:
        """Do something."""

    no_shape.__annotations__ = {"x": "Tensor", "return": "None"}

    class Documented:
        """A class."""

        def method(self) -> None:
            pass

    for f in (undocumented, no_shape, Documented):
        f.__module__ = "ecg_fake_docs"
    fake.__all__ = ["undocumented", "no_shape", "Documented"]  # type: ignore[attr-defined]
    fake.undocumented = undocumented  # type: ignore[attr-defined]
    fake.no_shape = no_shape  # type: ignore[attr-defined]
    fake.Documented = Documented  # type: ignore[attr-defined]
    sys.modules["ecg_fake_docs"] = fake
    try:
        assert _problems("ecg_fake_docs") == [
            "ecg_fake_docs.undocumented: no docstring",
            "ecg_fake_docs.no_shape: takes or returns arrays but states no shape",
            "ecg_fake_docs.Documented.method: no docstring",
        ]
    finally:
        del sys.modules["ecg_fake_docs"]


def test_every_page_is_in_the_nav_and_exists() -> None:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = re.findall(r":\s+([\w/.-]+\.md)\s*$", text, flags=re.MULTILINE)
    generated = {f"api/{d}.md" for d in HOOKS.PACKAGES} | {"pretrained.md"}
    written = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert set(nav) == written | generated, "pages missing from the nav or from docs/"
    for page in ("how-to/add-a-case-study.md", "how-to/add-a-database-reader.md"):
        assert page in nav
    for page in ("how-to/train-on-a-gpu.md", "how-to/train-on-several-nodes.md"):
        assert page in nav


def test_api_pages_cover_every_public_module() -> None:
    for dist, (name, src) in HOOKS.PACKAGES.items():
        page = HOOKS.api_page(dist)
        for module in HOOKS.public_modules(name, src):
            assert f"::: {module}\n" in page


def test_pretrained_page_lists_each_card(tmp_path: Path) -> None:
    assert "No pretrained model is shipped" in HOOKS.pretrained_page(tmp_path)
    card = {
        "name": "qrs",
        "task": "qrs_detection",
        "summary": "R peaks of any single-lead ECG.",
        "training_data": "CPSC2019 sample records 1-30 (seeded 75/25 split)",
        "scores": {"cpsc2019 held-out (10 records) qrs score": 0.91234, "records": 10},
        "provenance": {
            "command": "ecg-bench run cpsc2019 --seed 0",
            "seed": 0,
            "commit": "ab" * 20,
        },
    }
    (tmp_path / "qrs.json").write_text(json.dumps(card), encoding="utf-8")
    page = HOOKS.pretrained_page(tmp_path)
    assert "## `qrs`" in page and "CPSC2019 sample records 1-30" in page
    assert "| cpsc2019 held-out (10 records) qrs score | 0.9123 |" in page
    assert "`ecg-bench run cpsc2019 --seed 0` (seed 0, commit `abababababab`)" in page


def test_readme_links_point_at_pages_or_repository_paths() -> None:
    from types import SimpleNamespace

    page = SimpleNamespace(file=SimpleNamespace(src_uri="packages/ecg-models.md"))
    config = {"docs_dir": str(ROOT / "docs")}
    md = (
        "[ecg-suite](../../README.md) [bench](../../packages/ecg-benchmarks/README.md#the-command) "
        "[a test](../../packages/ecg-models/tests/test_backbones.py) [api](../api/ecg-models.md) "
        "[web](https://example.org/x.md)"
    )
    out = HOOKS.on_page_markdown(md, page, config, None)
    assert "[ecg-suite](../index.md)" in out
    assert "[bench](../case-studies.md#the-command)" in out
    assert "a test (`packages/ecg-models/tests/test_backbones.py`)" in out
    assert "[api](../api/ecg-models.md)" in out and "(https://example.org/x.md)" in out
    from mkdocs.exceptions import PluginError

    with pytest.raises(PluginError, match="missing file"):
        HOOKS.on_page_markdown("[gone](../../no/such/file.py)", page, config, None)


def test_multinode_page_has_the_torchrun_command() -> None:
    page = (ROOT / "docs/how-to/train-on-several-nodes.md").read_text(encoding="utf-8")
    for word in ("--nnodes", "--node-rank", "--rdzv-backend c10d", "--rdzv-endpoint HOST:PORT"):
        assert word in page
    for topic in ("shared run folder", "shared file system", "Rank-0 writes"):
        assert topic.lower() in page.lower()


def test_getting_started_python_example_runs() -> None:
    text = (ROOT / "docs/getting-started.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert blocks
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        scope: dict[str, Any] = {}
        exec(compile(blocks[0], "getting-started.md", "exec"), scope)  # noqa: S102
        assert tuple(scope["logits"].shape) == (2, 4)
    finally:
        torch.set_num_threads(n)
