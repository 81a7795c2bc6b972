"""Throughput of custcare.text.LexiconClassifier on generated complaint texts.

Run: ``.venv/bin/python benchmarks/bench_text.py [--n 100000] [--seed 7]``

Texts are generated deterministically (a seeded ``random.Random``) from clauses
of complaints, praise and neutral remarks in Chinese (simplified and traditional),
English, and both mixed, cut to 60 characters. The script prints one table row per
language group one for the whole batch in generation order (languages interleaved), and one that
adds up the best time of each tenth of the batch. Each batch's results are kept
until it is done, as a caller would keep them. Wall-clock and CPU seconds are shown
for the run with the least CPU time; on a busy machine compare the CPU figures, and
the "slices" row, which is least disturbed by other jobs.

``--adversarial`` measures one long hostile text instead (issue 11): a word of
letters after a wildcard term (``refund*``, ``vomit*``), long runs of digits, ``@``
and dots for e-mail and phone patterns, many negations, many matches, mixed
scripts, shouting. Each is classified at 10,000, 100,000 and 1,000,000 characters
with the length limit raised to read it whole (``max_chars``), and scored by
``complaint.priority`` as the text of one open complaint (classification and the
reasons built from it). The table shows CPU milliseconds and the growth factor
from one length to the next: about 10 is linear, 100 would be quadratic. A last
row scores the 1,000,000-character text with the default limit, which reads the
first 100,000 characters and says so in the reasons.

Run: ``.venv/bin/python benchmarks/bench_text.py --adversarial [--repeat 3]``
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from functools import partial
from itertools import pairwise

from custcare.text import MAX_TEXT_CHARS, LexiconClassifier, TextAnalysis, normalise

ZH_COMPLAINT = [
    "服务态度太差了",
    "客服爱理不理",
    "等了两个小时还没轮到",
    "收费太高，明显宰客",
    "用了三天就坏了",
    "质量太差，做工粗糙",
    "说好的赠品没给",
    "修了两次还没修好",
    "保修期内还要收钱",
    "售后电话一直没人接",
    "和图片不一样，虚假宣传",
    "我要退货退款",
    "再不处理就投诉到12315",
    "充电器冒烟了差点起火",
    "别家便宜多了",
    "物流太慢，迟迟不发货",
    "款式太旧，一直没有新品",
    "气死我了！！",
    "以后再也不来了",
    "能不能便宜点",
]
ZH_NEUTRAL = [
    "我上周在你们店买了一台洗衣机",
    "今天下午去店里取的车",
    "东西收到了",
    "包装很好",
    "客服很耐心，非常满意",
    "请问什么时候能发货",
    "颜色和图片一样",
    "价格不贵，质量也不错",
    "师傅很专业",
    "下次还会再来",
    "给家里老人买的",
    "周末有时间再去看看",
]
EN_COMPLAINT = [
    "the staff were rude",
    "waited two hours on hold",
    "they overcharged me",
    "it stopped working after a week",
    "the promised callback never came",
    "still not fixed after the second visit",
    "they refused the warranty claim",
    "no reply from after-sales",
    "not as described at all",
    "I want a full refund",
    "I will report this to trading standards",
    "the charger caught fire",
    "found it cheaper at another shop",
    "my order hasn't arrived",
    "same old stuff, nothing new",
    "WORST SERVICE EVER!!",
    "too expensive for what it is",
]
EN_NEUTRAL = [
    "I bought a washing machine last week",
    "picked up the car this afternoon",
    "the parcel came today",
    "thanks for the quick reply",
    "great value, very happy",
    "could you tell me the opening hours",
    "not expensive and no problems so far",
    "the mechanic was friendly",
    "ordered it for my parents",
]
TRADITIONAL = str.maketrans(
    "态务质坏货贵还没钱说气别发给问买卖电话费处后这来让",
    "態務質壞貨貴還沒錢說氣別發給問買賣電話費處後這來讓",
)
TARGET_LENGTH = 60


def _compose(rng: random.Random, clauses: list[list[str]], sep: str) -> str:
    parts: list[str] = []
    length = 0
    while length < TARGET_LENGTH:
        pool = clauses[0] if rng.random() < 0.45 else clauses[1]
        part = rng.choice(pool)
        parts.append(part)
        length += len(part) + len(sep)
    return sep.join(parts)[:TARGET_LENGTH]


def generate(n: int, seed: int) -> tuple[list[str], dict[str, list[str]]]:
    """Deterministic texts: 45% Chinese (a fifth traditional), 45% English, 10% mixed.

    Returns the texts in generation order (languages interleaved) and by group.
    """
    rng = random.Random(seed)
    groups: dict[str, list[str]] = {"zh": [], "en": [], "mixed": []}
    ordered: list[str] = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.45:
            text = _compose(rng, [ZH_COMPLAINT, ZH_NEUTRAL], "，")
            if rng.random() < 0.2:
                text = text.translate(TRADITIONAL)
            group = "zh"
        elif roll < 0.90:
            text = _compose(rng, [EN_COMPLAINT, EN_NEUTRAL], ", ")
            text = text[0].upper() + text[1:]
            group = "en"
        else:
            pools = [ZH_COMPLAINT + EN_COMPLAINT, ZH_NEUTRAL + EN_NEUTRAL]
            text = _compose(rng, pools, " ")
            group = "mixed"
        groups[group].append(text)
        ordered.append(text)
    return ordered, groups


def _time(fn: Callable[[list[str]], list[TextAnalysis]], texts: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one call; the results are dropped afterwards."""
    wall, cpu = time.perf_counter(), time.process_time()
    results = fn(texts)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    del results
    return wall, cpu


