"""custcare.text: the complaint and review text classifier (Chinese and English)."""

from __future__ import annotations

import gc
import json
import math
import time
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from custcare.models import ComplaintCategory
from custcare.text import (
    BUILTIN_LEXICONS,
    CATEGORY_CODES,
    NONE,
    SIGNAL_CODES,
    LexiconClassifier,
    LexiconConfig,
    Span,
    TextAnalysis,
    TextClassifier,
    TextSignal,
    detect_language,
    load_lexicon,
    normalise,
)
from custcare.text._normalise import _traditional_pairs

LABELLED = Path(__file__).parent / "data" / "complaints_labelled.jsonl"
CLF = LexiconClassifier()


def _rows(split: str = "all") -> list[dict[str, object]]:
    with LABELLED.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return [r for r in rows if split in ("all", r["split"])]


def _texts(spans: Iterable[Span]) -> list[str]:
    return [s.text for s in spans]


def _evidence(analysis: TextAnalysis, code: str) -> list[str]:
    return _texts(analysis.category_evidence.get(code, ()))


# --- the labelled set ------------------------------------------------------------


def test_labelled_set_covers_every_category_signal_and_language() -> None:
    rows = _rows()
    assert {r["category"] for r in rows} == set(CATEGORY_CODES)
    assert {s for r in rows for s in r["signals"]} == set(SIGNAL_CODES)  # type: ignore[attr-defined]
    assert {r["language"] for r in rows} == {"zh", "en", "mixed", "unknown"}
    assert {r["split"] for r in rows} == {"dev", "holdout"}
    for code in CATEGORY_CODES:
        assert sum(r["category"] == code for r in rows) >= 10, code
    traditional = set(_traditional_pairs())
    assert sum(any(ch in traditional for ch in str(r["text"])) for r in rows) >= 20


@pytest.mark.parametrize(("split", "floor"), [("all", 0.85), ("dev", 0.95), ("holdout", 0.6)])
def test_top_category_accuracy(split: str, floor: float) -> None:
    rows = _rows(split)
    analyses = CLF.classify_many(str(r["text"]) for r in rows)
    correct = sum(a.top_category == r["category"] for a, r in zip(analyses, rows, strict=True))
    assert correct / len(rows) >= floor


def test_every_signal_recall_and_language_accuracy_on_the_whole_set() -> None:
    rows = _rows()
    analyses = CLF.classify_many(str(r["text"]) for r in rows)
    for code in SIGNAL_CODES:
        wanted = [a for a, r in zip(analyses, rows, strict=True) if code in r["signals"]]  # type: ignore[operator]
        recall = sum(a.has_signal(code) for a in wanted) / len(wanted)
        assert recall >= 0.8, (code, recall)
    languages = sum(a.language == r["language"] for a, r in zip(analyses, rows, strict=True))
    assert languages / len(rows) >= 0.95


# --- behaviour ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("价格不太贵", "太贵"),
        ("用了半年，没什么问题", "问题"),
        ("上菜并不是很慢", "很慢"),
        ("Not expensive at all.", "expensive"),
        ("No problem with it so far", "problem"),
        ("The staff wasn't rude.", "rude"),
        ("They were not at all rude", "rude"),
        ("I didn't have any issues", "issues"),
    ],
)
def test_negated_terms_do_not_count(text: str, term: str) -> None:
    analysis = CLF.classify(text)
    assert _texts(analysis.negated) == [term]
    assert all(term not in _texts(spans) for spans in analysis.category_evidence.values())
    assert analysis.top_category == NONE


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("还好没有受伤", "safety"),
        ("我不要退款，修好就行", "refund"),
        ("I don't want a refund", "refund"),
    ],
)
def test_negation_applies_to_signals(text: str, signal: str) -> None:
    assert not CLF.classify(text).has_signal(signal)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("不贵，但是态度很差", "staff_attitude"),  # the comma and 但是 end the negation
        ("不但态度差，还很慢", "staff_attitude"),  # 不但 is not a negation
        ("非常贵，太贵了", "overcharging"),  # 非常 is not a negation
        ("Not only rude but slow", "staff_attitude"),
        ("Not cheap, and the staff were rude", "staff_attitude"),
        ("不耐烦，态度差", "staff_attitude"),  # 不 inside an earlier term negates nothing
    ],
)
def test_negation_stays_in_its_clause(text: str, category: str) -> None:
    assert CLF.classify(text).top_category == category


