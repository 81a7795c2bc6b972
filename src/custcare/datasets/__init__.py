"""Built-in, seeded sample data (generated in memory; nothing is read from disk)."""

from custcare.datasets._sample_shop import SampleShop, sample_shop

__all__ = ["SampleShop", "sample_shop"]
