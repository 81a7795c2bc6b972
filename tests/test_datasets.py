"""custcare.datasets.load_cdnow: the packaged CDNOW data equal the published files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from custcare.datasets import CDNOW_CALIBRATION_END, load_cdnow
from custcare.errors import CustcareUsageError

DATA = Path(__file__).parent / "data"


def test_cdnow_sample_equals_the_file_in_tests_data() -> None:
    rows = [line.split() for line in (DATA / "CDNOW_sample.txt").read_text().splitlines()]
    data = load_cdnow("sample")
    assert len(data) == len(rows) == 6919
    assert_array_equal(data.customer_id, [r[0] for r in rows])
    assert_array_equal(data.date.astype(str), [f"{r[2][:4]}-{r[2][4:6]}-{r[2][6:]}" for r in rows])
    assert_array_equal(data.quantity, [int(r[3]) for r in rows])
    assert_array_equal(data.amount, [float(r[4]) for r in rows])
    assert data.customer_id[0] == "00004"  # leading zeros kept: ids are text


def test_cdnow_summary_equals_the_published_summary_and_the_transactions() -> None:
    lines = (DATA / "cdnow_customers_summary_with_transactions.csv").read_text().splitlines()
    published = np.array([line.split(",") for line in lines[1:]], dtype=float)
    summary = load_cdnow("sample").summary
    assert summary is not None
    assert_array_equal(summary.frequency, published[:, 1].astype(int))
    assert_allclose(summary.recency, published[:, 2])
    assert_allclose(summary.T, published[:, 3])
    assert_allclose(summary.monetary_value, published[:, 4])
    # The summary is rebuilt from the transactions: repeat purchase days to 1997-09-30.
    data = load_cdnow("sample")
    end = np.datetime64(CDNOW_CALIBRATION_END)
    for i in (0, 1, 2, 100, 2356):
        mine = (data.customer_id == summary.customer_id[i]) & (data.date <= end)
        days = np.unique(data.date[mine])
        assert summary.frequency[i] == days.shape[0] - 1
        assert_allclose(summary.T[i], (end - days[0]).astype(int) / 7, atol=0.005)


def test_cdnow_master_has_the_papers_size_and_holds_the_sample() -> None:
    master, sample = load_cdnow("master"), load_cdnow("sample")
    assert (len(master), master.n_customers, master.summary) == (69659, 23570, None)
    assert str(master.date.min()) == "1997-01-01" and str(master.date.max()) == "1998-06-30"
    assert np.isin(sample.customer_id, master.customer_id).all()
    assert master.as_of.isoformat() == "1998-06-30T23:59:59+00:00"


def test_cdnow_columns_are_read_only_and_cached() -> None:
    data = load_cdnow()
    assert load_cdnow() is data
    with pytest.raises(ValueError, match="read-only"):
        data.amount[0] = 0.0
    assert list(data.columns()) == ["customer_id", "date", "quantity", "amount"]


def test_cdnow_unknown_kind_is_a_usage_error() -> None:
    with pytest.raises(CustcareUsageError, match="kind must be 'sample' or 'master'"):
        load_cdnow("full")  # type: ignore[arg-type]


def test_packaged_files_are_small_and_match_their_readme() -> None:
    folder = Path(__file__).parent.parent / "src" / "custcare" / "datasets" / "data"
    assert sum(p.stat().st_size for p in folder.glob("*.gz")) < 600_000
    readme = (folder / "README.md").read_text()
    digest = hashlib.sha256((DATA / "CDNOW_sample.txt").read_bytes()).hexdigest()
    assert digest in readme
    assert "MIT" in readme and "Cameron Davidson-Pilon" in readme
