"""Every code block of the READMEs (root, five packages) and of the seed's API contract runs.

- Python blocks (```` ```python ````) of one file run in order in one namespace, in a fresh
  interpreter whose working directory is a temporary folder. A block followed by an
  ```` ```output ```` block must print that text (``...`` matches anything, as in doctest's
  ELLIPSIS; trailing spaces are ignored).
- A block is marked by an HTML comment on the line above its fence:
  ``<!-- test: skip REASON -->`` (not run; the reason is reported) or ``<!-- test: data -->``
  (needs the real recordings of ``ECG_SAMPLE_DATA``: skipped when absent, failed under CI=true).
- Shell commands (```` ```sh ```` blocks, and untagged blocks whose lines start with a command,
  and inline ``ecg-bench ...`` / ``python bench/...`` / ``make ...`` spans) are parsed, not run:
  ``make -n TARGET``; ``ecg-bench`` and ``bench/*.py`` have their argparse parser run on the very
  arguments of the README (then they exit before doing anything). Optional syntax such as
  ``[--compile]`` is an error: write the optional flag as a second command.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests._repo import ROOT

SEED_API = ROOT.parent / "shared" / "SEED_API.md"
DOCS = [ROOT / "README.md", *sorted(ROOT.glob("packages/*/README.md")), SEED_API]

_FENCE = re.compile(
    r"^(?P<fence>```+)(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.S | re.M
)
_MARK = re.compile(r"<!--\s*test:\s*(?P<kind>skip|data)\b\s*(?P<reason>.*?)\s*-->\s*$")
_SHELL_TAGS = {"sh", "bash", "shell", "console"}
_COMMANDS = ("ecg-bench", "make", ".venv/bin/python", "python", "pip", "torchrun", "ecg-suite")
# an indented code block: lines indented by 4 spaces after a blank line
_INDENTED = re.compile(r"(?<=\n\n)(?:(?:    [^\n]*|[ \t]*)\n)*?(?:    [^\n]*\n?)+")
# inline commands: `ecg-bench list`, `ecg-bench run cpsc2019 ...`, `make bench`, `python bench/x.py`
# (a bare mention such as `ecg-bench run` is not a command)
_INLINE = re.compile(
    r"`((?:ecg-bench (?:list|\w+ [^`\s])|make \w|\.venv/bin/python bench/|python bench/)[^`]*)`"
)

# The contract file is not ours to annotate: its marks and the replacements that point its
# placeholders at the sample data live here.
_SEED_MARKS: dict[str, tuple[str, str]] = {
    'config.db_dir = "some/path/to/db"': ("data", ""),
}
_SEED_REPLACE = {'"some/path/to/db"': 'os.path.join(os.environ["ECG_SAMPLE_DATA"], "cinc2021")'}
# claims the contract states in comments, asserted after its blocks
_SEED_CLAIMS = {
    "sig, fs = ppm(sig, 200)": "assert sig.shape == (12, 200000) and fs == 500, (sig.shape, fs)",
    "sig, label, mask = am(sig, label, mask)": (
        "assert (sig.shape, label.shape, mask.shape) == ((2, 12, 5000), (2, 26), (2, 5000, 1))"
    ),
}


@dataclass
class Block:
    doc: Path
    line: int
    lang: str
    code: str
    mark: str = ""  # "", "skip" or "data"
    reason: str = ""
    expect: str | None = None

    @property
    def where(self) -> str:
        return f"{_rel(self.doc)}:{self.line}"


@dataclass
class DocBlocks:
    python: list[Block] = field(default_factory=list)
    commands: list[tuple[str, str]] = field(default_factory=list)  # (where, command)


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def parse_doc(doc: Path) -> DocBlocks:
    text = doc.read_text(encoding="utf-8")
    out = DocBlocks()
    prev: Block | None = None
    prev_end = -1
    for m in _FENCE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        lang = m.group("info").strip().split(" ")[0].lower()
        body = m.group("body")
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        mark = _MARK.search(before)
        if lang == "output":
            if prev is None or text[prev_end : m.start()].strip():
                raise AssertionError(
                    f"{_rel(doc)}:{line}: an output block must follow a python block"
                )
            prev.expect = body
            continue
        prev = None
        if lang == "python":
            block = Block(doc, line, lang, body)
            if mark:
                block.mark, block.reason = mark.group("kind"), mark.group("reason")
            if doc == SEED_API:
                for needle, (kind, reason) in _SEED_MARKS.items():
                    if needle in body:
                        block.mark, block.reason = kind, reason
                for old, new in _SEED_REPLACE.items():
                    if old in block.code:
                        block.code = "import os\n" + block.code.replace(old, new)
                for needle, claim in _SEED_CLAIMS.items():
                    if needle in body:
                        block.code += "\n" + claim + "\n"
            out.python.append(block)
            prev, prev_end = block, m.end()
        elif lang in _SHELL_TAGS or (lang == "" and body.strip() and body.split()[0] in _COMMANDS):
            if mark and mark.group("kind") == "skip":
                continue
            for i, cmd in enumerate(_shell_lines(body)):
                out.commands.append((f"{_rel(doc)}:{line + 1 + i}", cmd))
    prose = _FENCE.sub("", text)
    for m in _INDENTED.finditer(prose):
        body = "\n".join(ln[4:] for ln in m.group(0).splitlines())
        for cmd in _shell_lines(body):
            if cmd.split()[0] in _COMMANDS:
                out.commands.append((f"{_rel(doc)} (indented)", cmd))
    for m in _INLINE.finditer(prose):
        out.commands.append((f"{_rel(doc)} (inline)", m.group(1)))
    return out


def _shell_lines(body: str) -> list[str]:
    """The commands of a shell block: comments stripped, ``\\`` continuations joined."""
    lines, cur = [], ""
    for raw in body.splitlines():
        raw = raw.removeprefix("$ ")
        cur += raw.rstrip("\\").rstrip() + " " if raw.rstrip().endswith("\\") else raw
        if raw.rstrip().endswith("\\"):
            continue
        cmd = re.sub(r"(^|\s)#.*$", "", cur).strip()
        cur = ""
        if cmd:
            lines.append(cmd)
    return lines


def _docs() -> list[Path]:
    return [d for d in DOCS if d.is_file()]


PARSED = {d: parse_doc(d) for d in _docs()}


def test_the_docs_are_found() -> None:
    assert ROOT / "README.md" in PARSED
    assert len([d for d in PARSED if d.name == "README.md"]) == 6
    if not SEED_API.is_file():
        pytest.skip(f"the seed API contract {SEED_API} is absent")


# ----------------------------------------------------------------------------- python blocks
_RUNNER = r"""
import contextlib, io, json, re, sys, traceback
blocks = json.load(open(sys.argv[1]))
ns = {"__name__": "__main__"}
for b in blocks:
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            exec(compile(b["code"], b["where"], "exec"), ns)
    except BaseException:
        sys.stdout.write(buf.getvalue())
        print(f"\nFAILED in the block at {b['where']}:", file=sys.stderr)
        traceback.print_exc()
        sys.exit(1)
    got = buf.getvalue()
    sys.stdout.write(got)
    if b["expect"] is not None:
        norm = lambda s: "\n".join(ln.rstrip() for ln in s.strip().splitlines())
        pattern = ".*?".join(re.escape(p) for p in norm(b["expect"]).split("..."))
        if not re.fullmatch(pattern, norm(got), re.S):
            print(f"\nThe block at {b['where']} printed\n{got}\ninstead of\n{b['expect']}", file=sys.stderr)
            sys.exit(1)
