"""custcare on the command line: score your files, rank complaints, run the demo.

The only module that prints.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

import numpy as np
from pydantic import ValidationError
from tqdm import tqdm

from custcare import __version__
from custcare.batch import from_histories
from custcare.care import (
    COMPLAINT_REACH,
    CalendarRow,
    CarePlanScorer,
    SatisfactionScorer,
    care_calendar,
)
from custcare.churn import (
    EVIDENCE_KINDS,
    ChurnCauseResult,
    ChurnCauseScorer,
    ChurnRiskResult,
    ChurnRiskScorer,
)
from custcare.complaints import (
    ComplaintPriority,
    ComplaintPriorityScorer,
    PriorityResult,
    rank_queue,
)
from custcare.datasets import SampleShop, load_cdnow, sample_shop
from custcare.errors import CustcareError, CustcareUsageError, NotIdentifiableError
from custcare.io import (
    ENCODINGS,
    PRESETS,
    FileConfig,
    Loaded,
    Source,
    as_of_moment,
    check_output,
    check_timezone_name,
    load_config,
    load_files,
    preset,
    queue_columns,
    write_report,
    write_table,
)
from custcare.loyalty import (
    PyramidResult,
    PyramidScorer,
    RFMScorer,
    ThresholdTierScorer,
    TierResult,
    customer_value_columns,
)
from custcare.models import ShopContext, StaffDeparture
from custcare.report import DEFAULT_TOP
from custcare.scoring import Pipeline, Progress, ProgressCallback, Report, ResultTable

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


CARE_CAPACITY = 5
"""Contacts a day the sample shop's team can make (the demo's care calendar)."""


def _stake_note(row: CalendarRow) -> str:
    parts = [f"own {row.stake - row.reach:.2f} (value {row.value:.2f}, risk {row.risk:.2f})"]
    others = row.reach
    if row.action == "complaint_follow_up":
        parts.append(f"complaint {COMPLAINT_REACH}")
        others -= COMPLAINT_REACH
    if others:
        parts.append(f"referrals {others:g}")
    return f"stake {row.stake:.1f} = " + " + ".join(parts)


def _care_week(shop: SampleShop, table: ResultTable) -> None:
    """What to do this week: the sample shop's care calendar, most at stake first."""
    batch = from_histories(shop.histories)
    upstream = {name: table[name] for name in table.scorers}
    plan = CarePlanScorer().score_batch(batch, as_of=shop.as_of, upstream=upstream)
    level = SatisfactionScorer().score_batch(batch, as_of=shop.as_of)["level"]
    calendar = care_calendar(
        plan,
        start=shop.as_of,
        days=7,
        capacity_per_day=CARE_CAPACITY,
        value=customer_value_columns(upstream, len(plan))[0],
        risk=table["churn.risk"]["risk"],
        satisfied=np.isin(level, ["satisfied", "very_satisfied"]),
    )
    counts = calendar.counts()
    print(
        f"\nWhat to do this week?  (care calendar: {CARE_CAPACITY} contacts a day, "
        "most at stake first)"
    )
    for day in range(calendar.days):
        rows = list(calendar.rows(day=day))
        when = (shop.as_of + timedelta(days=day)).date().isoformat()
        shown = min(len(rows), 3)
        more = f", the {shown} most at stake shown" if len(rows) > shown else ""
        print(f"  {when}: {len(rows)} contacts{more}")
        for row in rows[:shown]:
            at = row.at.strftime("%H:%M") if row.at is not None else "--:--"
            about = f" ({row.detail})" if row.detail else ""
            print(
                f"    {at} {row.customer_id:<8} {row.action}{about} by {row.channel}, "
                f"record {row.record_id or '-'}; {_stake_note(row)}"
            )
    print(
        f"  not this week: {counts['over_capacity']} over capacity, "
        f"{counts['over_budget']} over a customer's budget, "
        f"{counts['after_window']} due later, {counts['not_a_contact']} let go (no contact)"
    )


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
    table = pipeline.run(histories, as_of=shop.as_of, progress=_Bar("score"))
    reports = table.reports()
    _tiers(reports)
    _churn(reports)
    _queue(reports)
    _care_week(shop, table)
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


