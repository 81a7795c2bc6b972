"""The churn-cause taxonomy (客户流失的因素), its default prior, and each cause's remedy."""

from __future__ import annotations

from custcare.models import LabelledEnum

__all__ = ["REMEDIES", "SURVEY_SHARES", "ChurnCause", "default_prior"]


class ChurnCause(LabelledEnum):
    """Why a customer leaves, with stable codes and Chinese/English labels.

    Examples:
        >>> ChurnCause("staff_departure").label_zh
        '员工跳槽带走客户'
    """

    PRODUCT_QUALITY = ("product_quality", "商品质量不稳定", "Unstable product quality")
    SERVICE_ATTITUDE = ("service_attitude", "服务意识淡薄", "Poor service attitude")
    BROKEN_PROMISE = ("broken_promise", "承诺未兑现", "Broken promise / late delivery")
    PRICE = ("price", "价格因素", "Price (including price-hunters)")
    COMPETITOR = ("competitor", "竞争对手的诱惑", "Competitors' lures")
    STAFF_DEPARTURE = ("staff_departure", "员工跳槽带走客户", "Staff left and took the customer")
    STALE_RANGE = ("stale_range", "缺乏创新", "Stale range, nothing new")
    SMALL_CUSTOMER_NEGLECT = (
        "small_customer_neglect",
        "不平衡令中小客户离去",
        "Small customers feel neglected",
    )
    MARKET_TURBULENCE = ("market_turbulence", "市场波动", "Market turbulence")
    NATURAL = ("natural", "自然流失", "Natural (moved away, died)")
    UNKNOWN = ("unknown", "原因不明", "Unknown")


SURVEY_SHARES: dict[ChurnCause, float] = {
    # US survey quoted in the domain brief: 68% attitude of the company's people,
    # 14% dissatisfied with the product, 9% competition + 5% another relationship,
    # 3% moved + 1% died.
    ChurnCause.SERVICE_ATTITUDE: 0.68,
    ChurnCause.PRODUCT_QUALITY: 0.14,
    ChurnCause.COMPETITOR: 0.14,
    ChurnCause.NATURAL: 0.04,
}


def default_prior(uncovered_share: float = 0.4) -> dict[str, float]:
    """The default prior: the survey's shares, with some mass spread to what it misses.

    The survey covers four causes. ``uncovered_share`` (default 40%: the survey asked
    about people, products and rivals, not about promises, prices, range, staff
    turnover or the market) of the mass is spread evenly
    over the seven causes it does not name (broken promise, price, staff departure,
    stale range, small-customer neglect, market turbulence, unknown); the survey's
    shares are scaled to fill the rest.

    Examples:
        >>> p = default_prior()
        >>> round(p["service_attitude"], 3), round(p["price"], 4), round(sum(p.values()), 9)
        (0.408, 0.0571, 1.0)
    """
    uncovered = [c for c in ChurnCause if c not in SURVEY_SHARES]
    prior = {c.value: (1 - uncovered_share) * s for c, s in SURVEY_SHARES.items()}
    prior.update({c.value: uncovered_share / len(uncovered) for c in uncovered})
    return {c.value: prior[c.value] for c in ChurnCause}


REMEDIES: dict[ChurnCause, tuple[str, str]] = {
    ChurnCause.PRODUCT_QUALITY: (
        "质量第一：排查并稳定货源与品控，为受影响的订单主动补偿。",
        "Quality first: check and stabilise supply and quality control; make good the "
        "affected orders.",
    ),
    ChurnCause.SERVICE_ATTITUDE: (
        "以客户为中心：有问必答、快速解决，杜绝推诿；由主管回访致歉。",
        "Customer first: answer every question, resolve fast, no passing the buck; a "
        "supervisor calls to apologise.",
    ),
    ChurnCause.BROKEN_PROMISE: (
        "兑现承诺：核实延误原因，给出确定时间并做到，必要时补偿运费或赠品。",
        "Keep promises: find why it was late, give a firm time and keep it; compensate "
        "shipping or add a gift where fair.",
    ),
    ChurnCause.PRICE: (
        "保持价格稳定透明；对只为最低价而来的客户，不必以亏本价挽留。",
        "Keep prices stable and transparent; do not chase price-hunters with loss-making "
        "prices: the guides advise letting them go.",
    ),
    ChurnCause.COMPETITOR: (
        "了解对手的优惠，用服务与老客户专属权益（如新品折扣周）留住客户。",
        "Learn what the competitor offers; keep the customer with service and old-customer "
        "benefits such as a new-product discount week.",
    ),
    ChurnCause.STAFF_DEPARTURE: (
        "客户资料归店铺所有：尽快安排新的专属客服联系，让关系属于店铺而非个人。",
        "Customer records belong to the shop: assign a new named contact quickly, so the "
        "relationship is with the shop, not one person.",
    ),
    ChurnCause.STALE_RANGE: (
        "更新商品：向老客户推荐新品，提供新品折扣周。",
        "Renew the range: show old customers what is new, with a new-product discount week.",
    ),
    ChurnCause.SMALL_CUSTOMER_NEGLECT: (
        "关照中小客户：定期问候、节日祝福，低成本把部分客户升级为更高层级。",
        "Look after small customers: regular greetings and holiday wishes; upgrade some to a "
        "higher level at little cost.",
    ),
    ChurnCause.MARKET_TURBULENCE: (
        "主动沟通店铺状况，稳定供货与服务，待市场平稳后重点回访。",
        "Tell customers how the shop stands, keep supply and service steady, and call back "
        "when the market settles.",
    ),
    ChurnCause.NATURAL: (
        "自然流失无需挽留：更新客户状态，停止营销打扰。",
        "Natural loss needs no win-back: update the record and stop marketing to them.",
    ),
    ChurnCause.UNKNOWN: (
        "原因不明：电话回访或问卷了解原因，先处理心情再处理事情。",
        "Cause unknown: call or survey the customer to learn why; handle the feeling first, "
        "then the matter.",
    ),
}
