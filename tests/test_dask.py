"""custcare.dask: the partitioned path gives the in-memory path's result table."""

from __future__ import annotations

import re
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
pq = pytest.importorskip("pyarrow.parquet")

from custcare import dask as cdask  # noqa: E402
from custcare.errors import ColumnError, CustcareUsageError, DataError, NotFittedError  # noqa: E402
from custcare.frames import batch_from_frames  # noqa: E402
from custcare.loyalty import RFMScorer  # noqa: E402
from custcare.scoring import Pipeline, PopulationScorer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_pipeline import SCALE_AS_OF, make_columns, scorers  # noqa: E402

AS_OF = SCALE_AS_OF
ORDER_COLUMNS = {
    "customer_id": "user",
    "order_id": "order_no",
    "placed_at": "placed",
    "total": "amount",
    "cost": "cost",
    "units": "units",
    "status": "state",
}
REVIEW_COLUMNS = {
    "id": "rid",
    "customer_id": "user",
    "posted_at": "posted",
    "rating": "stars",
    "order_id": "order_no",
}
COMPLAINT_COLUMNS = {
    "id": "qid",
    "customer_id": "user",
    "opened_at": "opened",
    "channel": "via",
    "order_id": "order_no",
    "category": "kind",
}


@pytest.fixture(autouse=True)
def _plain_strings() -> Any:
    # TOOLCHAIN.md: with pandas 3, Dask's string conversion changes dtypes on the way.
    with dask.config.set({"dataframe.convert-string": False}):
        yield


def shop_log(n_orders: int, seed: int = 0) -> dict[str, Any]:
    """The benchmark's generated order log as pandas tables, with reviews and complaints."""
    c = make_columns(n_orders, seed=seed)
    rng = np.random.default_rng(seed + 1)
    user = c["customer_ids"][c["order_customer"]]
    placed = pd.to_datetime(c["order_time"], unit="s", utc=True)
    state = np.where(rng.random(n_orders) < 0.05, "交易关闭", "交易成功")
    orders = pd.DataFrame(
        {
            "user": user.astype(object),
            "order_no": c["order_ids"].astype(object),
            "placed": placed,
            "amount": c["order_total"],
            "cost": c["order_cost"],
            "units": c["order_units"],
            "state": state.astype(object),
        }
    )
    # Reviews of some completed orders a day later; complaints about some of them.
    reviewed = np.flatnonzero((rng.random(n_orders) < 0.1) & (state == "交易成功"))
    reviews = pd.DataFrame(
        {
            "rid": np.char.add("r", reviewed.astype(str)).astype(object),
            "user": user[reviewed].astype(object),
            "posted": placed[reviewed] + pd.Timedelta(days=1),
            "stars": rng.integers(1, 6, size=reviewed.size),
            "order_no": c["order_ids"][reviewed].astype(object),
        }
    )
    complained = reviewed[rng.random(reviewed.size) < 0.3]
    complaints = pd.DataFrame(
        {
            "qid": np.char.add("q", complained.astype(str)).astype(object),
            "user": user[complained].astype(object),
            "opened": placed[complained] + pd.Timedelta(days=2),
            "via": rng.choice(["phone", "在线聊天"], size=complained.size).astype(object),
            "order_no": c["order_ids"][complained].astype(object),
            "kind": rng.choice(
                ["long_wait", "product_quality", "overcharging"], size=complained.size
            ).astype(object),
        }
    )
    # Shuffle the rows: the partitioned path must not depend on the row order.
    return {
        "orders": orders.sample(frac=1.0, random_state=seed).reset_index(drop=True),
        "reviews": reviews.sample(frac=1.0, random_state=seed).reset_index(drop=True),
        "complaints": complaints,
    }


def pipeline() -> Pipeline:
    # Uniform simulated times need a small BG/NBD penalty (as in bench_pipeline).
    return Pipeline([s for s in scorers("CNY", penalizer=0.001) if s.traits.batch])


def in_memory(tables: dict[str, Any]) -> Any:
    """The in-memory path: the whole log, orders in customer then order-id order."""
    orders = tables["orders"].sort_values(["user", "order_no"])
    batch, _ = batch_from_frames(
        orders=orders,
        columns=ORDER_COLUMNS,
        reviews=tables["reviews"],
        review_columns=REVIEW_COLUMNS,
        complaints=tables["complaints"],
        complaint_columns=COMPLAINT_COLUMNS,
        timezone="Asia/Shanghai",
        currency="CNY",
    )
    table = pipeline().fit(batch, as_of=AS_OF).run(batch, as_of=AS_OF)
    return _canonical(table.to_pandas())


