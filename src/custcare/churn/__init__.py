"""Is this customer leaving, and why.

* ``churn.risk`` (`ChurnRiskScorer`): BG/NBD and Gamma-Gamma fitted on the
  population, or a model-free gap rule; P(alive), P(no purchase in a horizon),
  predicted value and a risk band.
* ``churn.cause`` (`ChurnCauseScorer`): the likely cause from a fixed taxonomy,
  with evidence, confidence and remedy; it reads the risk band of ``churn.risk``
  through `RiskBandScores` / `RiskBandResult`.
* The models on plain numpy arrays, for analysts who already have a summary:
  `BetaGeoModel`, `GammaGammaModel`, the simulators and the calibration/holdout
  helpers.
"""

from custcare.churn._bgnbd import BetaGeoModel, BetaGeoParams
from custcare.churn._cause import (
    DEFAULT_SMALL_CUSTOMER_SPEND,
    EVIDENCE_KINDS,
    SMALL_CUSTOMER_SOURCES,
    ChurnCauseConfig,
    ChurnCauseResult,
    ChurnCauseScorer,
    ChurnCauseScores,
    EvidenceKind,
    FittedRatios,
    Remedy,
    fit_ratios,
    small_customer_spend,
)
from custcare.churn._causes import REMEDIES, SURVEY_SHARES, ChurnCause, default_prior
from custcare.churn._clv import CLV_SOURCES, CustomerValue, customer_lifetime_value
from custcare.churn._gamma_gamma import GammaGammaModel, GammaGammaParams, PurchaseModel
from custcare.churn._gap import (
    GAP_BANDS,
    GAP_EDGES,
    GapArrays,
    gap_band_index,
    gap_bands,
    gap_kernel,
    median_gap_days,
)
from custcare.churn._holdout import (
    CalibrationHoldoutSummary,
    HoldoutComparison,
    TransactionSummary,
    calibration_holdout_summary,
    compare_holdout,
    summarise_transactions,
)
from custcare.churn._protocols import RiskBandResult, RiskBandScores
from custcare.churn._risk import (
    ChurnRiskConfig,
    ChurnRiskResult,
    ChurnRiskScorer,
    ChurnRiskScores,
    ChurnRiskState,
    RerankerState,
    RiskBand,
)
from custcare.churn._simulate import SimulatedCustomers, simulate_bgnbd, simulate_gamma_gamma
from custcare.churn._summary import PurchaseSummary, purchase_summary

__all__ = [
    "CLV_SOURCES",
    "DEFAULT_SMALL_CUSTOMER_SPEND",
    "EVIDENCE_KINDS",
    "GAP_BANDS",
    "GAP_EDGES",
    "REMEDIES",
    "SMALL_CUSTOMER_SOURCES",
    "SURVEY_SHARES",
    "BetaGeoModel",
    "BetaGeoParams",
    "CalibrationHoldoutSummary",
    "ChurnCause",
    "ChurnCauseConfig",
    "ChurnCauseResult",
    "ChurnCauseScorer",
    "ChurnCauseScores",
    "ChurnRiskConfig",
    "ChurnRiskResult",
    "ChurnRiskScorer",
    "ChurnRiskScores",
    "ChurnRiskState",
    "CustomerValue",
    "EvidenceKind",
    "FittedRatios",
    "GammaGammaModel",
    "GammaGammaParams",
    "GapArrays",
    "HoldoutComparison",
    "PurchaseModel",
    "PurchaseSummary",
    "Remedy",
    "RerankerState",
    "RiskBand",
    "RiskBandResult",
    "RiskBandScores",
    "SimulatedCustomers",
    "TransactionSummary",
    "calibration_holdout_summary",
    "compare_holdout",
    "customer_lifetime_value",
    "default_prior",
    "fit_ratios",
    "gap_band_index",
    "gap_bands",
    "gap_kernel",
    "median_gap_days",
    "purchase_summary",
    "simulate_bgnbd",
    "simulate_gamma_gamma",
    "small_customer_spend",
    "summarise_transactions",
]
