"""Precision and recall of custcare.text.LexiconClassifier on the labelled test set.

Run: ``.venv/bin/python benchmarks/text_eval.py [path/to/set.jsonl] [--errors]``

The set (``tests/data/complaints_labelled.jsonl``) was written by the custcare
developers. Rows with ``"split": "dev"`` were written together with the lexicons
and the lexicons were tuned on them, so their figures are optimistic by
construction. Rows with ``"split": "holdout"`` were written afterwards and the
lexicons were not changed for them. Neither says how the classifier does on your
texts. Prints Markdown tables: top-category precision/recall per category, signal
precision/recall per signal, and language accuracy, for the chosen split.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from custcare.text import CATEGORY_CODES, SIGNAL_CODES, LexiconClassifier

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_SET)
    parser.add_argument("--split", choices=["dev", "holdout", "all"], default="holdout")
    parser.add_argument("--errors", action="store_true", help="list every miss")
    args = parser.parse_args(argv)
    rows = [r for r in load(args.path) if args.split in ("all", r.get("split"))]
    print(f"split: {args.split}")
    print("\n".join(evaluate(rows, args.errors)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