def _canonical(frame: Any) -> Any:
    return frame.sort_values("customer_id").reset_index(drop=True)


def order_log(tables: dict[str, Any], npartitions: int, **options: Any) -> cdask.OrderLog:
    return cdask.OrderLog.from_frames(
        orders=dd.from_pandas(tables["orders"], npartitions=npartitions),
        columns=ORDER_COLUMNS,
        reviews=dd.from_pandas(tables["reviews"], npartitions=max(npartitions // 2, 1)),
        review_columns=REVIEW_COLUMNS,
        complaints=dd.from_pandas(tables["complaints"], npartitions=1),
        complaint_columns=COMPLAINT_COLUMNS,
        timezone="Asia/Shanghai",
        currency="CNY",
        **options,
    )


def on_dask(tables: dict[str, Any], scheduler: str, npartitions: int) -> Any:
    log = order_log(tables, npartitions)
    fitted = cdask.fit(pipeline(), log, as_of=AS_OF, scheduler=scheduler)
    result = cdask.run(fitted, log, as_of=AS_OF)
    return _canonical(result.compute(scheduler=scheduler))


def assert_same_table(left: Any, right: Any) -> None:
    """Every column equal: numbers exactly, texts, reason codes and evidence lists."""
    assert list(left.columns) == list(right.columns)
    assert len(left) == len(right)
    for column in left.columns:
        a, b = left[column], right[column]
        if column.endswith((".reason_codes", ".evidence")):  # lists per row
            assert [list(x) for x in a] == [list(x) for x in b], column
        else:
            pd.testing.assert_series_equal(a, b, check_dtype=True, obj=column)


@pytest.fixture(scope="module")
def big() -> tuple[dict[str, Any], Any]:
    tables = shop_log(300_000)
    return tables, in_memory(tables)


def test_threads_scheduler_gives_the_in_memory_table_on_300k_orders(big: Any) -> None:
    tables, expected = big
    got = on_dask(tables, "threads", npartitions=6)
    assert len(got) == tables["orders"]["user"].nunique()
    assert got["complaint.priority.reason_codes"].map(len).gt(0).all()
    assert_same_table(got, expected)


def test_processes_scheduler_gives_the_in_memory_table_on_100k_orders() -> None:
    # Worker processes receive every partition pickled: a smaller log keeps CI quick.
    tables = shop_log(100_000, seed=2)
    assert_same_table(on_dask(tables, "processes", npartitions=4), in_memory(tables))


def test_the_fit_does_not_depend_on_the_partitioning() -> None:
    tables = shop_log(20_000, seed=3)
    fits = []
    for n in (1, 5):
        fitted = cdask.fit(pipeline(), order_log(tables, n), as_of=AS_OF, scheduler="sync")
        fits.append([s.to_json() for s in fitted._order if isinstance(s, PopulationScorer)])
    assert fits[0] == fits[1]


def test_the_result_writes_to_parquet_and_reads_back(tmp_path: Path) -> None:
    tables = shop_log(5_000, seed=4)
    log = order_log(tables, 3)
    fitted = cdask.fit(pipeline(), log, as_of=AS_OF, scheduler="sync")
    cdask.run(fitted, log, as_of=AS_OF).to_parquet(
        tmp_path / "out", write_index=False, compute_kwargs={"scheduler": "sync"}
    )
    # pandas cannot rebuild an ArrowDtype list column from its own parquet metadata:
    # read the Arrow table as the list columns' reader would.
    back = _canonical(pq.read_table(tmp_path / "out").to_pandas(ignore_metadata=True))
    assert_same_table(back, in_memory(tables))


def test_a_customer_in_two_partitions_is_refused_without_naming_them() -> None:
    tables = shop_log(2_000, seed=5)
    orders = tables["orders"].sort_values("order_no")  # customers span partitions
    log = cdask.OrderLog.from_frames(
        orders=dd.from_pandas(orders, npartitions=3, sort=False),
        columns=ORDER_COLUMNS,
        timezone="UTC",
        currency="CNY",
        partitioned_by_customer=True,
    )
    with pytest.raises(DataError, match="customer_split_across_partitions") as info:
        cdask.fit(pipeline(), log, as_of=AS_OF, scheduler="sync")
    assert not any(str(u) in str(info.value) for u in orders["user"].unique()[:50])
    # The same rows shuffled by custcare are fine.
    shuffled = cdask.OrderLog.from_frames(
        orders=dd.from_pandas(orders, npartitions=3, sort=False),
        columns=ORDER_COLUMNS,
        timezone="UTC",
        currency="CNY",
    )
    cdask.fit(pipeline(), shuffled, as_of=AS_OF, scheduler="sync")


def test_already_partitioned_tables_are_used_as_they_are() -> None:
    tables = shop_log(5_000, seed=6)
    orders = tables["orders"].set_index("user", drop=False).sort_index()
    log = cdask.OrderLog.from_frames(
        orders=dd.from_pandas(orders, npartitions=3),
        columns=ORDER_COLUMNS,
        timezone="Asia/Shanghai",
        currency="CNY",
        partitioned_by_customer=True,
    )
    assert log.frames["orders"] is not None and log.frames["orders"].npartitions == 3
    fitted = cdask.fit(pipeline(), log, as_of=AS_OF, scheduler="sync")
    got = _canonical(cdask.run(fitted, log, as_of=AS_OF).compute(scheduler="sync"))
    expected = in_memory(
        {
            **tables,
            "reviews": tables["reviews"].iloc[:0],
            "complaints": tables["complaints"].iloc[:0],
        }
    )
    keep = [c for c in expected.columns if not c.startswith(("churn.cause", "complaint."))]
    assert_same_table(got[keep], expected[keep])


def test_a_customers_table_is_shuffled_with_the_orders() -> None:
    tables = shop_log(8_000, seed=15)
    first = tables["orders"].groupby("user")["placed"].min()
    customers = pd.DataFrame(
        {"cid": [*first.index, "never-bought"], "joined": [*first, first.min()]}
    )
    customers["joined"] = customers["joined"] - pd.Timedelta(days=3)
    customer_columns = {"id": "cid", "created_at": "joined"}
    log = cdask.OrderLog.from_frames(
        orders=dd.from_pandas(tables["orders"], npartitions=3),
        columns=ORDER_COLUMNS,
        customers=dd.from_pandas(customers, npartitions=2),
        customer_columns=customer_columns,
        timezone="Asia/Shanghai",
        currency="CNY",
    )
    fitted = cdask.fit(pipeline(), log, as_of=AS_OF, scheduler="threads")
    got = _canonical(cdask.run(fitted, log, as_of=AS_OF).compute(scheduler="threads"))
    batch, _ = batch_from_frames(
        orders=tables["orders"].sort_values(["user", "order_no"]),
        columns=ORDER_COLUMNS,
        customers=customers.sort_values("cid"),
        customer_columns=customer_columns,
        timezone="Asia/Shanghai",
        currency="CNY",
    )
    expected = _canonical(pipeline().fit(batch, as_of=AS_OF).run(batch, as_of=AS_OF).to_pandas())
    assert "never-bought" in set(got["customer_id"])
    assert_same_table(got, expected)


def test_partitioned_tables_must_have_the_same_number_of_partitions() -> None:
    tables = shop_log(1_000, seed=7)
    with pytest.raises(CustcareUsageError, match="orders has 2 partitions and reviews 1"):
        cdask.OrderLog.from_frames(
            orders=dd.from_pandas(tables["orders"], npartitions=2),
            columns=ORDER_COLUMNS,
            reviews=dd.from_pandas(tables["reviews"], npartitions=1),
            review_columns=REVIEW_COLUMNS,
            timezone="UTC",
            currency="CNY",
            partitioned_by_customer=True,
        )


def test_a_missing_column_is_named_before_any_work() -> None:
    tables = shop_log(1_000, seed=8)
    with pytest.raises(ColumnError, match=r"reviews\.stars") as info:
        cdask.OrderLog.from_frames(
            orders=dd.from_pandas(tables["orders"], npartitions=2),
            columns=ORDER_COLUMNS,
            reviews=dd.from_pandas(tables["reviews"].drop(columns=["stars"]), npartitions=1),
            review_columns=REVIEW_COLUMNS,
            timezone="UTC",
            currency="CNY",
        )
    assert info.value.rule == "missing_column"


def test_tables_and_mappings_go_together_and_must_be_dask() -> None:
    tables = shop_log(1_000, seed=9)
    with pytest.raises(CustcareUsageError, match="reviews and review_columns go together"):
        cdask.OrderLog.from_frames(
            orders=dd.from_pandas(tables["orders"], npartitions=2),
            columns=ORDER_COLUMNS,
            reviews=dd.from_pandas(tables["reviews"], npartitions=1),
            timezone="UTC",
        )
    with pytest.raises(CustcareUsageError, match="orders must be a Dask DataFrame"):
        cdask.OrderLog.from_frames(orders=tables["orders"], columns=ORDER_COLUMNS, timezone="UTC")


def test_naive_times_beside_aware_ones_are_refused_by_the_partition_reader() -> None:
    tables = shop_log(1_000, seed=10)
    orders = tables["orders"].assign(placed=tables["orders"]["placed"].astype(object))
    orders.loc[orders.index[:3], "placed"] = pd.Timestamp("2026-01-01 10:00")  # naive
    log = cdask.OrderLog.from_frames(
        orders=dd.from_pandas(orders, npartitions=2),
        columns=ORDER_COLUMNS,
        timezone="UTC",
        currency="CNY",
    )
    with pytest.raises(ColumnError, match="placed"):
        cdask.fit(pipeline(), log, as_of=AS_OF, scheduler="sync")


def test_run_needs_a_fitted_pipeline() -> None:
    log = order_log(shop_log(1_000, seed=11), 2)
    with pytest.raises(NotFittedError):
        cdask.run(pipeline(), log, as_of=AS_OF)


def test_fit_on_a_sample_of_customers_is_reproducible_and_close() -> None:
    tables = shop_log(40_000, seed=12)
    log = order_log(tables, 4)
    as_rfm = lambda f: cdask.fit(  # noqa: E731
        Pipeline([RFMScorer()]), log, as_of=AS_OF, fit_fraction=f, scheduler="sync"
    )._order[0]
    whole, half, again = as_rfm(1.0), as_rfm(0.5), as_rfm(0.5)
    assert half.state == again.state  # the same customers every time
    assert 0.4 < half.state.n_customers / whole.state.n_customers < 0.6
    assert half.state != whole.state
    for bad in (0.0, 1.5, float("nan")):
        with pytest.raises(CustcareUsageError, match="fit_fraction"):
            as_rfm(bad)


def test_fit_batch_keeps_only_what_fitting_reads() -> None:
    tables = shop_log(3_000, seed=13)
    batch, _ = batch_from_frames(
        orders=tables["orders"],
        columns=ORDER_COLUMNS,
        reviews=tables["reviews"],
        review_columns=REVIEW_COLUMNS,
        timezone="UTC",
        currency="CNY",
    )
    small = cdask.fit_batch(batch, as_of=datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert small.order_ids is None and small.records is None and small.uncounted_ids.size == 0
    assert small.n_customers == batch.n_customers
    assert small.order_time.max() <= datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()
    per_order = sum(
        a.itemsize
        for a in (
            small.order_customer,
            small.order_time,
            small.order_total,
            small.order_cost,
            small.order_units,
            small.order_discounted,
        )
    )
    assert per_order == cdask.FIT_BYTES_PER_ORDER


def test_partitions_in_two_currencies_are_refused() -> None:
    tables = shop_log(2_000, seed=14)
    orders = tables["orders"].sort_values("user").reset_index(drop=True)
    cut = orders["user"].iloc[len(orders) // 2]
    first = (orders["user"] < cut).to_numpy()
    orders["cur"] = np.where(first, "CNY", "USD").astype(object)
    halves = [dd.from_pandas(orders[m], npartitions=1, sort=False) for m in (first, ~first)]
    log = cdask.OrderLog.from_frames(
        orders=dd.concat(halves),
        columns={**ORDER_COLUMNS, "currency": "cur"},
        timezone="UTC",
        partitioned_by_customer=True,
    )
    with pytest.raises(DataError, match="2 currencies"):
        cdask.fit(pipeline(), log, as_of=AS_OF, scheduler="sync")


GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guides" / "beyond-one-machine.md"


def test_the_guides_dask_code_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The guide's Python blocks before the Spark section run as they stand, in order."""
    text = GUIDE.read_text(encoding="utf-8").split("\n## Spark", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) >= 4
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    namespace: dict[str, Any] = {"__name__": "guide"}
    for code in blocks:
        exec(compile(code, str(GUIDE), "exec"), namespace)
    assert namespace["scores"]["customer_id"].is_unique
    assert len(namespace["scores"]) == namespace["orders"]["user"].nunique()
