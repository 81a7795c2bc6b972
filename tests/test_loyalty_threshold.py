from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

import custcare
from custcare import Customer, CustomerHistory, DataError, Order, OrderLine, OrderStatus
from custcare.batch import CustomerBatch, from_histories
from custcare.datasets import sample_shop
from custcare.loyalty import (
    DEFAULT_LEVELS,
    ThresholdConfig,
    ThresholdTierScorer,
    TierLevel,
    TierResult,
)
from custcare.testing import check_scorer, strategies

UTC = timezone.utc
T0 = datetime(2025, 1, 1, 12, tzinfo=UTC)
AS_OF = datetime(2025, 6, 1, 12, tzinfo=UTC)
SHOP = sample_shop(n_customers=24)


def _order(oid: str, day: float, amount: str, status: str = "completed", cid: str = "u1") -> Order:
    return Order(
        id=oid,
        customer_id=cid,
        placed_at=T0 + timedelta(days=day),
        currency="CNY",
        status=status,
        lines=[OrderLine(sku="A", quantity=1, unit_price=Decimal(amount))],
    )


def _history(*orders: Order, cid: str = "u1") -> CustomerHistory:
    return CustomerHistory(customer=Customer(id=cid, created_at=T0), orders=orders)


def _score(history: CustomerHistory, as_of: datetime = AS_OF, **config: Any) -> TierResult:
    return ThresholdTierScorer(**config).score(history, as_of=as_of)


# --- the contract ---------------------------------------------------------------------------


def test_default_scorer_passes_the_kit() -> None:
    check_scorer(ThresholdTierScorer())


@pytest.mark.parametrize(
    "config",
    [{"grace_days": 30}, {"expires": False}, {"window_days": None}],
    ids=["grace", "no_expiry", "lifetime"],
)
def test_variants_pass_the_kit(config: dict[str, Any]) -> None:
    check_scorer(ThresholdTierScorer(**config), generated_examples=5)


def test_registered_under_its_name() -> None:
    scorer = custcare.get_scorer("loyalty.threshold", window_days=180)
    assert isinstance(scorer, ThresholdTierScorer)
    assert scorer.config.window_days == 180


# --- levels, qualification and gap ----------------------------------------------------------


def test_default_levels_are_the_four_member_levels() -> None:
    assert [(lv.code, lv.label_zh, lv.label_en) for lv in DEFAULT_LEVELS] == [
        ("ordinary_member", "普通会员", "Ordinary member"),
        ("senior_member", "高级会员", "Senior member"),
        ("vip", "VIP会员", "VIP"),
        ("supreme_vip", "至尊VIP会员", "Supreme VIP"),
    ]


def test_gap_to_next_level_in_spend_or_orders() -> None:
    orders = [_order(f"o{k}", 10 + k, "335") for k in range(8)]  # 2,680.00 CNY, 8 orders
    r = _score(_history(*orders))
    assert (r.level, r.level_rank, r.label_zh) == ("senior_member", 2, "高级会员")
    assert r.qualified_by == ("spend", "orders")
    assert (r.window_spend, r.window_orders) == (Decimal("2680.00"), 8)
    assert (r.next_level, r.gap_spend, r.gap_orders) == ("vip", Decimal("320.00"), 2)
    gap = next(x for x in r.reasons if x.code == "loyalty.threshold.gap")
    assert gap.message == (
        "Spend 320.00 CNY more or 2 more completed orders (within 365 days) to reach VIP (VIP会员)."
    )
    qualified = r.reasons[0]
    assert qualified.code == "loyalty.threshold.qualified"
    assert set(qualified.evidence) == {o.id for o in orders}


def test_all_combine_reports_only_what_is_missing() -> None:
    levels = [
        TierLevel(code="a", label_zh="甲", label_en="A", min_spend="100", min_orders=1),
        TierLevel(
            code="b", label_zh="乙", label_en="B", min_spend="1000", min_orders=3, combine="all"
        ),
    ]
    r = _score(_history(_order("o1", 1, "2000")), levels=levels)
    assert (r.level, r.gap_spend, r.gap_orders) == ("a", Decimal("0.00"), 2)
    assert r.reasons[-1].message.startswith("2 more completed orders (within 365 days) to reach B")