def _reference_loop() -> float:
    """CPU seconds of a fixed pure-Python loop, to compare machines and load."""
    cpu = time.process_time()
    sum(i * i for i in range(3_000_000))
    return time.process_time() - cpu


ADVERSARIAL_LENGTHS = (10_000, 100_000, 1_000_000)


def _repeat_to(unit: str, n: int) -> str:
    return (unit * (n // len(unit) + 1))[:n]


ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "refund* + one long word": lambda n: "refund" + "a" * (n - 6),
    "vomit* + one long word": lambda n: "Vomit" + "x" * (n - 5),
    "refund + digit run": lambda n: "refund " + "1" * (n - 7),
    "vomit + @ run": lambda n: "vomit " + "@" * (n - 6),
    "refund + dot run": lambda n: "refund " + "." * (n - 7),
    "refund + a.b.c.d...": lambda n: "refund " + _repeat_to("a.", n - 7),
    "refund + a@b.c@d...": lambda n: "refund " + _repeat_to("a@b.", n - 7),
    "negations (en)": lambda n: _repeat_to("not ", n - 5) + " rude",
    "negations (zh)": lambda n: "不" * (n - 2) + "太贵",
    "negated hits (en)": lambda n: _repeat_to("not rude ", n),
    "many matches (en)": lambda n: _repeat_to("refund ", n),
    "many matches (zh)": lambda n: _repeat_to("退款", n),
    "mixed scripts": lambda n: _repeat_to("退a款b 太贵x ", n),
    "shouting": lambda n: _repeat_to("WORST ", n),
}


def _cpu_ms(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        cpu = time.process_time()
        fn()
        best = min(best, time.process_time() - cpu)
    return best * 1000.0


def adversarial(repeat: int) -> int:
    """The time-vs-length table for hostile texts (see the module docstring)."""
    from custcare import Complaint, Customer, CustomerHistory
    from custcare.complaints import ComplaintPriorityScorer

    opened = datetime(2026, 6, 1, tzinfo=timezone.utc)

    def history(text: str) -> CustomerHistory:
        return CustomerHistory(
            customer=Customer(id="u1", created_at=opened),
            complaints=[
                Complaint(id="q1", customer_id="u1", opened_at=opened, channel="chat", text=text)
            ],
        )

    whole = LexiconClassifier({"max_chars": max(ADVERSARIAL_LENGTHS)})
    scorer = ComplaintPriorityScorer(classifier=whole)
    as_of = opened + timedelta(hours=1)
    scorer.score(history("warm-up 退款"), as_of=as_of)

    print(
        f"custcare.text adversarial benchmark: Python {platform.python_version()}, "
        f"{platform.machine()}"
    )
    print(f"CPU ms, best of {repeat}; xN = growth from the previous length (10 = linear)\n")
    sizes = "".join(f"{f'{n:,}':>11}" for n in ADVERSARIAL_LENGTHS)
    header = f"{'text':<26}{'path':<10}{sizes}{'x':>7}{'x':>7}{'us/kchar':>10}"
    print(header)
    print("-" * len(header))
    worst = 0.0
    for name, make in ADVERSARIAL.items():
        texts = [make(n) for n in ADVERSARIAL_LENGTHS]
        assert [len(t) for t in texts] == list(ADVERSARIAL_LENGTHS)
        histories = [history(t) for t in texts]
        paths: list[tuple[str, list[Callable[[], object]]]] = [
            ("classify", [partial(whole.classify, t) for t in texts]),
            ("priority", [partial(scorer.score, h, as_of=as_of) for h in histories]),
        ]
        for path, calls in paths:
            ms = [_cpu_ms(call, repeat) for call in calls]
            growth = [b / max(a, 1e-3) for a, b in pairwise(ms)]
            per_kchar = ms[-1] * 1000.0 / (ADVERSARIAL_LENGTHS[-1] / 1000)
            worst = max(worst, *growth)
            print(
                f"{name:<26}{path:<10}"
                + "".join(f"{m:>11.1f}" for m in ms)
                + "".join(f"{g:>7.1f}" for g in growth)
                + f"{per_kchar:>10.1f}",
                flush=True,
            )
    longest = max(ADVERSARIAL_LENGTHS)
    capped = ComplaintPriorityScorer()
    text = ADVERSARIAL["refund* + one long word"](longest)
    one = history(text)
    capped_ms = _cpu_ms(partial(capped.score, one, as_of=as_of), repeat)
    reason = capped.score(one, as_of=as_of).reasons[0].message
    print(
        f"\ndefault limit ({MAX_TEXT_CHARS:,} characters), refund* + one long word of "
        f"{longest:,}: priority {capped_ms:.1f} ms\n  first reason: {reason}"
    )
    print(f"\nlargest growth factor over one 10x step: {worst:.1f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of texts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best is shown")
    parser.add_argument(
        "--adversarial",
        action="store_true",
        help="time vs length of one hostile text (10k, 100k, 1M characters) instead",
    )
    args = parser.parse_args(argv)
    if args.adversarial:
        return adversarial(args.repeat)

    every, groups = generate(args.n, args.seed)
    classifier = LexiconClassifier()
    classifier.classify("warm-up: loads and compiles the lexicons")

    print(f"custcare.text benchmark: Python {platform.python_version()}, {platform.machine()}")
    reference = min(_reference_loop() for _ in range(3))
    print(f"{args.n} texts, seed {args.seed}, best of {args.repeat} runs")
    print(f"reference loop (sum of 3,000,000 squares): {reference:.3f} CPU s\n")
    header = (
        f"{'group':<22}{'texts':>8}{'chars':>7}{'wall s':>9}{'CPU s':>8}"
        f"{'CPU us/text':>13}{'texts/CPU s':>13}"
    )
    print(header)
    print("-" * len(header))
    rows = [(f"{name} (classify_many)", texts) for name, texts in groups.items()]
    rows.append(("all, interleaved", every))
    for name, texts in rows:
        runs = [_time(classifier.classify_many, texts) for _ in range(args.repeat)]
        wall, cpu = min(runs, key=lambda run: run[1])
        mean_chars = statistics.fmean(len(t) for t in texts)
        print(
            f"{name:<22}{len(texts):>8}{mean_chars:>7.1f}{wall:>9.2f}{cpu:>8.2f}"
            f"{cpu / len(texts) * 1e6:>13.1f}{len(texts) / cpu:>13,.0f}"
        )
    # On a shared machine other jobs slow some runs down; the best time of each of
    # ten slices, added up, is closer to what the code costs on an idle core.
    size = max(1, len(every) // 10)
    slices = [every[i : i + size] for i in range(0, len(every), size)]
    cpu = sum(
        min(_time(classifier.classify_many, part)[1] for _ in range(args.repeat)) for part in slices
    )
    name = f"all, {len(slices)} slices"
    print(
        f"{name:<22}{len(every):>8}{statistics.fmean(len(t) for t in every):>7.1f}{'':>9}"
        f"{cpu:>8.2f}{cpu / len(every) * 1e6:>13.1f}{len(every) / cpu:>13,.0f}"
    )
    sample = every[:2000]
    hits = statistics.fmean(len(classifier.lexicon.matches(normalise(t))) for t in sample)
    complaints = sum(a.is_complaint for a in classifier.classify_many(sample))
    print(
        f"\nfirst 2000 texts: {complaints} classified as complaints, {hits:.1f} term hits per text"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
