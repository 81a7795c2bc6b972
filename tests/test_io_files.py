"""custcare.io: the reviews preset, a customers table, DuckDB, SQLite and SQLAlchemy URLs."""

from __future__ import annotations

import sqlite3
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

pd = pytest.importorskip("pandas")

from custcare.__main__ import main  # noqa: E402
from custcare.errors import ColumnError, CustcareUsageError, DataError  # noqa: E402
from custcare.io import Source, load_files, preset  # noqa: E402

ZONE = "Asia/Shanghai"
AS_OF = "2026-05-09"


def _orders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3", "o4", "o5", "o6"],
            "customer_id": ["u1", "u1", "u2", "u3", "u3", "u3"],
            "placed_at": [
                "2026-01-05 10:00:00",
                "2026-03-01 21:15:00",
                "2026-03-02 08:00:00",
                "2026-02-10 12:00:00",
                "2026-04-20 09:30:00",
                "2026-05-01 19:00:00",
            ],
            "total": [99.0, 268.0, 9.9, 39.0, 188.0, 55.5],
        }
    )


def _reviews() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "review_id": ["r1", "r2"],
            "customer_id": ["u1", "u3"],
            "order_id": ["o2", "o6"],
            "rating": [5, 1],
            "posted_at": ["2026-03-05 10:00:00", "2026-05-08 20:00:00"],
            "text": ["很好喝", "包装破了，茶叶洒了一半"],
        }
    )


def _customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["u1", "u2", "u3"],
            "created_at": ["2025-11-11 08:00:00", "2026-03-01 07:00:00", "2024-06-18 12:00:00"],
            "name": ["张三", "李四", "王五"],  # personal data: not read
        }
    )


def _config() -> object:
    return preset("reviews").model_copy(update={"timezone": ZONE, "currency": "CNY"})


def _write(tmp_path: Path) -> tuple[Path, Path, Path]:
    paths = tmp_path / "orders.csv", tmp_path / "reviews.csv", tmp_path / "customers.csv"
    for frame, path in zip((_orders(), _reviews(), _customers()), paths, strict=True):
        frame.to_csv(path, index=False)
    return paths


# --- the reviews preset and a customers table ---------------------------------------------


def _created(batch: object) -> dict[str, str]:
    """Each customer's creation day in Shanghai."""
    zone = ZoneInfo(ZONE)
    return {
        str(c): datetime.fromtimestamp(float(t), tz=zone).date().isoformat()
        for c, t in zip(batch.customer_ids, batch.created_at, strict=True)  # type: ignore[attr-defined]
    }


def test_the_reviews_preset_reads_orders_reviews_and_customers(tmp_path: Path) -> None:
    orders, reviews, customers = _write(tmp_path)
    loaded = load_files(
        Source(str(orders)),
        config=_config(),  # type: ignore[arg-type]
        timezone=ZONE,
        reviews=Source(str(reviews)),
        customers=Source(str(customers)),
    )
    assert loaded.report.customers_in == 3 and loaded.report.reviews_out == 2
    # u3 was created in 2024 (the customers table), not at their first order (2026-02-10)
    assert _created(loaded.batch) == {"u1": "2025-11-11", "u2": "2026-03-01", "u3": "2024-06-18"}
    assert "no status column" in loaded.describe()  # status is optional in the preset


def test_without_a_customers_table_customers_start_at_their_first_order(tmp_path: Path) -> None:
    orders, reviews, _ = _write(tmp_path)
    loaded = load_files(
        Source(str(orders)),
        config=_config(),  # type: ignore[arg-type]
        timezone=ZONE,
        reviews=Source(str(reviews)),
    )
    assert loaded.report.customers_in is None
    assert _created(loaded.batch)["u3"] == "2026-02-10"


def test_a_customer_missing_from_the_customers_table_is_an_error(tmp_path: Path) -> None:
    orders, _, customers = _write(tmp_path)
    _customers().iloc[:2].to_csv(customers, index=False)
    with pytest.raises(ColumnError) as exc:
        load_files(
            Source(str(orders)),
            config=_config(),  # type: ignore[arg-type]
            timezone=ZONE,
            customers=Source(str(customers)),
        )
    assert exc.value.rule == "unknown_customer"


def test_a_customers_file_needs_a_mapping(tmp_path: Path) -> None:
    orders, _, customers = _write(tmp_path)
    with pytest.raises(CustcareUsageError, match=r"\[customers\] column mapping"):
        load_files(
            Source(str(orders)),
            config=preset("cdnow"),
            timezone="UTC",
            customers=Source(str(customers)),
        )