_PROG = "custcare"

_EPILOG = """\
examples (示例):
  custcare demo
  custcare data cdnow --kind master --out cdnow.csv
      # 导出 CDNOW 交易数据 (export the CDNOW transactions)
  custcare score cdnow.csv --preset cdnow --as-of 1998-06-30 --out scores.xlsx \\
      --out report.html
      # 评分并生成 Excel 与 HTML 报告 (scores to Excel and the HTML report)
  custcare score 订单报表.csv --preset taobao --as-of 2026-05-09 --timezone Asia/Shanghai \\
      --out 客户评分.xlsx
      # 淘宝/天猫卖家中心订单导出 → 会员等级、流失风险与原因 (tiers, churn risk and cause)
  custcare queue 工单.csv --preset helpdesk --as-of 2026-05-09T18:00 \\
      --timezone Asia/Shanghai --out 投诉队列.xlsx
      # 投诉处理队列：先处理哪一条 (which complaint first)

exit codes (退出码): 0 done; 1 the data cannot be used (数据有误); 2 a mistake in the
options (参数有误); 130 interrupted. See docs/guides/command-line.md.
"""


class _OptionError(Exception):
    """A mistake in the options found after parsing (exit code 2)."""


def _config(args: argparse.Namespace) -> FileConfig:
    base = preset(args.preset) if args.preset else None
    if args.config is not None:
        if not Path(args.config).is_file():
            raise _OptionError(f"--config: no such file: {Path(args.config).name}")
        config = load_config(args.config, base=base)
    elif base is not None:
        config = base
    else:
        raise _OptionError(
            "say how to read the file: --preset taobao|helpdesk|cdnow|reviews or --config "
            "custcare.toml"
        )
    changes = {
        key: value
        for key, value in (("encoding", args.encoding), ("currency", args.currency))
        if value is not None
    }
    if args.timezone is not None:
        zone = check_timezone_name(args.timezone).key
        if config.timezone is not None and config.timezone != zone and args.config is not None:
            raise _OptionError(
                f"--timezone {zone} contradicts the config's timezone {config.timezone}"
            )
        changes["timezone"] = zone
    config = config.model_copy(update=changes)
    if config.timezone is None:
        raise _OptionError(
            "state the time zone of the file's times with --timezone (e.g. Asia/Shanghai "
            "or UTC); custcare never guesses it"
        )
    return config


def _source(text: str | None, what: str) -> Source | None:
    if text is None:
        return None
    source = Source.parse(text)
    if not source.is_url and not Path(source.path).is_file():
        raise _OptionError(f"{what}: no such file: {source.name}")
    return source


def _show_load(loaded: Loaded) -> None:
    print("Read:")
    for line in loaded.describe().splitlines():
        print(f"  {line}")


def _score(args: argparse.Namespace) -> int:
    config = _config(args)
    zone = config.timezone or "UTC"
    as_of = as_of_moment(args.as_of, zone)
    outs = _outputs(args.out)
    orders = _source(args.orders, "ORDERS")
    reviews = _source(args.reviews, "--reviews")
    complaints = _source(args.complaints, "--complaints")
    customers = _source(args.customers, "--customers")
    loaded = _load(orders, config, zone, reviews, complaints, args.on_error, customers)
    _show_load(loaded)
    currency = config.currency or loaded.batch.currency
    pipeline = Pipeline(
        [
            ThresholdTierScorer(currency=currency),
            RFMScorer(),
            ChurnRiskScorer(method=args.churn_method, spend_penalizer=0.001),
            PyramidScorer(future_weight=0.4),
            ChurnCauseScorer(),
            ComplaintPriorityScorer(),
        ]
    ).fit(loaded.batch, as_of=as_of, progress=_Bar("fit"))
    table = pipeline.run(loaded.batch, as_of=as_of, progress=_Bar("score"))
    print(f"Scored {len(table):,} customers as of {as_of.isoformat()}")
    for out in outs:
        if out.suffix.lower() == ".html":
            write_report(table, out, top=args.top, hash_ids=args.hash_ids or config.personal_ids)
            shown = min(args.top, len(table))
            print(f"Wrote {out.name}: the report, with panels for {shown:,} customers")
        else:
            rows = write_table(table, out)
            print(f"Wrote {out.name}: {rows:,} rows")
    return 0


