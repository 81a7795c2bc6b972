"""Short bilingual scripts for each care action, and the win-back script for each churn cause.

Scripts are templates the shop's staff adapt; they hold no customer data.
"""

from __future__ import annotations

from custcare.care._labels import ActionKind

__all__ = ["SCRIPTS", "WIN_BACK_SCRIPTS"]

SCRIPTS: dict[ActionKind, tuple[str, str]] = {
    ActionKind.COMPLAINT_FOLLOW_UP: (
        "先处理心情，再处理事情：致歉，确认问题进展，给出确定的解决时间。",
        "Feeling first, then the matter: apologise, report progress, give a firm time for the fix.",
    ),
    ActionKind.SATISFACTION_CHECK: (
        "问题已解决，回访确认您是否满意，还有什么需要我们做的。",
        "Your problem is settled: we call to check you are satisfied and ask what else we can do.",
    ),
    ActionKind.PAYMENT_REMINDER: (
        "亲，您的订单还未付款，库存有限，如有疑问随时联系我们。",
        "Your order is waiting for payment; stock is limited, and we are here for any question.",
    ),
    ActionKind.SHIPPING_NOTICE: (
        "您的订单已发货，请留意物流信息，收货时请当面验货。",
        "Your order has shipped; watch the tracking and check the goods on delivery.",
    ),
    ActionKind.RECEIPT_NOTICE: (
        "包裹已签收，使用中有任何问题请随时联系我们。",
        "Your parcel was delivered; tell us about anything that is not right.",
    ),
    ActionKind.SETUP_CALL: (
        "商品已送达，来电协助安装与调试，使用或维修有问题随时找我们。",
        "Your goods have arrived: we call to help set them up, and for any repair you need.",
    ),
    ActionKind.WIN_BACK: (
        "好久不见，想听听您的意见，看看我们哪里可以做得更好。",
        "We have missed you and would like to hear what we could do better.",
    ),
    ActionKind.LET_GO: (
        "不做挽留：更新客户状态，停止营销打扰。",
        "No win-back: update the record and stop marketing to this customer.",
    ),
    ActionKind.GREETING: (
        "定期问候：分享实用资讯或新品消息，不推销。",
        "Regular greeting: share useful news or what is new, without a sales push.",
    ),
    ActionKind.HOLIDAY_WISHES: (
        "节日快乐！感谢您一直以来的支持。",
        "Happy holidays, and thank you for staying with us.",
    ),
    ActionKind.BIRTHDAY_WISHES: (
        "生日快乐！感谢您一直以来的支持，祝您新的一岁一切顺利。",
        "Happy birthday, and thank you for staying with us.",
    ),
    ActionKind.LAUNCH_WEEK: (
        "新品上市，老客户专享一周折扣，欢迎先试。",
        "New products are in: old customers get a discount week to try them first.",
    ),
    ActionKind.GIFT: (
        "老客户专享：随单附赠店内商品一份（不是现金），感谢一直以来的支持。",
        "For a loyal customer: a gift from our own range in the parcel (not cash), with thanks.",
    ),
}
"""Each action kind's script, Chinese then English."""

WIN_BACK_SCRIPTS: dict[str, tuple[str, str]] = {
    "product_quality": (
        "之前的商品让您失望了，我们已改进品控，想请您再试一次并给予补偿。",
        "The goods let you down; we have tightened quality control and would like to make it good.",
    ),
    "service_attitude": (
        "我们的服务让您不快，主管亲自向您致歉，并想听听您的意见。",
        "Our service upset you; a supervisor calls to apologise and listen.",
    ),
    "broken_promise": (
        "上次没有按承诺送达，向您致歉；这次我们会给出确定时间并做到。",
        "We did not keep our delivery promise; we apologise and will give a firm time and keep it.",
    ),
    "competitor": (
        "感谢您一直的支持，老客户专享新品折扣周等权益，欢迎回来看看。",
        "Thank you for your custom; old customers have their own benefits, such as a "
        "new-product discount week.",
    ),
    "staff_departure": (
        "您的专属客服已变更，新的客服会继续为您服务，有事随时找我们。",
        "You have a new named contact at the shop, ready to help as before.",
    ),
    "stale_range": (
        "我们上了新品，想先请老客户看看。",
        "We have new products and would like our old customers to see them first.",
    ),
    "small_customer_neglect": (
        "每一位客户对我们都很重要，这是给您的问候和一份小礼物。",
        "Every customer matters to us: a greeting and a small gift from our range.",
    ),
    "market_turbulence": (
        "向您说明店铺近况：供货与服务一切正常，随时为您服务。",
        "An update on the shop: supply and service are steady, and we are here for you.",
    ),
    "unknown": (
        "好久不见，想了解一下您的想法，先听您说。",
        "We have missed you; we would like to hear how you feel, and listen first.",
    ),
}
"""Win-back scripts by churn cause code (``price`` and ``natural`` are let go, not won back)."""
