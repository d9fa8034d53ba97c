"""MkDocs hooks of the documentation site (``hooks:`` in mkdocs.yml).

* API pages: ``api/<distribution>.md`` is generated for each package, one ``::: module``
  section per public module (no path part starting with ``_``), so a new module is documented
  without editing the site.
* Pretrained models: ``pretrained.md`` is generated from the cards shipped in
  ``ecg_models/pretrained/weights/*.json`` (training data, held-out scores, the command).
* Sphinx roles of the docstrings (``:class:`X```) are shown as the code ``X`` they mark.
* Links of the included READMEs: a relative link to a README that the site includes points to
  its page; a link to another repository file becomes that file's repository path in code
  (the site does not serve source files); a link to a file that does not exist fails the build.
"""

from __future__ import annotations

import json
import posixpath
import re
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent

#: distribution -> (import name, source folder).
PACKAGES: dict[str, tuple[str, Path]] = {
    "ecg-signal": ("ecg_signal", ROOT / "packages/ecg-signal/src/ecg_signal"),
    "ecg-data": ("ecg_data", ROOT / "packages/ecg-data/src/ecg_data"),
    "ecg-models": ("ecg_models", ROOT / "packages/ecg-models/src/ecg_models"),
    "ecg-train": ("ecg_train", ROOT / "packages/ecg-train/src/ecg_train"),
    "ecg-benchmarks": ("ecg_benchmarks", ROOT / "packages/ecg-benchmarks/src/ecg_benchmarks"),
}

#: repository README -> the site page that includes it.
README_PAGES: dict[str, str] = {
    "README.md": "index.md",
    **{f"packages/{d}/README.md": f"packages/{d}.md" for d in PACKAGES},
    "packages/ecg-benchmarks/README.md": "case-studies.md",
}

_LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")
#: a Sphinx role of a docstring as rendered (``:class:`X``` -> ``:class:<code>X</code>``)
_ROLE = re.compile(r":(?:class|func|meth|mod|data|attr|exc|obj|py:\w+):(<code>)")


def public_modules(import_name: str, src: Path) -> list[str]:
    """Dotted names of the public modules of a package (no path part starts with ``_``)."""
    names = [import_name]
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src).with_suffix("")
        if any(part.startswith("_") for part in rel.parts):
            continue
        names.append(".".join((import_name, *rel.parts)))
    return names


def api_page(dist: str) -> str:
    """Markdown of the API page of ``dist``."""
    import_name, src = PACKAGES[dist]
    lines = [
        f"# {dist} API",
        "",
        f"Generated from the docstrings of `{import_name}` (Google style). Shapes are "
        "`(batch, leads, samples)` with time on the last axis, rates in Hz.",
        "",
    ]
    for module in public_modules(import_name, src):
        lines += [
            f"## `{module}`",
            "",
            f"::: {module}",
            "    options:",
            "      heading_level: 3",
            "",
        ]
    return "\n".join(lines)


def pretrained_page(weights: Path | None = None) -> str:
    """Markdown of the pretrained-models page, from the cards in ``weights`` (default: the
    folder shipped in ecg-models)."""
    if weights is None:
        weights = PACKAGES["ecg-models"][1] / "pretrained" / "weights"
    cards = sorted(weights.glob("*.json")) if weights.is_dir() else []
    lines = [
        "# Pretrained models",
        "",
        "Pretrained networks ship inside the ecg-models wheel as safetensors files (at most "
        "5 MB each) with a JSON card: what the model was trained on, how well it does on "
        "held-out records, and the exact `ecg-bench run` command, seed and commit that produced "
        "it. This page is generated from those cards.",
        "",
        "```python",
        "from ecg_models.pretrained import list_pretrained, load_pretrained",
        "",
        "print([info.name for info in list_pretrained()])",
        "model = load_pretrained(list_pretrained()[0].name)  # checks the card and SHA-256",
        "```",
        "",
    ]
    if not cards:
        lines.append("No pretrained model is shipped in this version.")
    for path in cards:
        card = json.loads(path.read_text(encoding="utf-8"))
        prov = card.get("provenance", {})
        lines += [
            f"## `{card.get('name', path.stem)}`",
            "",
            f"{card.get('summary', '')}",
            "",
            f"* task: `{card.get('task', '')}`",
            f"* training data: {card.get('training_data', '')}",
            f"* command: `{prov.get('command', '')}` (seed {prov.get('seed', '?')}, "
            f"commit `{str(prov.get('commit', ''))[:12]}`)",
            "",
            "| held-out score | value |",
            "|---|---:|",
        ]
        for key, value in card.get("scores", {}).items():
            lines.append(
                f"| {key} | {value:.4g} |" if isinstance(value, float) else f"| {key} | {value} |"
            )
        lines.append("")
    return "\n".join(lines)


def on_files(files: Files, config: Any) -> Files:
    """Add the generated API and pretrained pages."""
    for dist in PACKAGES:
        files.append(File.generated(config, f"api/{dist}.md", content=api_page(dist)))
    files.append(File.generated(config, "pretrained.md", content=pretrained_page()))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    """Point README links at their pages, turn links to source files into paths, fail on
    links to missing files."""
    docs_dir = Path(config["docs_dir"]).resolve()
    page_dir = posixpath.dirname(page.file.src_uri)

    def fix(match: re.Match[str]) -> str:
        bang, text, target = match.groups()
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith(("#", "/")):
            return match.group(0)
        path, _, anchor = target.partition("#")
        resolved = (docs_dir / page_dir / path).resolve()
        if resolved.is_relative_to(docs_dir) or not path:
            return match.group(0)  # a page of the site: mkdocs checks it
        if not resolved.exists():
            raise PluginError(f"{page.file.src_uri}: link to a missing file: {target}")
        rel = resolved.relative_to(ROOT).as_posix()
        key = rel if rel.endswith(".md") else f"{rel}/README.md"
        if key in README_PAGES:
            to = posixpath.relpath(README_PAGES[key], page_dir or ".")
            return f"{bang}[{text}]({to}{'#' + anchor if anchor else ''})"
        return f"{text} (`{rel}`)" if text and text != rel else f"`{rel}`"

    return _LINK.sub(fix, markdown)


def on_page_content(html: str, page: Any, config: Any, files: Files) -> str:
    """Drop the Sphinx role prefixes of rendered docstrings, keeping the code they mark."""
    return _ROLE.sub(r"\1", html)