def _outputs(paths: Sequence[str]) -> list[Path]:
    """The ``--out`` files, each checked before any work; the same file twice is refused."""
    outs = [check_output(p) for p in paths]
    seen: set[Path] = set()
    for out in outs:
        key = out.resolve()
        if key in seen:
            raise _OptionError(f"--out {out.name} is given twice")
        seen.add(key)
    return outs


def _not_html(path: str | None, what: str) -> None:
    """The HTML report is made from scores: ``queue`` and ``data`` refuse ``.html``."""
    if path is not None and Path(path).suffix.lower() == ".html":
        raise _OptionError(
            f"--out {Path(path).name}: the HTML report comes from custcare score; "
            f"write {what} as .csv, .parquet, .xlsx or .json"
        )


def _queue_command(args: argparse.Namespace) -> int:
    _not_html(args.out, "the queue")
    config = _config(args)
    zone = config.timezone or "UTC"
    as_of = as_of_moment(args.as_of, zone)
    out = check_output(args.out) if args.out is not None else None
    complaints = _source(args.complaints, "COMPLAINTS")
    orders = _source(args.orders, "--orders")
    loaded = _load(orders, config, zone, None, complaints, args.on_error)
    _show_load(loaded)
    queue = rank_queue(loaded.batch, as_of=as_of)
    print(f"\nWhich complaint first?  ({len(queue)} open, {len(queue.overdue)} overdue)")
    for rank, item in enumerate(queue.items[: args.top], start=1):
        late = " OVERDUE" if item.overdue else ""
        print(
            f"  {rank:>3}. {item.level} {item.score:5.1f}  {item.complaint_id:<16} "
            f"{item.category:<22} respond by {item.respond_by.strftime('%Y-%m-%d %H:%M')}{late}"
        )
    if out is not None:
        write_table(queue_columns(queue), out)
        print(f"Wrote {len(queue):,} complaints to {out.name}")
    return 0


def _load(
    orders: Source | None,
    config: FileConfig,
    zone: str,
    reviews: Source | None,
    complaints: Source | None,
    on_error: str,
    customers: Source | None = None,
) -> Loaded:
    with tqdm(total=1, desc="read", file=sys.stderr, disable=None) as bar:
        loaded = load_files(
            orders,
            config=config,
            timezone=zone,
            reviews=reviews,
            complaints=complaints,
            customers=customers,
            on_error=on_error,
        )
        bar.update(1)
    return loaded


def _data(args: argparse.Namespace) -> int:
    _not_html(args.out, "the data set")
    out = check_output(args.out)
    data = load_cdnow(args.kind)
    columns = data.columns()
    columns["date"] = columns["date"].astype(str)  # ISO dates, as the cdnow preset reads them
    write_table(columns, out)
    print(
        f"Wrote the CDNOW {args.kind} ({len(data):,} transactions of {data.n_customers:,} "
        f"customers, dollars, 1997-01-01 to 1998-06-30) to {out.name}"
    )
    print(
        f"Score it: custcare score {out.name} --preset cdnow --as-of 1998-06-30 "
        "--out scores.xlsx --out report.html"
    )
    return 0


