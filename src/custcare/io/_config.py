"""The column mapping of a shop's files: a pydantic config, from TOML or YAML, and presets."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from custcare.errors import CustcareUsageError
from custcare.frames import ComplaintColumns, CustomerColumns, OrderColumns, ReviewColumns
from custcare.models import OrderStatus

__all__ = [
    "ENCODINGS",
    "PRESETS",
    "TAOBAO_STATUS_WORDS",
    "Encoding",
    "FileConfig",
    "load_config",
    "preset",
]

Encoding = Literal["utf-8", "utf-8-sig", "gbk", "gb18030"]
ENCODINGS: tuple[Encoding, ...] = ("utf-8", "utf-8-sig", "gbk", "gb18030")
"""The text encodings read: state one, or let the reader tell UTF-8 (with or without
a byte-order mark) from GB18030 (which includes GBK); nothing else is guessed."""


class FileConfig(BaseModel):
    """How to read a shop's files: the columns of each table and how cells are written.

    Every field has a TOML/YAML key of the same name (see `load_config`). A table
    not mapped is not read.

    Attributes:
        orders: The orders table's columns (`custcare.frames.OrderColumns`).
        reviews: The reviews table's columns, if you give one.
        complaints: The complaints table's columns, if you give one.
        customers: The customers table's columns (`custcare.frames.CustomerColumns`:
            id, created_at, optional assigned_agent and tags), if you give one;
            without it each customer is created at their first order.
        status_words: Your order status words, each to an `OrderStatus` code
            (beside `custcare.frames.STATUS_WORDS`, which are always read).
        timezone: The IANA zone of naive times (e.g. ``"Asia/Shanghai"``); the
            command line's ``--timezone`` must agree with it when both are given.
        currency: The ISO 4217 code of the amounts (e.g. ``"CNY"``).
        encoding: The text encoding of CSV files (`ENCODINGS`); None tells
            UTF-8 from GB18030 and says which it read.
        time_format: The ``strptime`` format of times written as text (e.g.
            ``"%Y/%m/%d %H:%M"``); None reads ISO 8601 (``2026-05-09 14:30:00``).
        sheet: The Excel sheet to read (name); None reads the first.
        optional_columns: Mapped columns a file may lack: such a column is then
            not read (and a note says so); any other missing column is an error.
        personal_ids: True when the customer ids are personal data (a buyer's
            member name, a phone number): the HTML report then shows a short hash
            of each id instead (``custcare.report.render_report(hash_ids=True)``).

    Examples:
        >>> config = FileConfig(orders={"customer_id": "user", "placed_at": "paid",
        ...                             "total": "amount"}, timezone="Asia/Shanghai")
        >>> config.orders.total, config.encoding
        ('amount', None)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    orders: OrderColumns
    reviews: ReviewColumns | None = None
    complaints: ComplaintColumns | None = None
    customers: CustomerColumns | None = None
    status_words: dict[str, OrderStatus] = {}
    timezone: str | None = None
    currency: str | None = None
    encoding: Encoding | None = None
    time_format: str | None = None
    sheet: str | None = None
    optional_columns: tuple[str, ...] = ()
    personal_ids: bool = False


TAOBAO_STATUS_WORDS: Mapping[str, OrderStatus] = {
    "交易成功": OrderStatus.COMPLETED,
    "交易关闭": OrderStatus.CANCELLED,
    "等待买家付款": OrderStatus.PENDING_PAYMENT,
    "买家已付款，等待卖家发货": OrderStatus.PAID,
    "等待卖家发货": OrderStatus.PAID,
    "卖家已发货，等待买家确认": OrderStatus.SHIPPED,
    "等待买家确认收货": OrderStatus.SHIPPED,
}
"""Order status words of the Taobao/Tmall seller-centre export (订单状态), as the
preset reads them. Only 交易成功 counts as a purchase; a closed trade (交易关闭,
including refunded ones) is kept as an order that does not count."""

_TAOBAO = FileConfig(
    orders=OrderColumns(
        order_id="订单编号",
        customer_id="买家会员名",
        total="买家实际支付金额",
        status="订单状态",
        placed_at="订单创建时间",
    ),
    status_words=dict(TAOBAO_STATUS_WORDS),
    currency="CNY",
    timezone="Asia/Shanghai",
    personal_ids=True,  # 买家会员名 is the buyer's chosen name
)

_HELPDESK = FileConfig(
    orders=OrderColumns(
        order_id="order_id", customer_id="customer_id", placed_at="placed_at", total="total"
    ),
    complaints=ComplaintColumns(
        id="ticket_id",
        customer_id="requester_id",
        opened_at="created_at",
        channel="channel",
        order_id="order_id",
        text="description",
        category="category",
        first_response_at="first_response_at",
        resolved_at="solved_at",
        reopened="reopens",
    ),
    optional_columns=(
        "order_id",
        "description",
        "category",
        "first_response_at",
        "solved_at",
        "reopens",
    ),
)

_CDNOW = FileConfig(
    orders=OrderColumns(
        customer_id="customer_id", placed_at="date", total="amount", units="quantity"
    ),
    currency="USD",
    timezone="UTC",
)

