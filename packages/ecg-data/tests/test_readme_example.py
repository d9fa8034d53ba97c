"""The usage example of the package README runs on the sample data."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_readme_has_usage_and_performance_sections() -> None:
    text = README.read_text()
    for heading in ("## Usage", "## Performance", "bench/data_vs_torch_ecg.py"):
        assert heading in text, heading
    assert len(_python_blocks(text)) == 1


@pytest.mark.data
def test_readme_example_runs(sample_data: Path, tmp_path: Path) -> None:
    code = _python_blocks(README.read_text())[0]
    script = tmp_path / "example.py"
    script.write_text(code)
    env = {**os.environ, "ECG_SAMPLE_DATA": str(sample_data)}
    res = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env
    )
    assert res.returncode == 0, res.stderr[-2000:]
    lines = res.stdout.splitlines()
    assert lines[0].startswith("E07500 500.0 (3, 2500)"), lines[0]
    assert lines[1] == "2273 (3600, 2)"  # beat annotations of MIT-BIH 100, as wfdb reads them
    assert lines[3].endswith("(12, 5000) (26,) (8, 12, 5000)"), lines[3]