def _file_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--as-of",
        required=True,
        metavar="DATE",
        help="the moment to score at: a date (the end of that day) or a time, "
        "e.g. 2026-05-09 or 2026-05-09T18:00",
    )
    command.add_argument(
        "--timezone",
        metavar="ZONE",
        help="IANA zone of the file's times, e.g. Asia/Shanghai or UTC (required unless the "
        "preset or config states it)",
    )
    command.add_argument("--preset", choices=sorted(PRESETS), help="a built-in column mapping")
    command.add_argument(
        "--config", metavar="FILE", help="a column mapping: custcare.toml (or .yaml)"
    )
    command.add_argument(
        "--encoding",
        choices=ENCODINGS,
        help="the CSV files' encoding (default: UTF-8 or GB18030, told apart and reported)",
    )
    command.add_argument("--currency", metavar="CODE", help="the amounts' currency, e.g. CNY")
    command.add_argument(
        "--on-error",
        choices=("raise", "report"),
        default="raise",
        help="raise: stop at the first bad row (default); report: leave bad rows out and list "
        "them in the load report",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=_PROG,
        description=__doc__,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"custcare {__version__}")
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
    score = sub.add_parser(
        "score",
        help="score your orders file: tiers, RFM, churn risk and cause, complaint priority",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    score.add_argument(
        "orders", metavar="ORDERS", help="orders: .csv, .xlsx, .parquet or DB::TABLE"
    )
    score.add_argument("--reviews", metavar="FILE", help="a reviews file (needs [reviews] mapping)")
    score.add_argument("--complaints", metavar="FILE", help="a complaints file")
    score.add_argument(
        "--customers",
        metavar="FILE",
        help="a customers file: when each customer was created (needs [customers] mapping)",
    )
    score.add_argument(
        "--out",
        required=True,
        action="append",
        metavar="FILE",
        help="scores.csv, .parquet, .xlsx or .json, or report.html (the HTML report); "
        "give --out again to write several files from one run",
    )
    score.add_argument(
        "--hash-ids",
        action="store_true",
        help="show customer ids in the HTML report as short hashes, for ids that are "
        "personal data (names, phones, e-mails); the taobao preset always does",
    )
    score.add_argument(
        "--top",
        type=_whole(0, 10_000),
        default=DEFAULT_TOP,
        help=f"customers with a panel in the HTML report, most at stake first "
        f"(default {DEFAULT_TOP})",
    )
    score.add_argument(
        "--churn-method",
        choices=("bgnbd", "gap"),
        default="bgnbd",
        help="churn risk from the BG/NBD model fitted on your customers (default), or from "
        "each customer's purchase gaps (gap: for a shop too small to fit the model)",
    )
    _file_options(score)
    queue = sub.add_parser(
        "queue",
        help="rank open complaints: which one first (the work list)",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    queue.add_argument("complaints", metavar="COMPLAINTS", help="complaints or tickets file")
    queue.add_argument("--orders", metavar="FILE", help="the orders file, for customer value")
    queue.add_argument("--out", metavar="FILE", help="queue.csv, .parquet, .xlsx or .json")
    queue.add_argument(
        "--top", type=_whole(0, 10_000), default=10, help="how many to print (default 10)"
    )
    _file_options(queue)
    data = sub.add_parser("data", help="write a built-in data set to a file")
    data.add_argument("name", choices=("cdnow",), help="the data set")
    data.add_argument("--kind", choices=("sample", "master"), default="sample")
    data.add_argument("--out", required=True, metavar="FILE", help=".csv, .parquet, .xlsx, .json")
    return parser


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "score": _score,
    "queue": _queue_command,
    "data": _data,
}


def _fail(code: int, message: str) -> int:
    print(f"{_PROG}: error: {message}", file=sys.stderr)
    return code


def _run(args: argparse.Namespace) -> int:
    """A file command; option mistakes exit 2, data that cannot be used exit 1."""
    try:
        return _COMMANDS[args.command](args)
    except _OptionError as exc:
        return _fail(2, str(exc))
    except (CustcareUsageError, ValidationError) as exc:
        return _fail(2, str(exc))
    except NotIdentifiableError as exc:
        return _fail(1, f"{exc}; or score without the model: --churn-method gap")
    except CustcareError as exc:
        return _fail(1, str(exc))
    except ImportError as exc:
        return _fail(1, f"{exc} (the file commands need: pip install 'custcare[files]')")
    except (OSError, UnicodeError, ValueError) as exc:
        text = str(exc).splitlines()[0] if str(exc) else ""
        return _fail(1, f"cannot read or write a file: {type(exc).__name__}: {text[:200]}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    A mistake in the options exits with code 2 and a one-line message (argparse's
    usage error, or a file command's option checked after parsing); an error
    custcare reports about the data exits with code 1 and its message; an
    interrupt exits with 130 and a closed output pipe with 141. None prints a
    traceback.
    """
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            return _demo(args.seed, args.customers)
        return _run(args)
    except CustcareError as exc:
        print(f"python -m custcare: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("python -m custcare: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 141


if __name__ == "__main__":
    sys.exit(main())