def test_all_combine_needs_every_condition() -> None:
    levels = [
        TierLevel(code="a", label_zh="甲", label_en="A", min_spend="100", min_orders=1),
        TierLevel(
            code="b", label_zh="乙", label_en="B", min_spend="1000", min_orders=3, combine="all"
        ),
    ]
    assert _score(
        _history(*(_order(f"o{k}", k, "500") for k in range(4))), levels=levels
    ).level == ("b")
    assert _score(_history(_order("o1", 1, "2000")), levels=levels).level == "a"


def test_top_level_has_no_gap() -> None:
    r = _score(_history(*(_order(f"o{k}", k, "500") for k in range(20))))
    assert (r.level, r.next_level, r.gap_spend, r.gap_orders) == ("supreme_vip", None, None, None)
    assert "loyalty.threshold.top_level" in r.reason_codes


def test_empty_history_is_not_a_member_with_a_reason() -> None:
    r = _score(_history())
    assert (r.level, r.level_rank, r.label_en) == ("non_member", 0, "Not a member")
    assert r.reason_codes[0] == "loyalty.threshold.not_member"
    assert (r.next_level, r.gap_orders) == ("ordinary_member", 1)


def test_first_level_without_condition_is_open_to_everyone() -> None:
    levels = [
        TierLevel(code="fan", label_zh="粉丝", label_en="Fan"),
        TierLevel(code="member", label_zh="会员", label_en="Member", min_orders=2),
    ]
    r = _score(_history(), levels=levels)
    assert (r.level, r.level_rank, r.qualified_by) == ("fan", 1, ())
    assert r.reason_codes[0] == "loyalty.threshold.entry_level"


def test_only_completed_orders_count() -> None:
    history = _history(
        _order("o1", 1, "900"),
        _order("o2", 2, "5000", status=OrderStatus.REFUNDED),
        _order("o3", 3, "5000", status=OrderStatus.RETURNED),
        _order("o4", 4, "5000", status=OrderStatus.CANCELLED),
        _order("o5", 5, "5000", status=OrderStatus.SHIPPED),
        _order("o6", 6, "5000", status=OrderStatus.PAID),
    )
    r = _score(history)
    assert (r.level, r.window_spend, r.window_orders) == ("ordinary_member", Decimal("900.00"), 1)
    uncounted = next(x for x in r.reasons if x.code == "loyalty.threshold.uncounted_orders")
    assert set(uncounted.evidence) == {"o2", "o3", "o4", "o5", "o6"}
    assert "only completed orders count" in uncounted.message


def test_window_expiry_and_grace_period() -> None:
    # Ten orders of 350 CNY on days 0..9: VIP (3,500 CNY and 10 orders) in a 365-day window.
    history = _history(*(_order(f"o{k}", k, "350") for k in range(10)))
    day = lambda d: T0 + timedelta(days=d)  # noqa: E731
    assert _score(history, day(9.5)).level == "vip"
    assert _score(history, day(365.5)).level == "vip"  # 9 orders, 3,150 CNY: still VIP
    dropped = _score(history, day(366.5))  # 8 orders, 2,800 CNY
    assert (dropped.level, dropped.held) == ("senior_member", False)

    kept = _score(history, day(366.5), grace_days=30)
    assert (kept.level, kept.held, kept.qualified_by) == ("vip", True, ("spend",))
    assert kept.met_until == day(366)  # when order o1 left the window
    assert kept.held_until == day(396)
    assert kept.reason_codes[:2] == ("loyalty.threshold.qualified", "loyalty.threshold.held")
    assert set(kept.reasons[0].evidence) == {f"o{k}" for k in range(1, 10)}
    assert "lapses on" in kept.reasons[1].message
    assert _score(history, day(395.9), grace_days=30).level == "vip"
    assert _score(history, day(396.1), grace_days=30).level == "senior_member"

    forever = _score(history, day(1000), expires=False)
    assert (forever.level, forever.held, forever.held_until) == ("vip", True, None)
    assert "do not expire" in forever.reasons[1].message


