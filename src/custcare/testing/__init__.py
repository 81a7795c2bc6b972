"""Tools for testing scorers: the conformance kit, strategies and test doubles.

``check_scorer`` runs the scorer contract on any scorer, like scikit-learn's
``check_estimator``; ``custcare.testing.strategies`` builds valid records with
hypothesis; `ConstantScorer` is a minimal scorer for tests.

This module imports hypothesis, which is in the ``dev`` extra, not a runtime
dependency: install ``custcare[dev]`` (or hypothesis) to use it.
"""

from custcare.testing import strategies
from custcare.testing._checks import CheckRecord, ScorerCheckError, check_scorer, scorer_checks
from custcare.testing._doubles import ConstantConfig, ConstantResult, ConstantScorer

__all__ = [
    "CheckRecord",
    "ConstantConfig",
    "ConstantResult",
    "ConstantScorer",
    "ScorerCheckError",
    "check_scorer",
    "scorer_checks",
    "strategies",
]
