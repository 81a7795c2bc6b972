"""The command line: ``python -m custcare demo``. The only module that prints."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from custcare.datasets import sample_shop

__all__ = ["main"]


def _demo(seed: int, customers: int) -> int:
    shop = sample_shop(seed=seed, n_customers=customers)
    histories = shop.histories
    n_orders = sum(len(h.orders) for h in histories)
    n_reviews = sum(len(h.reviews) for h in histories)
    n_complaints = sum(len(h.complaints) for h in histories)
    open_complaints = sum(1 for h in histories for c in h.complaints if c.is_open)
    print(f"{shop.name} — as of {shop.as_of.isoformat()}")
    print(
        f"{len(histories)} customers, {n_orders} orders, {n_reviews} reviews, "
        f"{n_complaints} complaints ({open_complaints} open); currency {shop.currency}"
    )
    print()
    print(f"{'customer':<10}{'name':<14}{'phone':<14}{'orders':>7}{'spend':>12}  last order")
    for h in histories[:10]:
        spend = sum((o.total for o in h.purchases), start=0)
        last = h.orders[-1].placed_at.date().isoformat() if h.orders else "-"
        c = h.customer.redacted()
        print(
            f"{h.customer.id:<10}{c['name'] or '-':<14}{c['phone'] or '-':<14}"
            f"{len(h.orders):>7}{spend:>12.2f}  {last}"
        )
    if len(histories) > 10:
        print(f"... and {len(histories) - 10} more")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m custcare", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="score the built-in sample shop and print a report")
    demo.add_argument("--seed", type=int, default=7, help="seed of the sample shop")
    demo.add_argument("--customers", type=int, default=60, help="number of customers")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return _demo(args.seed, args.customers)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
