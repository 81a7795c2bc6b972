"""Labelled codes of the care package: satisfaction levels and parts, action kinds, channels."""

from __future__ import annotations

from custcare.models import LabelledEnum

__all__ = ["ActionKind", "Channel", "SatisfactionLevel", "SatisfactionPart"]


class SatisfactionLevel(LabelledEnum):
    """Where a customer stands on the seeds' feedback scale (40 / 60 / 100).

    ``unknown`` is its own level: a customer who told the shop nothing is not
    satisfied, only silent.

    Examples:
        >>> SatisfactionLevel("unknown").label_en
        'Unknown (silence is not satisfaction)'
    """

    VERY_SATISFIED = ("very_satisfied", "很满意", "Very satisfied")
    SATISFIED = ("satisfied", "满意", "Satisfied")
    OK = ("ok", "一般", "It's OK")
    DISSATISFIED = ("dissatisfied", "不满意", "Dissatisfied")
    UNKNOWN = ("unknown", "未知（沉默不等于满意）", "Unknown (silence is not satisfaction)")


class SatisfactionPart(LabelledEnum):
    """The three parts of satisfaction: process + quality + price.

    Examples:
        >>> SatisfactionPart("process").label_zh
        '服务过程'
    """

    PROCESS = ("process", "服务过程", "Process (service, delivery, handling)")
    QUALITY = ("quality", "商品质量", "Quality (the goods match their description)")
    PRICE = ("price", "价格", "Price")


class Channel(LabelledEnum):
    """How an action reaches the customer; ``none`` for an action that is not a contact.

    Examples:
        >>> Channel("chat").label_zh
        '在线聊天'
    """

    CHAT = ("chat", "在线聊天", "Chat")
    PHONE = ("phone", "电话", "Phone")
    SMS = ("sms", "短信", "Text message")
    NONE = ("none", "不联系", "No contact")


class ActionKind(LabelledEnum):
    """The kinds of care action a plan holds.

    Examples:
        >>> ActionKind("payment_reminder").label_zh
        '催付'
    """

    COMPLAINT_FOLLOW_UP = ("complaint_follow_up", "投诉/差评跟进", "Complaint follow-up")
    SATISFACTION_CHECK = ("satisfaction_check", "满意度回访", "Satisfaction check")
    PAYMENT_REMINDER = ("payment_reminder", "催付", "Payment reminder")
    SHIPPING_NOTICE = ("shipping_notice", "发货通知", "Shipping notice")
    RECEIPT_NOTICE = ("receipt_notice", "签收提醒", "Receipt notice")
    SETUP_CALL = ("setup_call", "安装/维修回访", "Set-up or repair call")
    WIN_BACK = ("win_back", "挽回", "Win-back")
    LET_GO = ("let_go", "放手", "Let go")
    GREETING = ("greeting", "定期问候", "Regular greeting")
    HOLIDAY_WISHES = ("holiday_wishes", "节日祝福", "Holiday wishes")
    BIRTHDAY_WISHES = ("birthday_wishes", "生日祝福", "Birthday wishes")
    LAUNCH_WEEK = ("launch_week", "老客户新品折扣周", "Old-customer new-product week")
    GIFT = ("gift", "老客户赠品（店内商品）", "Gift from the shop's own range")
