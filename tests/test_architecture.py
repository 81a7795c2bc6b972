"""The architecture rules that import-linter cannot express, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src" / "custcare"
CORE = sorted(p for p in SRC.rglob("*.py") if p.name != "__main__.py")

# Calls that read a clock or touch files; the core takes `as_of` and data from callers.
FORBIDDEN_NAMES = {  # plain calls: print(...)
    "print": "only custcare.__main__ prints",
    "open": "the core does no file I/O",
    "input": "the core does not read the terminal",
}
FORBIDDEN_ATTRIBUTES = {  # method calls: datetime.now(), time.time(), path.write_text()
    "now": "the core reads no clock: take as_of from the caller",
    "utcnow": "the core reads no clock: take as_of from the caller",
    "today": "the core reads no clock: take as_of from the caller",
    "time": "the core reads no clock",
    "monotonic": "the core reads no clock",
    "perf_counter": "the core reads no clock",
    "read_bytes": "the core does no file I/O",
    "write_text": "the core does no file I/O",
    "write_bytes": "the core does no file I/O",
}


def _offences(source: str, where: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename=where)):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in FORBIDDEN_NAMES:
                found.append(f"{where}:{node.lineno}: {func.id}() — {FORBIDDEN_NAMES[func.id]}")
            elif isinstance(func, ast.Attribute) and func.attr in FORBIDDEN_ATTRIBUTES:
                why = FORBIDDEN_ATTRIBUTES[func.attr]
                found.append(f"{where}:{node.lineno}: .{func.attr}() — {why}")
    return found


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(SRC)))
def test_core_module_has_no_io_clock_or_print(path: Path) -> None:
    assert _offences(path.read_text(encoding="utf-8"), str(path.relative_to(SRC))) == []


def test_the_check_can_fail() -> None:
    source = "import datetime, time\nprint(datetime.datetime.now())\ntime.time()\n"
    found = _offences(source, "probe.py")
    assert len(found) == 3
    assert _offences("from datetime import time\nx = time(9, 0)\n", "ok.py") == []


def test_package_ships_py_typed() -> None:
    assert (SRC / "py.typed").exists()