_REVIEWS = FileConfig(
    orders=OrderColumns(
        order_id="order_id",
        customer_id="customer_id",
        placed_at="placed_at",
        total="total",
        status="status",
    ),
    reviews=ReviewColumns(
        id="review_id",
        customer_id="customer_id",
        posted_at="posted_at",
        rating="rating",
        order_id="order_id",
        text="text",
        seller_replied_at="seller_replied_at",
        revised_rating="revised_rating",
        revised_at="revised_at",
    ),
    customers=CustomerColumns(id="customer_id", created_at="created_at"),
    optional_columns=(
        "status",
        "order_id",
        "text",
        "seller_replied_at",
        "revised_rating",
        "revised_at",
    ),
)

PRESETS: Mapping[str, FileConfig] = {
    "taobao": _TAOBAO,
    "helpdesk": _HELPDESK,
    "cdnow": _CDNOW,
    "reviews": _REVIEWS,
}
"""The built-in configs by name:

* ``taobao``: the Taobao/Tmall seller-centre order export (订单报表). 订单编号 ->
  ``order_id`` (text: 18-19 digits), 买家会员名 -> ``customer_id``, 买家实际支付金额
  -> ``total`` (CNY, after discounts), 订单状态 -> ``status`` (`TAOBAO_STATUS_WORDS`),
  订单创建时间 -> ``placed_at`` (Asia/Shanghai wall time). 订单付款时间 is not read:
  unpaid and closed orders have none, and the creation time orders every row.
* ``helpdesk``: a generic helpdesk ticket export for ``--complaints``: ``ticket_id,
  requester_id, created_at, channel`` (codes or labels of `ComplaintChannel`), and
  optional ``order_id, description, category, first_response_at, solved_at,
  reopens``; orders in the plain ``order_id, customer_id, placed_at, total`` layout.
* ``cdnow``: the CDNOW transactions as ``custcare data cdnow`` writes them
  (``customer_id, date, quantity, amount``), dollars, dates in UTC.
* ``reviews``: a shop's own export of three plain tables: orders ``order_id,
  customer_id, placed_at, total`` (and ``status`` if present), reviews
  ``review_id, customer_id, posted_at, rating`` (1..5; and ``order_id, text,
  seller_replied_at, revised_rating, revised_at`` if present) and customers
  ``customer_id, created_at``. No zone or currency: state them.
"""


def preset(name: str) -> FileConfig:
    """The built-in config called ``name`` (one of `PRESETS`).

    Raises:
        CustcareUsageError: if there is no such preset.

    Examples:
        >>> preset("taobao").orders.order_id
        '订单编号'
    """
    try:
        return PRESETS[name]
    except KeyError:
        raise CustcareUsageError(
            f"unknown preset {name!r}; the presets are {', '.join(PRESETS)}", code="bad_argument"
        ) from None


def _toml(text: str) -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    return tomllib.loads(text)


def _yaml(text: str) -> Any:
    try:
        import yaml  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise CustcareUsageError(
            "a YAML config needs PyYAML (pip install pyyaml); or write the config as TOML",
            code="bad_argument",
        ) from None
    return yaml.safe_load(text)


def load_config(path: str | Path, *, base: FileConfig | None = None) -> FileConfig:
    r"""Read a `FileConfig` from a ``.toml`` file (or ``.yaml``/``.yml`` with PyYAML).

    The file's top-level keys are `FileConfig`'s fields; tables ``[orders]``,
    ``[reviews]``, ``[complaints]``, ``[customers]`` and ``[status_words]`` map your column names
    and status words. With ``base`` (a preset), the file's keys replace the
    preset's, table by table.

    Raises:
        FileNotFoundError: if there is no such file.
        CustcareUsageError: if the file is not valid TOML/YAML or has another suffix.
        pydantic.ValidationError: if a key is unknown or a value breaks a rule.

    Examples:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "custcare.toml").write_text(
        ...     'timezone = "Asia/Shanghai"\n[orders]\ncustomer_id = "user"\n'
        ...     'placed_at = "paid"\ntotal = "amount"\n', encoding="utf-8")
        >>> load_config(folder / "custcare.toml").orders.customer_id
        'user'
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".toml", ".yaml", ".yml"}:
        raise CustcareUsageError(
            f"a config is a .toml (or .yaml) file, got {path.name!r}", code="bad_argument"
        )
    text = path.read_text(encoding="utf-8")
    try:
        raw = _toml(text) if suffix == ".toml" else _yaml(text)
    except CustcareUsageError:
        raise
    except Exception as exc:  # tomllib.TOMLDecodeError, yaml.YAMLError
        raise CustcareUsageError(
            f"{path.name} is not valid {suffix[1:].upper()}: {exc}", code="bad_argument"
        ) from None
    if not isinstance(raw, dict):
        raise CustcareUsageError(f"{path.name} must hold a table of keys", code="bad_argument")
    if base is not None:
        merged = base.model_dump(exclude_none=True)
        merged.update(raw)
        raw = merged
    return FileConfig.model_validate(raw)
