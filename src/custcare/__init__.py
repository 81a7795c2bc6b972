"""custcare: customer care analytics for shops and service businesses.

Three questions, answered from the shop's own records: who is this customer to
us (loyalty tiers, RFM, the value pyramid), is this customer leaving and why
(churn risk and cause), and which complaint first (priority and deadline).

The core does no I/O: callers pass records and the ``as_of`` moment.

Examples:
    >>> import custcare
    >>> shop = custcare.datasets.sample_shop()
    >>> history = shop.histories[0]
    >>> history.until(shop.as_of).customer.id
    'C0001'
"""

from importlib.metadata import PackageNotFoundError, version

from custcare import batch, datasets, errors, models, scoring
from custcare.errors import (
    ColumnError,
    ConvergenceError,
    CustcareError,
    CustcareUsageError,
    DataError,
    NaiveDatetimeError,
    NotFittedError,
    NotIdentifiableError,
    NotYetCreatedError,
    ScorerRegistrationError,
    ScoringError,
)
from custcare.models import (
    COUNTED_STATUSES,
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    Customer,
    CustomerHistory,
    DetailedRatings,
    Order,
    OrderLine,
    OrderStatus,
    Review,
    ShopContext,
)
from custcare.scoring import (
    BaseScorer,
    BatchScores,
    Pipeline,
    PopulationScorer,
    Reason,
    Report,
    Scorer,
    ScorerConfig,
    ScoreResult,
    ScorerInfo,
    ScorerTraits,
    available_scorers,
    get_scorer,
)

try:
    __version__ = version("custcare")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0"


def json_schema() -> dict[str, object]:
    """The JSON schema of the input format: one `CustomerHistory` and its records.

    Examples:
        >>> schema = json_schema()
        >>> schema["title"], sorted(schema["$defs"])[:3]
        ('CustomerHistory', ['Complaint', 'ComplaintCategory', 'ComplaintChannel'])
    """
    return CustomerHistory.model_json_schema()


__all__ = [
    "COUNTED_STATUSES",
    "BaseScorer",
    "BatchScores",
    "ColumnError",
    "Complaint",
    "ComplaintCategory",
    "ComplaintChannel",
    "ConvergenceError",
    "CustcareError",
    "CustcareUsageError",
    "Customer",
    "CustomerHistory",
    "DataError",
    "DetailedRatings",
    "NaiveDatetimeError",
    "NotFittedError",
    "NotIdentifiableError",
    "NotYetCreatedError",
    "Order",
    "OrderLine",
    "OrderStatus",
    "Pipeline",
    "PopulationScorer",
    "Reason",
    "Report",
    "Review",
    "ScoreResult",
    "Scorer",
    "ScorerConfig",
    "ScorerInfo",
    "ScorerRegistrationError",
    "ScorerTraits",
    "ScoringError",
    "ShopContext",
    "__version__",
    "available_scorers",
    "batch",
    "datasets",
    "errors",
    "get_scorer",
    "json_schema",
    "models",
    "scoring",
]
