"""The usage example of the package README runs and prints what it claims."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_readme_has_usage_and_performance_sections() -> None:
    text = README.read_text()
    for heading in (
        "## Usage",
        "## Performance",
        "bench/signal_vs_torch_ecg.py",
        "bench/rpeaks.py",
    ):
        assert heading in text, heading
    assert len(_python_blocks(text)) == 1


def test_readme_example_runs(tmp_path: Path) -> None:
    code = _python_blocks(README.read_text())[0]
    script = tmp_path / "example.py"
    script.write_text(code)
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    # the detector finds every simulated beat (printed by the example)
    assert "Se=1.000 PPV=1.000" in res.stdout, res.stdout
