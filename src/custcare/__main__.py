"""The command line: ``python -m custcare demo``. The only module that prints."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta

from tqdm import tqdm

from custcare.churn import (
    EVIDENCE_KINDS,
    ChurnCauseResult,
    ChurnCauseScorer,
    ChurnRiskResult,
    ChurnRiskScorer,
)
from custcare.complaints import ComplaintPriority, ComplaintPriorityScorer, PriorityResult
from custcare.datasets import SampleShop, sample_shop
from custcare.errors import CustcareError
from custcare.loyalty import PyramidResult, PyramidScorer, ThresholdTierScorer, TierResult
from custcare.models import ShopContext, StaffDeparture
from custcare.scoring import Pipeline, Progress, ProgressCallback, Report

__all__ = ["MAX_CUSTOMERS", "MAX_SEED", "MIN_CUSTOMERS", "main"]

MIN_CUSTOMERS = 5
"""The smallest sample shop the demo builds."""

MAX_CUSTOMERS = 10_000
"""The largest sample shop the demo builds (it prints a report: it is a demo)."""

MAX_SEED = 2**63 - 1
"""The largest seed; seeds are whole numbers from 0."""


def _context(shop: SampleShop) -> ShopContext:
    # One sales agent of the sample shop left in the spring: customers they looked
    # after and who went quiet around then are candidates for 'staff_departure'.
    return ShopContext(
        staff_departures=(
            StaffDeparture(agent_id="agent-sun", left_at=shop.as_of - timedelta(days=150)),
        )
    )


def _pipeline(shop: SampleShop, progress: ProgressCallback) -> Pipeline:
    return Pipeline(
        [
            ThresholdTierScorer(),
            ChurnRiskScorer(spend_penalizer=0.001),
            PyramidScorer(future_weight=0.4),
            ChurnCauseScorer(context=_context(shop)),
            ComplaintPriorityScorer(),
        ]
    ).fit(shop.histories, as_of=shop.as_of, progress=progress)


class _Bar:
    """A progress bar on stderr (silent when stderr is not a terminal)."""

    def __init__(self, title: str) -> None:
        self._title = title
        self._bar: tqdm[None] | None = None

    def __call__(self, step: Progress) -> None:
        if self._bar is None:
            # disable=None: no bar when stderr is not a terminal (CI logs, pipes).
            self._bar = tqdm(total=step.total, desc=self._title, file=sys.stderr, disable=None)
        self._bar.set_postfix_str(f"{step.stage} {step.scorer or ''}".strip())
        self._bar.update(1)
        if step.done == step.total:
            self._bar.close()


def _tiers(reports: list[Report]) -> None:
    tiers = Counter(
        (r["loyalty.threshold"].level_rank, r["loyalty.threshold"].label_en)  # type: ignore[attr-defined]
        for r in reports
    )
    pyramid = Counter(r["loyalty.pyramid"].label_en for r in reports)  # type: ignore[attr-defined]
    print("Who is this customer to us?")
    print(
        "  member levels: " + ", ".join(f"{label} {n}" for (_, label), n in sorted(tiers.items()))
    )
    print("  value pyramid: " + ", ".join(f"{label} {n}" for label, n in sorted(pyramid.items())))
    top = sorted(reports, key=lambda r: r["loyalty.pyramid"].rank)[:3]  # type: ignore[attr-defined]
    for r in top:
        p, t = r["loyalty.pyramid"], r["loyalty.threshold"]
        assert isinstance(p, PyramidResult)
        assert isinstance(t, TierResult)
        print(
            f"  {r.customer_id}: {p.label_en} #{p.rank}, {p.share:.1%} of value; "
            f"{t.label_zh} {t.label_en}; {t.reasons[-1].message}"
        )


def _churn(reports: list[Report]) -> None:
    print("\nIs this customer leaving, and why?  (ranked by P(no purchase in 91 days))")
    risky = [r for r in reports if isinstance(r["churn.risk"], ChurnRiskResult)]
    risky = [r for r in risky if r["churn.risk"].risk is not None]  # type: ignore[attr-defined]
    risky.sort(key=lambda r: (-r["churn.risk"].risk, r.customer_id))  # type: ignore[attr-defined]
    for r in risky[:8]:
        risk, cause = r["churn.risk"], r["churn.cause"]
        assert isinstance(risk, ChurnRiskResult)
        assert isinstance(cause, ChurnCauseResult)
        conf = "low confidence" if cause.low_confidence else f"confidence {cause.confidence:.2f}"
        print(
            f"  {r.customer_id}  {risk.band.value:<8} P(no purchase)={risk.risk:.2f}  "
            f"cause: {cause.top_cause.value} ({cause.top_cause.label_zh}, {conf})"
        )
        if not cause.low_confidence:
            behind = [
                f"{k.code} x{cause.evidence_counts[k.code]}"
                for k in EVIDENCE_KINDS
                if k.cause is cause.top_cause and k.code in cause.evidence_counts
            ]
            print(f"      evidence: {', '.join(behind)}")
            print(f"      remedy: {cause.remedy.zh} / {cause.remedy.en}")


def _queue(reports: list[Report]) -> None:
    items: list[ComplaintPriority] = []
    for r in reports:
        result = r["complaint.priority"]
        assert isinstance(result, PriorityResult)
        items.extend(result.complaints)
    items.sort(key=lambda i: (i.level, -i.score, i.opened_at, i.complaint_id))
    print(f"\nWhich complaint first?  ({len(items)} open complaints and negative reviews)")
    for item in items[:8]:
        due = item.respond_by.strftime("%Y-%m-%d %H:%M")
        late = " OVERDUE" if item.overdue else ""
        print(
            f"  {item.level} {item.score:5.1f}  {item.complaint_id:<16} {item.category:<22} "
            f"respond by {due}{late}"
        )
        print(f"      steps: {' → '.join(step.code for step in item.steps)}")
        print(f"      first: {item.steps[0].zh} / {item.steps[0].en}")


def _demo(seed: int, customers: int) -> int:
    shop = sample_shop(seed=seed, n_customers=customers)
    histories = shop.histories
    n_orders = sum(len(h.orders) for h in histories)
    n_reviews = sum(len(h.reviews) for h in histories)
    n_complaints = sum(len(h.complaints) for h in histories)
    print(f"{shop.name} — as of {shop.as_of.isoformat()}")
    print(
        f"{len(histories)} customers, {n_orders} orders, {n_reviews} reviews, "
        f"{n_complaints} complaints; currency {shop.currency}\n"
    )
    pipeline = _pipeline(shop, _Bar("fit"))
    reports = pipeline.run(histories, as_of=shop.as_of, progress=_Bar("score")).reports()
    _tiers(reports)
    _churn(reports)
    _queue(reports)
    print(f"\nScorers run in order: {', '.join(pipeline.order)}")
    print("Personal data is masked; every score above carries reasons citing its records.")
    return 0


def _whole(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number in ``[low, high]``, or a clear message."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip(), 10)
        except ValueError:
            shown = text if len(text) <= 24 else f"{text[:24]}..."
            raise argparse.ArgumentTypeError(f"expected a whole number, got {shown!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:,} and {high:,}, got {value:,}")
        return value

    return parse


def _silence_stdout() -> None:
    """After a closed pipe (``| head``), send what is left to /dev/null, quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    A mistake in the options exits with code 2 and a one-line message (argparse's
    usage error); an error custcare reports exits with code 1 and its message; an
    interrupt exits with 130 and a closed output pipe with 141. None prints a
    traceback.
    """
    parser = argparse.ArgumentParser(prog="python -m custcare", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="score the built-in sample shop and print a report")
    demo.add_argument(
        "--seed",
        type=_whole(0, MAX_SEED),
        default=7,
        help=f"seed of the sample shop, 0 to {MAX_SEED} (default 7)",
    )
    demo.add_argument(
        "--customers",
        type=_whole(MIN_CUSTOMERS, MAX_CUSTOMERS),
        default=60,
        help=f"number of customers, {MIN_CUSTOMERS} to {MAX_CUSTOMERS:,} (default 60)",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            return _demo(args.seed, args.customers)
    except CustcareError as exc:
        print(f"python -m custcare: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("python -m custcare: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 141
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
