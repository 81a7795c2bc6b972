"""The domain model: customers, orders, reviews, complaints and a customer's history.

Every model is a frozen pydantic v2 model that rejects unknown fields, naive
datetimes, negative amounts and float money, with an error naming the field and
the rule.
"""

from custcare.models._base import AwareDatetime, Money, mask_email, mask_phone, mask_text
from custcare.models._labels import LabelledEnum
from custcare.models.complaint import Complaint, ComplaintCategory, ComplaintChannel
from custcare.models.context import (
    MarketEvent,
    OutreachContact,
    ProductLaunch,
    ShopContext,
    StaffDeparture,
)
from custcare.models.customer import PERSONAL_FIELDS, AttributeValue, Customer
from custcare.models.history import CustomerHistory, Record
from custcare.models.order import COUNTED_STATUSES, Order, OrderLine, OrderStatus
from custcare.models.review import DetailedRatings, Rating, Review

__all__ = [
    "COUNTED_STATUSES",
    "PERSONAL_FIELDS",
    "AttributeValue",
    "AwareDatetime",
    "Complaint",
    "ComplaintCategory",
    "ComplaintChannel",
    "Customer",
    "CustomerHistory",
    "DetailedRatings",
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
    "mask_email",
    "mask_phone",
    "mask_text",
]