def test_phrases_that_contain_a_negator_are_terms_of_their_own() -> None:
    assert CLF.classify("商家不给退款").has_signal("refund")
    assert CLF.classify("they won't refund me").has_signal("refund")
    assert CLF.classify("修了两次还是没修好").top_category == "not_fixed_first_time"
    assert CLF.classify("Still not fixed.").top_category == "not_fixed_first_time"


def test_traditional_characters_match_like_simplified_and_spans_keep_them() -> None:
    simplified = CLF.classify("服务态度太差，我要退货")
    traditional = CLF.classify("服務態度太差，我要退貨")
    assert traditional.top_category == simplified.top_category == "staff_attitude"
    assert traditional.categories == simplified.categories
    assert _texts(traditional.signals["refund"]) == ["退貨"]
    assert _evidence(traditional, "staff_attitude") == ["態度太差"]


def test_every_builtin_chinese_term_written_in_traditional_folds_back() -> None:
    to_traditional: dict[str, str] = {}
    for t, s in sorted(_traditional_pairs().items()):
        to_traditional.setdefault(s, t)
    zh = load_lexicon("zh")
    for _code, term, _weight in zh.terms():
        written = "".join(to_traditional.get(ch, ch) for ch in term)
        assert normalise(written) == term, (term, written)


def test_traditional_table_is_well_formed() -> None:
    pairs = _traditional_pairs()
    assert len(pairs) > 4000  # OpenCC's character table, not only the lexicons' characters
    assert all(len(t) == len(s) == 1 and t != s for t, s in pairs.items())
    # Folding is one step: no simplified form is itself folded again.
    assert not set(pairs) & set(pairs.values())


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("品質很差", "品质很差"),
        ("煞車修完差點出事故", "煞车修完差点出事故"),
        ("冇人理，佢哋好差", "没人理,佢哋好差"),  # Cantonese: 冇 by hand, 哋 has no other form
        ("裡面髒", "里面脏"),  # Taiwan variant form of 裏
        ("退貨、賠償", "退货、赔偿"),
    ],
)
def test_traditional_and_variant_text_folds_to_simplified(
    traditional: str, simplified: str
) -> None:
    assert normalise(traditional) == simplified


def test_simplified_text_is_never_changed_by_the_traditional_table() -> None:
    # 抬 is the Taiwan variant of 擡 and also an ordinary simplified character.
    # (The hand pairs 著 -> 着 and 乾 -> 干 are the known exceptions: 著名, 乾坤.)
    text = "抬头一看，干净的房间，有名的酒店，后来才发现头发在床上，只好退货"
    assert normalise(text) == text.replace("，", ",")


def test_full_width_and_case_are_folded_but_spans_quote_the_original() -> None:
    analysis = CLF.classify("ＲＥＦＵＮＤ now！！ Too Expensive")
    assert _texts(analysis.signals["refund"]) == ["ＲＥＦＵＮＤ"]
    assert "！！" in _texts(analysis.signals["anger"])
    assert _texts(analysis.signals["price"]) == ["Too Expensive"]
    assert normalise("ＡＢＣ！　ｄ") == "abc! d"


def test_english_matching_respects_word_boundaries_and_stems() -> None:
    assert CLF.classify("the prude fired him").found_signals == ()
    assert _evidence(CLF.classify("the prude fired him"), "staff_attitude") == []
    assert _texts(CLF.classify("They refunded half").signals["refund"]) == ["refunded"]
    assert _texts(CLF.classify("way  too\texpensive").signals["price"]) == ["too\texpensive"]


def test_emoji_caps_and_exclamations_raise_anger() -> None:
    calm = CLF.classify("The parcel came today.")
    angry = CLF.classify("Worst shop EVER!!! 😡🤬")
    assert calm.anger_intensity == 0.0
    assert not calm.has_signal("anger")
    assert set(_texts(angry.signals["anger"])) >= {"😡", "🤬", "!!!", "Worst"}
    assert 0.5 < angry.anger_intensity < 1.0
    assert CLF.classify("NEVER AGAIN").has_signal("anger")
    assert not CLF.classify("Bought an HDMI cable").has_signal("anger")
    assert CLF.classify("气死我了😡").anger_intensity > CLF.classify("气死").anger_intensity


@pytest.mark.parametrize("text", ["", "   ", "\n", "😀", "12345", "…"])
def test_text_without_words_is_none_with_certainty(text: str) -> None:
    analysis = CLF.classify(text)
    assert analysis.top_category == NONE
    assert analysis.categories[NONE] == 1.0
    assert analysis.language == "unknown"
    assert analysis.signals == {}
    assert analysis.complaint_category is None
    assert not analysis.is_complaint


