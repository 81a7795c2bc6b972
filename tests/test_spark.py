"""The Spark recipe of docs/guides/beyond-one-machine.md: groupBy(...).applyInPandas.

Runs where pyspark and a Java runtime are installed (pyspark 4 needs Java 17 or
later); skips with the reason elsewhere. The recipe uses `custcare.dask`'s
pandas-level functions (`FrameSpec`, `fit_batch`, `score_frames`), which do not
import Dask.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from typing import Any

import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")
if shutil.which("java") is None:
    pytest.skip(
        "no Java runtime on the PATH: pyspark needs Java 17+ (Debian: apt-get install "
        "default-jre-headless)",
        allow_module_level=True,
    )
pyspark = pytest.importorskip(
    "pyspark", reason="pyspark is not installed (pip install 'pyspark>=4.0'); Spark recipe untested"
)

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402, N812
from pyspark.sql.pandas.types import from_arrow_schema  # noqa: E402

from custcare.dask import FrameSpec, fit_batch, result_frame, score_frames  # noqa: E402
from custcare.frames import OrderColumns, batch_from_frames  # noqa: E402
from test_dask import (  # noqa: E402
    AS_OF,
    ORDER_COLUMNS,
    _canonical,
    assert_same_table,
    pipeline,
    shop_log,
)

BUCKETS = 8
# pyspark 4.x warns that its pandas 3 support is not complete, and calls pandas with
# keywords pandas 3 deprecates; the recipe's results are checked below.
pytestmark = [
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    # The Python workers must be this interpreter (the one with custcare installed).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("custcare-test")
        .config("spark.sql.shuffle.partitions", str(BUCKETS))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_apply_in_pandas_gives_the_in_memory_table(spark: Any) -> None:
    log = shop_log(20_000, seed=21)["orders"]
    orders = spark.createDataFrame(log)
    spec = FrameSpec(
        columns=OrderColumns(**ORDER_COLUMNS), timezone="Asia/Shanghai", currency="CNY"
    )

    # Fit on the driver, from the columns fitting reads (or a sample of customers).
    fit_rows = utc(orders.select(*ORDER_COLUMNS.values()).toPandas())
    fitted = pipeline().fit(fit_batch(spec.batch(fit_rows), as_of=AS_OF), as_of=AS_OF)

    # Score: every customer's rows in one group (a hash bucket of the id).
    empty = score_frames(fitted, spec, log.iloc[:0], as_of=AS_OF)
    import pyarrow as pa

    schema = from_arrow_schema(pa.Schema.from_pandas(empty, preserve_index=False))

    def score(frame: Any) -> Any:
        # Defined here: the function goes to Spark's workers by value (cloudpickle).
        frame = frame.drop(columns="bucket")
        frame["placed"] = frame["placed"].dt.tz_localize("UTC")
        return score_frames(fitted, spec, frame, as_of=AS_OF)

    scored = (
        orders.withColumn("bucket", F.pmod(F.hash("user"), F.lit(BUCKETS)))
        .groupBy("bucket")
        .applyInPandas(score, schema=schema)
    )
    got = _canonical(scored.toPandas())

    # The in-memory path on the same orders (in customer, order-id order).
    batch, _ = batch_from_frames(
        orders=log.sort_values(["user", "order_no"]),
        columns=ORDER_COLUMNS,
        timezone="Asia/Shanghai",
        currency="CNY",
    )
    table = pipeline().fit(batch, as_of=AS_OF).run(batch, as_of=AS_OF)
    expected = _canonical(table.to_pandas())
    assert len(got) == log["user"].nunique()
    assert_same_table(_as_pandas_types(got, expected), expected)


def utc(frame: Any) -> Any:
    """Spark gives pandas naive times in the session zone (UTC here): make them instants."""
    return frame.assign(placed=frame["placed"].dt.tz_localize("UTC"))


def _as_pandas_types(got: Any, like: Any) -> Any:
    """Spark hands back its own pandas dtypes (e.g. nullable ints): cast to the reference's."""
    out = got.copy()
    for column in like.columns:
        if column.endswith((".reason_codes", ".evidence")):
            out[column] = [list(x) for x in got[column]]
        else:
            out[column] = got[column].astype(like[column].dtype)
    return out


def test_result_frame_schema_converts_to_spark() -> None:
    tables = shop_log(500, seed=22)
    batch, _ = batch_from_frames(
        orders=tables["orders"], columns=ORDER_COLUMNS, timezone="UTC", currency="CNY"
    )
    table = pipeline().fit(batch, as_of=AS_OF).run(batch, as_of=AS_OF)
    schema = from_arrow_schema(pa_schema(result_frame(table)))
    kinds = {f.name: f.dataType.simpleString() for f in schema.fields}
    assert kinds["loyalty.rfm.reason_codes"] == "array<string>"
    assert kinds["customer_id"] == "string"


def pa_schema(frame: Any) -> Any:
    import pyarrow as pa

    return pa.Schema.from_pandas(frame, preserve_index=False)
