"""notebooks/walkthrough.ipynb runs from top to bottom and shows what it says it shows.

The notebook is executed with nbclient in a fresh ``python3`` kernel (this
interpreter's ipykernel), in a temporary working directory, so it never rots.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (the dev extra)")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (the dev extra)")
pytest.importorskip("ipykernel", reason="ipykernel is not installed (the dev extra)")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOK = NOTEBOOKS / "walkthrough.ipynb"


def _text(cell: Any) -> str:
    """A code cell's printed and displayed text."""
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            parts.append(output["text"])
        elif "data" in output:
            parts.append(output["data"].get("text/plain", ""))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    workdir = tmp_path_factory.mktemp("notebook")
    client = nbclient.NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    return nb


def test_the_committed_notebook_is_the_script_s_output_without_outputs() -> None:
    spec = importlib.util.spec_from_file_location(
        "make_walkthrough", NOTEBOOKS / "make_walkthrough.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = nbformat.read(NOTEBOOK, as_version=4)
    assert committed == module.build(), "run: python notebooks/make_walkthrough.py"
    for cell in committed.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_every_cell_runs_without_errors_or_warnings(executed: Any) -> None:
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code)
    for cell in code:
        for output in cell.outputs:
            assert output["output_type"] != "error", output
            assert output.get("name") != "stderr", output["text"]


def test_the_key_results_are_shown(executed: Any) -> None:
    text = "\n".join(_text(c) for c in executed.cells if c.cell_type == "code")
    assert "69,659 purchase lines, 23,570 customers, USD" in text
    assert "orders: 69,659 rows in; 69,659 counted, 0 not counted, 0 rejected" in text
    assert "23570 customers scored by" in text
    for scorer in ("loyalty.threshold", "loyalty.rfm", "churn.risk", "loyalty.pyramid"):
        assert scorer in text
    assert "churn.cause:" in text and "complaint.priority:" in text  # the explained customer
    assert "holdout purchases predicted 16,874, actual 19,684" in text
    auc = {
        name: float(value)
        for name, value in re.findall(
            r"^(churn\.risk \(re-ranker, default\)|BG/NBD expected "
            r"purchases|recency alone)\s+(0\.\d+)$",
            text,
            re.M,
        )
    }
    assert len(auc) == 3, text
    assert auc["churn.risk (re-ranker, default)"] == max(auc.values()) > 0.7
    assert re.search(r"^\d+ open, \d+ overdue, as of 2026-06-30", text, re.M)
    assert re.search(r"^ 1\. P1 ", text, re.M)  # the queue starts with an urgent complaint
    assert re.search(r"^\d+ planned actions; \{'scheduled': \d+", text, re.M)
    assert "complaint_follow_up" in text


def test_the_plots_are_drawn_when_matplotlib_is_installed(executed: Any) -> None:
    pytest.importorskip("matplotlib", reason="matplotlib is not installed (the plot extra)")
    images = [
        output
        for cell in executed.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    assert len(images) == 1