def test_mixed_language_text_uses_both_lexicons() -> None:
    analysis = CLF.classify("客服态度很差, so rude, I want a refund 退款")
    assert analysis.language == "mixed"
    assert {"态度很差", "rude"} <= set(_evidence(analysis, "staff_attitude"))
    assert _texts(analysis.signals["refund"]) == ["refund", "退款"]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("质量太差了", "zh"),
        ("Too slow.", "en"),
        ("客服 so rude", "mixed"),
        ("iPhone屏幕坏了", "zh"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language
    assert CLF.classify(text).language == language


def test_result_shape_distribution_and_helpers() -> None:
    analysis = CLF.classify("等了两个小时还没修好，我要退款！！")
    assert tuple(analysis.categories) == CATEGORY_CODES
    assert math.isclose(sum(analysis.categories.values()), 1.0, abs_tol=1e-12)
    assert analysis.top_category == max(analysis.categories, key=analysis.categories.__getitem__)
    assert analysis.complaint_category is ComplaintCategory.NOT_FIXED_FIRST_TIME
    assert analysis.confidence == analysis.categories["not_fixed_first_time"]
    assert analysis.found_signals == ("refund", "anger")
    assert analysis.signal_spans("safety") == ()
    with pytest.raises(KeyError, match="unknown signal"):
        analysis.has_signal("refunds")
    with pytest.raises(KeyError, match="unknown signal"):
        analysis.signal_spans("nope")


def test_scoring_rule_with_default_weights() -> None:
    # 太贵 weighs 2 for overcharging; none starts at 1: 2 / 3 and 1 / 3.
    analysis = CLF.classify("太贵")
    assert analysis.categories["overcharging"] == pytest.approx(2 / 3)
    assert analysis.categories[NONE] == pytest.approx(1 / 3)


def test_classification_is_deterministic_and_classify_many_agrees() -> None:
    texts = [str(r["text"]) for r in _rows()[:40]]
    assert CLF.classify_many(texts) == [CLF.classify(t) for t in texts]
    assert LexiconClassifier().classify_many(iter(texts)) == CLF.classify_many(texts)


def test_classify_many_restores_the_garbage_collector_state() -> None:
    assert gc.isenabled()
    CLF.classify_many(["太贵"])
    assert gc.isenabled()
    gc.disable()
    try:
        CLF.classify_many(["太贵"])
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_long_texts_take_linear_time() -> None:
    # 300,000 characters with 30,000 hits, negations, shouting and exclamation runs,
    # read in full (above the default limit of MAX_TEXT_CHARS).
    text = "服務態度太差，不太贵！！ NOT rude, REFUND now 😡 " * 7500
    whole = LexiconClassifier({"max_chars": 1_000_000})
    started = time.perf_counter()
    analysis = whole.classify(text)
    assert time.perf_counter() - started < 10.0
    assert analysis.truncated_at is None
    assert len(analysis.negated) == 15000
    assert len(analysis.signals["refund"]) == 7500


def test_classify_rejects_non_text() -> None:
    with pytest.raises(TypeError, match="must be a str"):
        CLF.classify(b"bytes")  # type: ignore[arg-type]


# --- the result model ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["服務態度太差，我要退貨！！😡", "Not expensive, no problem. WORST SERVICE EVER", ""]
)
def test_text_analysis_round_trips_through_json(text: str) -> None:
    analysis = CLF.classify(text)
    dumped = analysis.model_dump_json()
    assert TextAnalysis.model_validate_json(dumped) == analysis
    assert TextAnalysis.model_validate(analysis.model_dump()) == analysis
    for spans in json.loads(dumped)["signals"].values():
        assert set(spans[0]) == {"start", "end", "text"}


def test_text_analysis_is_frozen_and_validated() -> None:
    analysis = CLF.classify("太贵")
    with pytest.raises(ValidationError):
        analysis.top_category = "none"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="sum to 1"):
        TextAnalysis(categories={"overcharging": 0.5}, top_category="overcharging")
    with pytest.raises(ValidationError, match="unknown category"):
        TextAnalysis(categories={"rudeness": 1.0}, top_category="none")
    with pytest.raises(ValidationError, match="below the maximum"):
        TextAnalysis(categories={"overcharging": 0.9, "none": 0.1}, top_category="none")
    with pytest.raises(ValidationError, match="unknown signal"):
        TextAnalysis(categories={"none": 1.0}, top_category="none", signals={"rage": ()})
    with pytest.raises(ValidationError, match="does not fit"):
        TextAnalysis(
            categories={"none": 1.0},
            top_category="none",
            signals={"refund": ({"start": 0, "end": 3, "text": "退款"},)},
        )
    bare = TextAnalysis(categories={"none": 1.0}, top_category="none", signals={"refund": ()})
    assert bare.signals == {}


