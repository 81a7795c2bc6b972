"""The architecture rules that import-linter cannot express, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src" / "custcare"
CORE = sorted(p for p in SRC.rglob("*.py") if p.name != "__main__.py")

# Calls that read a clock or touch files; the core takes `as_of` and data from callers.
FORBIDDEN_CALLS = {
    "print": "only custcare.__main__ prints",
    "open": "the core does no file I/O",
    "input": "the core does not read the terminal",
    "now": "the core reads no clock: take as_of from the caller",
    "utcnow": "the core reads no clock: take as_of from the caller",
    "today": "the core reads no clock: take as_of from the caller",
    "time": "the core reads no clock",
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
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in FORBIDDEN_CALLS:
                found.append(f"{where}:{node.lineno}: {name}() — {FORBIDDEN_CALLS[name]}")
    return found


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(SRC)))
def test_core_module_has_no_io_clock_or_print(path: Path) -> None:
    assert _offences(path.read_text(encoding="utf-8"), str(path.relative_to(SRC))) == []


def test_the_check_can_fail() -> None:
    found = _offences("import datetime\nprint(datetime.datetime.now())\n", "probe.py")
    assert [f.split(": ")[1] for f in found] == ["print()", "now()"] or len(found) == 2


def test_package_ships_py_typed() -> None:
    assert (SRC / "py.typed").exists()