"""


def _python_cases() -> list[object]:
    cases = []
    for doc, parsed in PARSED.items():
        if parsed.python:
            cases.append(pytest.param(doc, id=_rel(doc)))
    return cases


@pytest.mark.parametrize("doc", _python_cases())
def test_python_blocks_run(doc: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    blocks = PARSED[doc].python
    skipped = [b for b in blocks if b.mark == "skip"]
    run = [b for b in blocks if b.mark != "skip"]
    env = dict(os.environ, OMP_NUM_THREADS="1", MPLBACKEND="Agg", PYTHONHASHSEED="0")
    if any(b.mark == "data" for b in run):
        env["ECG_SAMPLE_DATA"] = str(request.getfixturevalue("sample_data"))
    spec = tmp_path / "blocks.json"
    spec.write_text(
        json.dumps([{"code": b.code, "where": b.where, "expect": b.expect} for b in run])
    )
    runner = tmp_path / "runner.py"
    runner.write_text(_RUNNER)
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.run(
        [sys.executable, str(runner), str(spec)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    if skipped:
        reasons = "; ".join(f"{b.where}: {b.reason or 'no reason given'}" for b in skipped)
        pytest.skip(f"ran {len(run)} block(s); not run: {reasons}")


def test_marked_skips_give_a_reason() -> None:
    for parsed in PARSED.values():
        for b in parsed.python:
            if b.mark == "skip":
                assert b.reason, f"{b.where}: <!-- test: skip --> needs a reason"


# ----------------------------------------------------------------------------- shell commands
_PARSE_ONLY = r"""
import argparse, contextlib, io, json, os, runpy, sys


