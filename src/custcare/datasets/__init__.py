"""Built-in data: the seeded sample shop (made in memory) and the packaged CDNOW data."""

from custcare.datasets._cdnow import (
    CDNOW_CALIBRATION_END,
    CDNOW_END,
    CDNOW_START,
    CdnowData,
    CdnowSummary,
    load_cdnow,
)
from custcare.datasets._sample_shop import SampleShop, sample_shop

__all__ = [
    "CDNOW_CALIBRATION_END",
    "CDNOW_END",
    "CDNOW_START",
    "CdnowData",
    "CdnowSummary",
    "SampleShop",
    "load_cdnow",
    "sample_shop",
]