def test_lifetime_window_counts_everything() -> None:
    history = _history(*(_order(f"o{k}", k * 100, "350") for k in range(10)))
    r = _score(history, T0 + timedelta(days=2000), window_days=None)
    assert (r.level, r.window_orders) == ("vip", 10)


def test_orders_in_another_currency_are_refused() -> None:
    with pytest.raises(DataError, match="USD"):
        _score(_history(_order("o1", 1, "10")), currency="USD")


# --- config validation ----------------------------------------------------------------------


def _levels(*thresholds: tuple[str | None, int | None]) -> list[dict[str, Any]]:
    return [
        {
            "code": f"l{i}",
            "label_zh": f"级{i}",
            "label_en": f"L{i}",
            "min_spend": s,
            "min_orders": o,
        }
        for i, (s, o) in enumerate(thresholds)
    ]


@pytest.mark.parametrize(
    ("config", "error_type"),
    [
        ({"levels": _levels(("100", 1), ("100", 2))}, "thresholds_not_increasing"),
        ({"levels": _levels(("100", 3), ("500", 2))}, "thresholds_not_increasing"),
        ({"levels": _levels(("100", 1), ("500", None))}, "mixed_conditions"),
        ({"levels": _levels(("100", 1), (None, None))}, "level_without_condition"),
        ({"levels": []}, "no_levels"),
        ({"grace_days": 10, "expires": False}, "contradictory_options"),
        ({"window_days": 0}, "greater_than_equal"),
        ({"levels": _levels((9.9, 1))}, "money_from_float"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_bad_config_is_rejected_naming_the_rule(config: dict[str, Any], error_type: str) -> None:
    with pytest.raises(ValidationError) as exc:
        ThresholdTierScorer(**config)
    assert error_type in {e["type"] for e in exc.value.errors()}


def test_duplicate_or_reserved_level_codes_are_rejected() -> None:
    levels = _levels(("100", 1), ("500", 2))
    levels[1]["code"] = "l0"
    with pytest.raises(ValidationError, match="used twice"):
        ThresholdConfig(levels=levels)
    levels[1]["code"] = "non_member"
    with pytest.raises(ValidationError, match="reserved"):
        ThresholdConfig(levels=levels)


def test_error_names_the_levels_and_field() -> None:
    with pytest.raises(ValidationError) as exc:
        ThresholdConfig(levels=_levels(("100", 1), ("50", 2)))
    error = exc.value.errors()[0]
    assert error["loc"] == ("levels",)
    assert "levels[1].min_spend (50) must be greater than levels[0].min_spend (100)" in error["msg"]


# --- properties -----------------------------------------------------------------------------

CONFIGS = st.sampled_from(
    [
        {},
        {"grace_days": 30},
        {"expires": False},
        {"window_days": 90, "grace_days": 60},
        {
            "levels": [
                {"code": "a", "label_zh": "甲", "label_en": "A", "min_spend": "50"},
                {"code": "b", "label_zh": "乙", "label_en": "B", "min_spend": "400"},
                {"code": "c", "label_zh": "丙", "label_en": "C", "min_spend": "2000"},
            ]
        },
        {
            "levels": [
                {"code": "a", "label_zh": "甲", "label_en": "A", "min_orders": 1, "min_spend": "1"},
                {
                    "code": "b",
                    "label_zh": "乙",
                    "label_en": "B",
                    "min_orders": 3,
                    "min_spend": "800",
                    "combine": "all",
                },
            ]
        },
    ]
)
CHECK_AS_OF = datetime(2025, 6, 1, 12, tzinfo=UTC)


def _with_order(history: CustomerHistory, day: int, cents: int) -> CustomerHistory:
    cid = history.customer.id
    extra = Order(
        id=f"{cid}-extra",
        customer_id=cid,
        placed_at=CHECK_AS_OF - timedelta(days=day),
        currency="CNY",
        status=OrderStatus.COMPLETED,
        lines=[OrderLine(sku="X", quantity=1, unit_price=Decimal(cents) / 100)],
    )
    return history.model_copy(update={"orders": (*history.orders, extra)})


@given(strategies.histories(), CONFIGS, st.integers(0, 900), st.integers(0, 500_000))
def test_more_orders_never_lower_the_level(
    history: CustomerHistory, config: dict[str, Any], day: int, cents: int
) -> None:
    scorer = ThresholdTierScorer(**config)
    before = scorer.score(history, as_of=CHECK_AS_OF)
    after = scorer.score(_with_order(history, day, cents), as_of=CHECK_AS_OF)
    assert after.level_rank >= before.level_rank


@given(strategies.histories(), CONFIGS, st.integers(0, 900), st.integers(0, 100_000))
def test_more_spend_never_lowers_the_level(
    history: CustomerHistory, config: dict[str, Any], day: int, cents: int
) -> None:
    scorer = ThresholdTierScorer(**config)
    small = scorer.score(_with_order(history, day, cents), as_of=CHECK_AS_OF)
    big = scorer.score(_with_order(history, day, cents + 12_345), as_of=CHECK_AS_OF)
    assert big.level_rank >= small.level_rank


@given(
    st.lists(st.tuples(st.integers(0, 12), st.integers(0, 500_000)), min_size=1, max_size=40).map(
        lambda xs: sorted(xs)
    ),
    CONFIGS,
)
def test_levels_are_totally_ordered_by_the_stats(
    stats: list[tuple[int, int]], config: dict[str, Any]
) -> None:
    # One customer per (orders, spend) pair, all orders inside the window.
    n = len(stats)
    counts = np.array([max(c, 1) if s else c for c, s in stats], dtype=np.int64)
    cust = np.repeat(np.arange(n), counts)
    first = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64)
    totals = np.zeros(cust.size)
    totals[first[counts > 0]] = [s / 100 for (c, s), k in zip(stats, counts, strict=True) if k > 0]
    batch = CustomerBatch.from_arrays(
        customer_ids=[f"c{i}" for i in range(n)],
        created_at=np.zeros(n),
        order_customer=cust,
        order_time=np.full(cust.size, 1.7e9),
        order_total=totals,
        currency="CNY",
    )
    scorer = ThresholdTierScorer(**config)
    rank = scorer.score_batch(batch, as_of=datetime(2024, 1, 1, tzinfo=UTC))["level_rank"]
    spend = batch.spend()
    assert rank.min() >= 0 and rank.max() <= len(scorer.config.levels)
    for i in range(n):
        dominated = (spend <= spend[i]) & (counts <= counts[i])
        assert np.all(rank[dominated] <= rank[i])


@given(st.lists(strategies.histories(), min_size=1, max_size=6), CONFIGS, st.randoms())
def test_batch_agrees_with_per_customer_on_any_row_order(
    histories: list[CustomerHistory], config: dict[str, Any], rnd: Any
) -> None:
    unique = list({h.customer.id: h for h in histories}.values())
    scorer = ThresholdTierScorer(**config)
    batch = from_histories(unique)
    perm = np.array(rnd.sample(range(batch.n_orders), batch.n_orders), dtype=np.int64)
    shuffled = CustomerBatch.from_arrays(
        customer_ids=batch.customer_ids,
        created_at=batch.created_at,
        order_customer=batch.order_customer[perm],
        order_time=batch.order_time[perm],
        order_total=batch.order_total[perm],
        currency=batch.currency,
    )
    scores = scorer.score_batch(shuffled, as_of=CHECK_AS_OF)
    for h in unique:
        r = scorer.score(h, as_of=CHECK_AS_OF)
        row = scores.row(h.customer.id)
        assert (row["level"], row["level_rank"], row["held"]) == (r.level, r.level_rank, r.held)
        assert row["window_spend"] == float(r.window_spend)


@given(strategies.histories(), CONFIGS)
def test_result_round_trips_json(history: CustomerHistory, config: dict[str, Any]) -> None:
    r = ThresholdTierScorer(**config).score(history, as_of=CHECK_AS_OF)
    assert TierResult.model_validate_json(r.model_dump_json()) == r


def test_sample_shop_batch_equals_per_customer() -> None:
    scorer = ThresholdTierScorer(grace_days=30)
    scores = scorer.score_batch(from_histories(SHOP.histories), as_of=SHOP.as_of)
    levels = [scorer.score(h, as_of=SHOP.as_of).level for h in SHOP.histories]
    assert scores["level"].tolist() == levels
