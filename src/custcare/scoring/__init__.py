"""The scorer contract: results with reasons, the protocol, the registry, pipelines."""

from custcare.scoring._batch import (
    BatchScorer,
    BatchScores,
    CustomerValueScores,
    PredictedValueScores,
    Ragged,
    ReasonColumns,
    ReasonSlot,
    UpstreamScores,
    check_upstream_rows,
)
from custcare.scoring._pipeline import (
    FAILED_REASON,
    ErrorMode,
    Pipeline,
    Progress,
    ProgressCallback,
    ScoringError,
    ScoringErrorCode,
)
from custcare.scoring._registry import ENTRY_POINT_GROUP, ScorerInfo, available_scorers, get_scorer
from custcare.scoring._result import Reason, ScoreResult
from custcare.scoring._scorer import (
    STATE_FORMAT,
    BaseScorer,
    FittableScorer,
    FittedState,
    PopulationScorer,
    Scorer,
    ScorerConfig,
    ScorerTraits,
    Upstream,
    check_as_of,
)
from custcare.scoring._table import Report, ResultTable

__all__ = [
    "ENTRY_POINT_GROUP",
    "FAILED_REASON",
    "STATE_FORMAT",
    "BaseScorer",
    "BatchScorer",
    "BatchScores",
    "CustomerValueScores",
    "ErrorMode",
    "FittableScorer",
    "FittedState",
    "Pipeline",
    "PopulationScorer",
    "PredictedValueScores",
    "Progress",
    "ProgressCallback",
    "Ragged",
    "Reason",
    "ReasonColumns",
    "ReasonSlot",
    "Report",
    "ResultTable",
    "ScoreResult",
    "Scorer",
    "ScorerConfig",
    "ScorerInfo",
    "ScorerTraits",
    "ScoringError",
    "ScoringErrorCode",
    "Upstream",
    "UpstreamScores",
    "available_scorers",
    "check_as_of",
    "check_upstream_rows",
    "get_scorer",
]
