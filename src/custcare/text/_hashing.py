"""Hashed character n-grams: the one feature map of the learned text model.

The training script (``training/train_complaint_model.py``) imports these
functions, so the features a model was trained on and the features it reads at
inference are the same code. A text is folded with `normalise` (one character
for one character, so offsets stay offsets into the original text), then every
run of 1, 2 and 3 characters is hashed to one of ``buckets`` slots.

The hash is a fixed arithmetic on code points (no ``hash()``, which Python salts
per process), computed for a whole batch of texts at once with numpy: linear in
the total number of characters.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from custcare.text._normalise import normalise

__all__ = ["MAX_NGRAM", "HashedNgrams", "hash_ngrams", "weight_row_sums", "weight_sums"]

MAX_NGRAM = 3
"""The longest character n-gram hashed (1-, 2- and 3-grams)."""

# Odd 32-bit multipliers, one per position in the n-gram and one for its length,
# then the 32-bit finaliser of MurmurHash3 (arithmetic modulo 2**32).
_POSITION = (np.uint32(0x9E3779B1), np.uint32(0x85EBCA77), np.uint32(0xC2B2AE3D))
_LENGTH = tuple(np.uint32(0x27D4EB2F * n % (1 << 32)) for n in range(MAX_NGRAM + 1))
_MIX_A = np.uint32(0x85EBCA6B)
_MIX_B = np.uint32(0xC2B2AE35)
_SHIFT_A = np.uint32(16)
_SHIFT_B = np.uint32(13)

Int64Array = npt.NDArray[np.int64]


class HashedNgrams(NamedTuple):
    """Every n-gram occurrence of a batch of texts, as parallel arrays.

    Attributes:
        text: Index of the text the n-gram occurs in (into the batch).
        start: Offset of its first character in that text.
        length: Its length in characters (1 to `MAX_NGRAM`).
        bucket: Its hash slot, in ``[0, buckets)``.
        counts: How many n-grams each text has (``len(texts)`` entries).
    """

    text: Int64Array
    start: Int64Array
    length: Int64Array
    bucket: Int64Array
    counts: Int64Array


def hash_ngrams(texts: Sequence[str], buckets: int) -> HashedNgrams:
    """Hash the character 1- to 3-grams of the folded ``texts`` into ``buckets`` slots.

    N-grams never cross from one text into the next; a NUL character in a text
    also ends n-grams (it is the separator of the batch).

    Args:
        texts: The texts (already cut to the length limit by the caller).
        buckets: A power of two.

    Returns:
        The occurrences, ordered by n-gram length, then by position in the batch.

    Raises:
        ValueError: if ``buckets`` is not a positive power of two.

    Example:
        >>> grams = hash_ngrams(["ab", "c"], 1 << 10)
        >>> grams.text.tolist(), grams.start.tolist(), grams.length.tolist()
        ([0, 0, 1, 0], [0, 1, 0, 0], [1, 1, 1, 2])
        >>> grams.counts.tolist()
        [3, 1]
        >>> bool((hash_ngrams(["AB"], 1 << 10).bucket == hash_ngrams(["ab"], 1 << 10).bucket).all())
        True
    """
    _check_buckets(buckets)
    lengths, firsts, points = _join(texts)
    owner = np.repeat(np.arange(len(texts), dtype=np.int64), lengths + 1)[: len(points)]
    offset = np.arange(len(points), dtype=np.int64) - firsts[owner] if len(points) else owner
    parts_text: list[Int64Array] = []
    parts_start: list[Int64Array] = []
    parts_length: list[Int64Array] = []
    parts_bucket: list[Int64Array] = []
    for n, bucket, valid in _hashed(points, buckets):
        where = np.flatnonzero(valid)
        parts_text.append(owner[where])
        parts_start.append(offset[where])
        parts_length.append(np.full(len(where), n, dtype=np.int64))
        parts_bucket.append(bucket[where].astype(np.int64))
    if not parts_text:
        empty = np.zeros(0, dtype=np.int64)
        return HashedNgrams(empty, empty, empty, empty, np.zeros(len(texts), dtype=np.int64))
    text = np.concatenate(parts_text)
    counts = np.bincount(text, minlength=len(texts)).astype(np.int64)
    return HashedNgrams(
        text,
        np.concatenate(parts_start),
        np.concatenate(parts_length),
        np.concatenate(parts_bucket),
        counts,
    )


def weight_sums(
    texts: Sequence[str], weights: npt.NDArray[np.float32]
) -> tuple[npt.NDArray[np.float64], Int64Array]:
    """Per text: the sum of ``weights`` over its n-grams' buckets, and its n-gram count.

    The same n-grams as `hash_ngrams` (``len(weights)`` buckets), summed without
    building the per-occurrence arrays: the fast path of the learned classifier.

    Example:
        >>> w = np.arange(1 << 10, dtype=np.float32)
        >>> texts = ["ab", "", "c"]
        >>> sums, counts = weight_sums(texts, w)
        >>> grams = hash_ngrams(texts, 1 << 10)
        >>> sums.tolist() == np.bincount(grams.text, w[grams.bucket], 3).tolist()
        True
        >>> counts.tolist()
        [3, 0, 1]
    """
    buckets = len(weights)
    _check_buckets(buckets)
    lengths, firsts, points = _join(texts)
    sums = np.zeros(len(texts), dtype=np.float64)
    counts = np.zeros(len(texts), dtype=np.int64)
    for _, bucket, valid in _hashed(points, buckets):
        # Segment sums by differences of running sums (empty texts give 0).
        starts = np.minimum(firsts, len(valid))
        ends = np.minimum(firsts + lengths, len(valid))
        gathered = np.where(valid, weights[bucket], np.float32(0))
        running = np.concatenate(([0.0], np.cumsum(gathered, dtype=np.float64)))
        sums += running[ends] - running[starts]
        live = np.concatenate(([0], np.cumsum(valid, dtype=np.int64)))
        counts += live[ends] - live[starts]
    return sums, counts


_CHUNK_CHARS = 1 << 16  # characters per pass of `weight_row_sums`: bounds its memory


def weight_row_sums(
    texts: Sequence[str], weights: npt.NDArray[np.float32]
) -> tuple[npt.NDArray[np.float64], Int64Array]:
    """Per text: the sum of the rows of ``weights`` (``(buckets, k)``) and the n-gram count.

    The same n-grams as `hash_ngrams` with ``len(weights)`` buckets. Texts are
    taken a chunk of about 65,000 characters at a time, so memory stays bounded
    whatever the batch (each pass gathers ``k`` floats per n-gram).

    Example:
        >>> w = np.arange(2 << 10, dtype=np.float32).reshape(1 << 10, 2)
        >>> texts = ["ab", "", "c"]
        >>> sums, counts = weight_row_sums(texts, w)
        >>> grams = hash_ngrams(texts, 1 << 10)
        >>> sums[:, 1].tolist() == np.bincount(grams.text, w[grams.bucket, 1], 3).tolist()
        True
        >>> counts.tolist()
        [3, 0, 1]
    """
    buckets, width = weights.shape
    _check_buckets(buckets)
    table = weights.astype(np.float64)  # small (buckets x k): sums are exact float64 sums
    sums = np.zeros((len(texts), width), dtype=np.float64)
    counts = np.zeros(len(texts), dtype=np.int64)
    first = 0
    while first < len(texts):
        last, size = first, 0
        while last < len(texts) and (last == first or size + len(texts[last]) <= _CHUNK_CHARS):
            size += len(texts[last]) + 1
            last += 1
        lengths, firsts, points = _join(texts[first:last])
        for _, bucket, valid in _hashed(points, buckets):
            starts = np.minimum(firsts, len(valid))
            ends = np.minimum(firsts + lengths, len(valid))
            gathered = table[bucket]
            gathered[~valid] = 0.0
            # One pass of segment sums; a segment with no n-gram of this length adds 0.
            live = ends > starts
            if live.any():
                sums[first:last][live] += np.add.reduceat(gathered, starts[live], axis=0)
            running = np.concatenate(([0], np.cumsum(valid, dtype=np.int64)))
            counts[first:last] += running[ends] - running[starts]
        first = last
    return sums, counts


def _check_buckets(buckets: int) -> None:
    if buckets < 1 or buckets & (buckets - 1):
        raise ValueError(f"buckets must be a positive power of two, got {buckets}")


def _join(texts: Sequence[str]) -> tuple[Int64Array, Int64Array, npt.NDArray[np.uint32]]:
    """Lengths, first offsets in the batch, and code points of the folded, NUL-joined texts."""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    joined = normalise("\0".join(texts))  # folding is per character, NUL stays NUL
    points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    firsts = np.zeros(len(texts), dtype=np.int64)
    if len(texts) > 1:
        firsts[1:] = np.cumsum(lengths[:-1] + 1)
    return lengths, firsts, points


def _hashed(
    points: npt.NDArray[np.uint32], buckets: int
) -> Iterator[tuple[int, npt.NDArray[np.uint32], npt.NDArray[np.bool_]]]:
    """For n = 1..3: the bucket of the n-gram starting at each position, and whether it is one."""
    live = points != 0
    mask = np.uint32(buckets - 1)
    size = len(points)
    value = np.zeros(size, dtype=np.uint32)
    valid = np.ones(size, dtype=bool)
    for n in range(1, MAX_NGRAM + 1):
        width = size - n + 1
        if width <= 0:
            return
        value = value[:width] + points[n - 1 : n - 1 + width] * _POSITION[n - 1]
        valid = valid[:width] & live[n - 1 : n - 1 + width]
        mixed = value + _LENGTH[n]
        mixed ^= mixed >> _SHIFT_A
        mixed *= _MIX_A
        mixed ^= mixed >> _SHIFT_B
        mixed *= _MIX_B
        mixed ^= mixed >> _SHIFT_A
        mixed &= mask
        yield n, mixed, valid