class _Parsed(BaseException):
    pass


_orig = argparse.ArgumentParser.parse_args


def _parse_args(self, args=None, namespace=None):
    _orig(self, args, namespace)
    raise _Parsed


argparse.ArgumentParser.parse_args = _parse_args
todo_path, out_path = sys.argv[1:3]
results = {}
for cmd, kind, target, argv in json.load(open(todo_path)):
    err = io.StringIO()
    sys.argv = [target, *argv]
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            if kind == "script":
                sys.path.insert(0, os.path.dirname(target))  # as `python script.py` does
                runpy.run_path(target, run_name="__main__")
            else:
                from ecg_benchmarks.cli import main

                main(argv)
        results[cmd] = "the command ran without parsing its arguments with argparse"
    except _Parsed:
        results[cmd] = ""
    except SystemExit as exc:  # --help exits 0; a parse error exits 2 with the message
        results[cmd] = "" if exc.code in (0, None) else f"exit {exc.code}: {err.getvalue()}"
    except BaseException as exc:
        results[cmd] = f"{type(exc).__name__}: {exc}\n{err.getvalue()}"
json.dump(results, open(out_path, "w"))
"""


def _command_cases() -> list[object]:
    cases = []
    for parsed in PARSED.values():
        seen = set()
        for where, cmd in parsed.commands:
            if cmd in seen:
                continue
            seen.add(cmd)
            cases.append(pytest.param(cmd, id=f"{where}: {cmd}"[:120]))
    return cases


def _call(cmd: str) -> tuple[str, str, list[str]] | None:
    """``(kind, target, argv)`` for the argparse check, or None for the commands checked here."""
    argv = shlex.split(cmd)
    if argv[0] == "torchrun":  # the program after torchrun's own options
        rest = argv[1:]
        if "-m" in rest and rest[rest.index("-m") + 1] == "ecg_benchmarks.cli":
            return "cli", "ecg-bench", rest[rest.index("-m") + 2 :]
        scripts = [i for i, a in enumerate(rest) if a.endswith(".py")]
        if scripts:
            return "script", str(ROOT / rest[scripts[0]]), rest[scripts[0] + 1 :]
        return None
    if argv[0] == "ecg-bench":
        return "cli", "ecg-bench", argv[1:]
    if argv[0].endswith("python") and len(argv) > 1 and argv[1].endswith(".py"):
        return "script", str(ROOT / argv[1]), argv[2:]
    return None


@pytest.fixture(scope="module")
def parse_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every ecg-bench / bench script command parsed in one interpreter: ``{cmd: error or ""}``."""
    todo = []
    for parsed in PARSED.values():
        for _, cmd in parsed.commands:
            pasteable = not re.search(r"\[-|\|", cmd) and "..." not in shlex.split(cmd)
            call = _call(cmd) if pasteable else None
            if call is not None:
                todo.append([cmd, *call])
    folder = tmp_path_factory.mktemp("commands")
    (folder / "todo.json").write_text(json.dumps(todo))
    (folder / "check.py").write_text(_PARSE_ONLY)
    env = dict(os.environ, OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    proc = subprocess.run(
        [
            sys.executable,
            str(folder / "check.py"),
            str(folder / "todo.json"),
            str(folder / "out.json"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return dict(json.loads((folder / "out.json").read_text()))


@pytest.mark.parametrize("cmd", _command_cases())
def test_shell_commands_parse(cmd: str, parse_results: dict[str, str]) -> None:
    assert not re.search(r"\[-", cmd), (
        f"{cmd!r}: optional flags in brackets cannot be pasted; write a second command with the flag"
    )
    assert "|" not in cmd, f"{cmd!r}: choose one alternative (a|b is a pipe in a shell)"
    argv = shlex.split(cmd)
    assert "..." not in argv, f"{cmd!r}: write the whole command instead of '...'"
    if argv[0] == "make":
        proc = subprocess.run(["make", "-n", *argv[1:]], cwd=ROOT, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        return
    if argv[0] == "pip":
        assert argv[1] == "install", cmd
        names = {p.name for p in (ROOT / "packages").iterdir()} | {"ecg-suite"}
        for req in argv[2:]:
            if not req.startswith("-"):
                assert re.split(r"[\[<>=~]", req)[0] in names, f"{req} is not one of ours"
        return
    call = _call(cmd)
    assert call is not None, f"{cmd!r}: no rule to check this command; teach {Path(__file__).name}"
    if call[0] == "script":
        assert Path(call[1]).is_file(), f"{argv[1]} does not exist"
    assert parse_results[cmd] == "", f"{cmd!r} does not parse: {parse_results[cmd]}"
