"""The README's example runs as written (from a pandas DataFrame to scores with reasons)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).parent.parent / "README.md"


def test_readme_opens_with_the_demo_and_test_commands() -> None:
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert "custcare demo" in blocks[0]
    assert "pytest" in blocks[1]


def test_readme_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("narwhals")
    pytest.importorskip("pyarrow")
    code = "\n".join(re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S))
    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert out.startswith("6 1\n")
    assert "loyalty.threshold.qualified" in out
    assert "u03" in out