def test_score_with_reviews_and_customers_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders, reviews, customers = _write(tmp_path)
    argv = ["score", str(orders), "--reviews", str(reviews), "--customers", str(customers)]
    argv += ["--preset", "reviews", "--timezone", ZONE, "--currency", "CNY", "--as-of", AS_OF]
    code = main([*argv, "--churn-method", "gap", "--out", str(tmp_path / "s.csv")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "reviews: 2 rows in" in out
    scores = pd.read_csv(tmp_path / "s.csv", dtype=str, encoding="utf-8-sig")
    row = scores[scores["customer_id"] == "u3"].iloc[0]
    # the fresh 1-star review is a complaint to handle
    assert row["complaint.priority.level"] in {"P1", "P2", "P3"}
    assert "包装破了" not in out + err and "王五" not in out + err


# --- databases ------------------------------------------------------------------------------


def _typed_orders() -> pd.DataFrame:
    frame = _orders()
    frame["placed_at"] = pd.to_datetime(frame["placed_at"])
    return frame


def _loaded(source: Source) -> tuple[list[str], list[float], list[float]]:
    """Customer ids, order times and totals read from a source, by the reviews preset."""
    batch = load_files(source, config=_config(), timezone=ZONE).batch  # type: ignore[arg-type]
    return batch.customer_ids.tolist(), batch.order_time.tolist(), batch.order_total.tolist()


def _loaded_csv(tmp_path: Path) -> tuple[list[str], list[float], list[float]]:
    csv = tmp_path / "orders.csv"
    _orders().to_csv(csv, index=False)
    return _loaded(Source(str(csv)))


def test_duckdb_table_reads_like_the_csv(tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    db = tmp_path / "shop.duckdb"
    frame = _typed_orders()  # noqa: F841 - read by duckdb by name
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE orders AS SELECT * FROM frame")
    csv = tmp_path / "orders.csv"
    _orders().to_csv(csv, index=False)
    by_db = _loaded(Source.parse(f"{db}::orders"))
    assert by_db == _loaded(Source(str(csv)))
    assert by_db[0] == ["u1", "u2", "u3"] and len(by_db[1]) == 6
    with pytest.raises(DataError, match=r"shop.duckdb::missing: cannot read the table"):
        load_files(Source.parse(f"{db}::missing"), config=_config(), timezone=ZONE)  # type: ignore[arg-type]
    with pytest.raises(CustcareUsageError, match="letters, digits and underscores only"):
        load_files(Source.parse(f"{db}::x;drop"), config=_config(), timezone=ZONE)  # type: ignore[arg-type]


def test_duckdb_missing_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "shop.duckdb"
    db.write_bytes(b"")
    monkeypatch.setitem(sys.modules, "duckdb", None)
    with pytest.raises(CustcareUsageError, match="needs duckdb: pip install duckdb"):
        load_files(Source.parse(f"{db}::orders"), config=_config(), timezone=ZONE)  # type: ignore[arg-type]


def test_sqlite_file_and_sqlalchemy_url_read_the_same_table(tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy")
    db = tmp_path / "shop.sqlite"
    with sqlite3.connect(db) as con:
        _orders().to_sql("orders", con, index=False)
    con.close()
    by_file = _loaded(Source.parse(f"{db}::orders"))
    by_url = _loaded(Source.parse(f"sqlite:///{db}::orders"))
    assert by_file == by_url == _loaded_csv(tmp_path)
    assert by_file[0] == ["u1", "u2", "u3"] and sum(by_file[2]) == pytest.approx(659.4)
    with pytest.raises(DataError, match=r"cannot read the table"):
        load_files(Source.parse(f"sqlite:///{db}::nothing"), config=_config(), timezone=ZONE)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "code", "words"),
    [
        ("postgresql+nosuchdriver://ann:s3cret@db.example/shop::orders", 2, "driver"),
        ("sqlite:////no/such/folder/x.db::orders", 1, "cannot read the database"),
        ("not a url://::orders", 2, "not a database URL"),
    ],
)
def test_a_database_url_that_fails_exits_with_a_line_and_no_password(
    url: str, code: int, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("sqlalchemy")
    argv = ["score", url, "--preset", "reviews", "--timezone", ZONE, "--as-of", AS_OF]
    assert main([*argv, "--out", str(tmp_path / "s.csv")]) == code
    out, err = capsys.readouterr()
    assert words in err
    assert "s3cret" not in out + err and "Traceback" not in err
    assert len(err.splitlines()) == 1