def test_from_scores_for_plugged_in_classifiers() -> None:
    analysis = TextAnalysis.from_scores(
        {"long_wait": 3, "none": 1},
        language="en",
        signals={"late_delivery": (Span(0, 4, "late"),)},
    )
    assert analysis.categories["long_wait"] == 0.75
    assert analysis.found_signals == ("late_delivery",)
    assert TextAnalysis.from_scores({}).categories[NONE] == 1.0
    with pytest.raises(ValueError, match="unknown category"):
        TextAnalysis.from_scores({"rude": 1})
    with pytest.raises(ValueError, match="finite and >= 0"):
        TextAnalysis.from_scores({"long_wait": -1})


def test_text_classifier_protocol() -> None:
    class KeywordModel:
        def classify(self, text: str) -> TextAnalysis:
            return TextAnalysis.from_scores({"long_wait": 1.0 if "slow" in text else 0.0})

        def classify_many(self, texts: Iterable[str]) -> list[TextAnalysis]:
            return [self.classify(t) for t in texts]

    assert isinstance(CLF, TextClassifier)
    assert isinstance(KeywordModel(), TextClassifier)
    assert not isinstance(object(), TextClassifier)

    def top(classifier: TextClassifier, text: str) -> str:
        return classifier.classify(text).top_category

    assert top(KeywordModel(), "so slow") == top(CLF, "so slow") == "long_wait"


# --- configuration ---------------------------------------------------------------------


def test_config_extends_the_lexicons() -> None:
    clf = LexiconClassifier(
        LexiconConfig(
            extra_terms={
                "zh": {"price": {"砍一刀": 3}, "long_wait": {"磨洋工": 3}},
                "en": {"competitor": {"go to costco*": 3}},
                "any": {"anger": {"💀": 2}},
            }
        )
    )
    analysis = clf.classify("師傅磨洋工，还让我砍一刀💀 I'll go to Costco instead")
    assert analysis.top_category == "long_wait"
    assert _texts(analysis.signals["price"]) == ["砍一刀"]
    assert _texts(analysis.signals["competitor"]) == ["go to Costco"]
    assert _texts(analysis.signals["anger"]) == ["💀"]
    assert not CLF.classify("磨洋工").is_complaint


def test_config_traditional_and_full_width_terms_are_folded() -> None:
    clf = LexiconClassifier({"extra_terms": {"zh": {"long_wait": {"慢吞吞的師傅": 5}}}})
    assert clf.classify("慢吞吞的师傅").top_category == "long_wait"


def test_config_overrides_weights_disables_terms_and_adds_negators() -> None:
    heavier = LexiconClassifier({"extra_terms": {"zh": {"overcharging": {"太贵": 9}}}})
    assert heavier.classify("太贵").categories["overcharging"] == pytest.approx(0.9)
    disabled = LexiconClassifier({"disabled_terms": ["太贵"]})
    assert not disabled.classify("太贵").is_complaint
    negators = LexiconClassifier({"extra_negators": {"en": ["hardly"], "zh": ["冇"]}})
    assert negators.classify("冇太贵").negated
    no_negation = LexiconClassifier({"negation": False})
    assert no_negation.classify("不太贵").top_category == "overcharging"
    only_extra = LexiconClassifier(
        {"use_builtin_lexicons": False, "extra_terms": {"en": {"untrue": {"made it up": 3}}}}
    )
    assert only_extra.lexicon.size == 1
    assert only_extra.classify("太贵 made it up").top_category == "untrue"


def test_config_scoring_knobs() -> None:
    strict = LexiconClassifier({"none_weight": 10})
    assert not strict.classify("太贵").is_complaint
    smoothed = LexiconClassifier({"prior": 0.1})
    assert smoothed.classify("").categories["overcharging"] > 0
    quiet = LexiconClassifier({"exclamation_weight": 0, "caps_weight": 0})
    assert not quiet.classify("NEVER!!!").has_signal("anger")


