"""The domain model: customers, orders, reviews, complaints and a customer's history.

Every model is a frozen pydantic v2 model that rejects unknown fields, naive
datetimes, negative, out-of-range or sub-cent amounts, float money, lone
surrogates and non-finite attributes, with an error naming the field and the
rule, and never the customer's personal data.
"""

from custcare.models._base import (
    MAX_AMOUNT,
    MAX_COUNT,
    MAX_QUANTITY,
    MAX_RECORD_TEXT,
    MAX_UNIT_DECIMALS,
    MONEY_CONTEXT,
    AwareDatetime,
    Money,
    Text,
    UnitMoney,
    mask_email,
    mask_phone,
    mask_text,
    minor_unit_digits,
)
from custcare.models._labels import LabelledEnum
from custcare.models.complaint import Complaint, ComplaintCategory, ComplaintChannel
from custcare.models.context import (
    DiscountPeriod,
    MarketEvent,
    OutreachContact,
    ProductLaunch,
    ShopContext,
    StaffDeparture,
)
from custcare.models.customer import MASKED_FIELDS, PERSONAL_FIELDS, AttributeValue, Customer
from custcare.models.history import CustomerHistory, Record, check_moment, population_until
from custcare.models.order import COUNTED_STATUSES, Order, OrderLine, OrderStatus
from custcare.models.review import DetailedRatings, Rating, Review

__all__ = [
    "COUNTED_STATUSES",
    "MASKED_FIELDS",
    "MAX_AMOUNT",
    "MAX_COUNT",
    "MAX_QUANTITY",
    "MAX_RECORD_TEXT",
    "MAX_UNIT_DECIMALS",
    "MONEY_CONTEXT",
    "PERSONAL_FIELDS",
    "AttributeValue",
    "AwareDatetime",
    "Complaint",
    "ComplaintCategory",
    "ComplaintChannel",
    "Customer",
    "CustomerHistory",
    "DetailedRatings",
    "DiscountPeriod",
    "LabelledEnum",
    "MarketEvent",
    "Money",
    "Order",
    "OrderLine",
    "OrderStatus",
    "OutreachContact",
    "ProductLaunch",
    "Rating",
    "Record",
    "Review",
    "ShopContext",
    "StaffDeparture",
    "Text",
    "UnitMoney",
    "check_moment",
    "mask_email",
    "mask_phone",
    "mask_text",
    "minor_unit_digits",
    "population_until",
]