def test_equal_configs_share_one_compiled_lexicon() -> None:
    a = LexiconClassifier({"prior": 0.2})
    b = LexiconClassifier(LexiconConfig(prior=0.2))
    assert a.lexicon is b.lexicon
    assert a.config == b.config


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"none_weight": 0}, "none_weight"),
        ({"prior": -1}, "prior"),
        ({"anger_scale": math.inf}, "anger_scale"),
        ({"colour": "red"}, "colour"),
        ({"extra_terms": {"fr": {"price": {"cher": 1}}}}, "extra_terms.fr"),
        ({"extra_terms": {"en": {"rudeness": {"rude": 1}}}}, "extra_terms.en.rudeness"),
        ({"extra_terms": {"en": {"price": {"cheap": 0}}}}, "extra_terms.en.price.cheap"),
        ({"extra_terms": {"en": {"price": {"*cheap": 1}}}}, "extra_terms.en.price"),
        ({"extra_terms": {"en": {"price": {"  ": 1}}}}, "extra_terms.en.price"),
        ({"disabled_terms": [""]}, "disabled_terms.0"),
        ({"extra_negators": {"de": ["nicht"]}}, "extra_negators.de"),
    ],
)
def test_bad_config_is_rejected_naming_the_field(config: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        LexiconClassifier(config)
    locations = [".".join(str(p) for p in e["loc"]) for e in caught.value.errors()]
    assert any(loc.startswith(field) for loc in locations), locations


# --- lexicon data ------------------------------------------------------------------------


def test_builtin_lexicons_are_package_data_and_cover_every_code() -> None:
    folder = resources.files("custcare.text").joinpath("lexicons")
    assert sorted(p.name for p in folder.iterdir() if p.name.endswith(".json")) == sorted(
        f"{name}.json" for name in BUILTIN_LEXICONS
    )
    for language in ("zh", "en"):
        lexicon = load_lexicon(language)
        assert lexicon.language == language
        assert set(lexicon.categories) == set(CATEGORY_CODES)
        assert set(lexicon.signals) == set(SIGNAL_CODES)
        assert lexicon.negation is not None
        assert all(term == " ".join(term.split()) for _c, term, _w in lexicon.terms())
    assert load_lexicon("zh") is load_lexicon("zh")
    with pytest.raises(ValueError, match="unknown lexicon"):
        load_lexicon("fr")


def test_signal_enum_labels_every_signal() -> None:
    assert [s.value for s in TextSignal] == list(SIGNAL_CODES)
    assert all(s.label_zh and s.label_en for s in TextSignal)
    assert str(TextSignal.SAFETY) == "safety"


# --- properties ----------------------------------------------------------------------------

_TERMS = sorted(
    {t.rstrip("*") for name in BUILTIN_LEXICONS for _c, t, _w in load_lexicon(name).terms()}
)
_PIECES = st.one_of(
    st.sampled_from(_TERMS),
    st.text(max_size=6),
    st.sampled_from(["不", "没", "not ", "!!", "！", "，", " ", "😡", "ＡＢ", "貨", "NEVER "]),
)
_TEXTS = st.one_of(st.text(), st.lists(_PIECES, max_size=12).map("".join))


@given(_TEXTS)
def test_any_text_gives_a_valid_distribution_and_faithful_spans(text: str) -> None:
    analysis = CLF.classify(text)
    assert tuple(analysis.categories) == CATEGORY_CODES
    assert all(0.0 <= p <= 1.0 for p in analysis.categories.values())
    assert abs(sum(analysis.categories.values()) - 1.0) <= 1e-9
    assert analysis.categories[analysis.top_category] == max(analysis.categories.values())
    assert 0.0 <= analysis.anger_intensity <= 1.0
    spans = [
        *analysis.negated,
        *(s for v in analysis.signals.values() for s in v),
        *(s for v in analysis.category_evidence.values() for s in v),
    ]
    for span in spans:
        assert 0 <= span.start < span.end <= len(text)
        assert text[span.start : span.end] == span.text
    assert len(normalise(text)) == len(text)


@given(_TEXTS)
def test_classify_agrees_with_the_lexicon_scan(text: str) -> None:
    analysis = CLF.classify(text)
    hits = CLF.lexicon.scan(normalise(text))
    assert _texts(analysis.negated) == [text[s:e] for s, e, term, negated in hits if negated]
    counted = {(s.start, s.end) for v in analysis.category_evidence.values() for s in v}
    counted |= {(s.start, s.end) for v in analysis.signals.values() for s in v}
    assert counted >= {(s, e) for s, e, term, negated in hits if term is not None and not negated}


@given(_TEXTS, st.sampled_from(["我昨天在店里买的。", "I bought it last week. "]))
def test_a_neutral_sentence_before_or_after_removes_no_signal(text: str, neutral: str) -> None:
    found = set(CLF.classify(text).found_signals)
    assert found <= set(CLF.classify(neutral + text).found_signals)
    tail = "。" + neutral if neutral.startswith("我") else ". " + neutral
    assert found <= set(CLF.classify(text + tail).found_signals)
