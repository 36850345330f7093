"""Fit a lens's relevance model on the whole labeled days (`usul train`), and the fitters that
`usul eval` refits on every leave-one-day-out fold.

The model is a logistic regression (`streams.stages.relevance`) over the classify stage's rule
features and, optionally, an embedding of title and lead. Its threshold is fitted on the training
days alone, by an inner leave-one-day-out: each training day is predicted by a model fitted on the
others (less the items they share with it), and the bar is the one that gives those out-of-fold
predictions the best F1 (for the deployed decider, the best mean of the days' F1: the measure
`usul eval` reports, in which a day of 1,700 items does not outvote one of 100).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from models.lens import Lens
from streams.lenses import DEFAULT_LENS, LENS_DIR, MODEL_SUFFIX, load_lens
from streams.ops.evaluate import DEFAULT_DATA, DEFAULT_LABELS, DayLabels
from streams.ops.lodo import Fitter, LabeledItem, day_items, leakage_keys
from streams.stages.classify import feature_names, rule_features
from streams.stages.embedding import embed
from streams.stages.normalise import clean_text
from streams.stages.relevance import RelevanceModel, model_text, origin_vector

__all__ = ["DECIDERS", "Decider", "Featuriser", "featuriser_for", "fit_model", "fitted_model", "fitter", "main"]

L2 = 1.0  # ridge penalty on the summed log-loss: the weights of a few hundred positives stay small
L2_GRID = (0.25, 1.0, 4.0)  # the penalties an inner leave-one-day-out chooses among
THRESHOLDS = np.round(np.arange(0.05, 0.951, 0.01), 2)


@dataclass(frozen=True)
class Decider:
    """How a relevance model is fitted."""

    embedding: str | None = None
    unanchored: bool = False  # asked about items that name no AI too
    l2s: tuple[float, ...] = (L2,)  # the penalties to choose among
    # the bar by the mean of the days' F1 (what the leave-one-day-out reports), not the pooled F1,
    # in which the days with the most items outvote the rest
    day_mean: bool = False
    equal_days: bool = False  # each training day weighs the same in the loss, whatever its size
    split: str | None = None  # a 0/1 rule feature under which the embedding has weights of its own
    origin: bool = False  # the item's source and site are inputs too (`relevance.origin_vector`)
    screen: str | None = None  # the embedding of a cheaper model that decides when sure (`RelevanceModel.screen`)


# The deciders `usul eval --decider` can compare; "rules" is the term rules alone, nothing fitted.
DECIDERS: dict[str, Decider] = {
    "rules": Decider(), "rules-lr": Decider(), "hashed-lr": Decider("hashed"), "static-lr": Decider("static"),
    "static-lr-all": Decider("static", unanchored=True), "static-lr-l2": Decider("static", l2s=L2_GRID),
    "static-lr-daymean": Decider("static", day_mean=True),
    "static-lr-daymean-l2": Decider("static", l2s=L2_GRID, day_mean=True),
    "static-lr-all-daymean": Decider("static", unanchored=True, day_mean=True),
    "static-lr-daymean-paper": Decider("static", day_mean=True, split="paper"),
    "static-hashed-lr-daymean": Decider("static+hashed", day_mean=True),
    "static-hashed-lr-daymean-l2": Decider("static+hashed", l2s=L2_GRID, day_mean=True),
    "use-hashed-lr-daymean": Decider("use+hashed", day_mean=True),
    "use-hashed-origin-lr-daymean": Decider("use+hashed", day_mean=True, origin=True),
    "use-hashed-origin-screened-lr-daymean": Decider("use+hashed", day_mean=True, origin=True, screen="hashed"),
    "static-lr-equaldays": Decider("static", day_mean=True, equal_days=True)}


@dataclass(frozen=True)
class Rows:
    """Training rows: the items the model is asked about (`classify.rule_features`)."""

    rules: np.ndarray  # n x rule features
    texts: list[str]
    labels: np.ndarray  # bool
    days: list[str]
    keys: list[set[str]]
    ids: list[str]  # what the fits are memoised by: the same rows in the same order give the same model
    origins: list[tuple[str, str]]  # source and URL


class Featuriser:
    """Rule features and embeddings of labeled items, each computed once for every fold, and the
    inner folds' models: inner fold (A, B) of outer fold A usually trains on the very rows of
    inner fold (A, B) of outer fold B, so half of a LODO's fits are repeats."""

    def __init__(self, lens: Lens, unanchored: bool = False, equal_days: bool = False,
                 split: str | None = None, origin: bool = False) -> None:
        self.lens = lens
        self.split = split  # (`Decider.split`)
        self.origin = origin  # (`Decider.origin`)
        self.unanchored = unanchored  # rows for items that name no AI too (`classify.rule_features`)
        self.equal_days = equal_days  # the fits weigh each day the same (`Decider.equal_days`)
        self._rules: dict[tuple[str, str], tuple[list[float], str] | None] = {}
        self._embedded: dict[tuple[str, str], np.ndarray] = {}
        self.inner_fits: dict[tuple[object, ...], RelevanceModel] = {}

    def rows(self, items: Sequence[LabeledItem]) -> Rows:
        kept = [(i, f) for i in items if (f := self._of(i)) is not None]
        return Rows(np.array([f[0] for _, f in kept], dtype=np.float64).reshape(len(kept), -1),
                    [f[1] for _, f in kept], np.array([i.relevant for i, _ in kept], dtype=bool),
                    [i.day for i, _ in kept], [i.keys for i, _ in kept],
                    [f"{i.day} {i.item.id}" for i, _ in kept], [(i.item.source, i.item.url) for i, _ in kept])

    def embedded(self, kind: str, texts: Sequence[str]) -> np.ndarray:
        for text in texts:
            if (kind, text) not in self._embedded:
                self._embedded[(kind, text)] = embed(kind, text)
        return np.array([self._embedded[(kind, t)] for t in texts], dtype=np.float32)

    def _of(self, labeled: LabeledItem) -> tuple[list[float], str] | None:
        key = (labeled.day, labeled.item.id)
        if key not in self._rules:
            raw = labeled.item
            title, text = clean_text(raw.title), clean_text(raw.text)  # as the enrich stage reads them
            features = rule_features(title, text, raw.source, raw.url, raw.kind, raw.lang, self.lens,
                                     self.unanchored)
            self._rules[key] = None if features is None else (features, model_text(title, text))
        return self._rules[key]


def featuriser_for(lens: Lens, decider: Decider) -> Featuriser:
    return Featuriser(lens, decider.unanchored, decider.equal_days, decider.split, decider.origin)


def fit_model(rows: Rows, featuriser: Featuriser, embedding: str | None, l2s: Sequence[float] = (L2,),
              meta: dict[str, object] | None = None, day_mean: bool = False) -> RelevanceModel:
    """Weights on every row; the threshold, and the penalty of `l2s`, that give the rows' inner
    leave-one-day-out predictions the best F1 (a tie: the larger penalty, the plainer model)."""
    _, threshold, l2 = max(((*_inner_threshold(rows, featuriser, embedding, v, day_mean), v) for v in l2s),
                           key=lambda r: (r[0], r[2]))
    return _fitted(rows, featuriser, embedding, l2, threshold, {**(meta or {}), "l2": l2})


def fitter(featuriser: Featuriser, decider: Decider) -> Fitter:
    """What `streams.ops.lodo` calls on each fold: the lens with a model fitted on the fold."""
    def fit(items: Sequence[LabeledItem], lens: Lens) -> Lens:
        model = fitted_model(featuriser.rows(items), featuriser, decider)
        return lens.model_copy(update={"relevance_model": model.to_dict()})
    return fit


def fitted_model(rows: Rows, featuriser: Featuriser, decider: Decider,
                 meta: dict[str, object] | None = None) -> RelevanceModel:
    """The decider's model on `rows`, behind its screen if it has one (fitted on the same rows
    with the same penalty; its own bar is never used, only its confident ends)."""
    model = fit_model(rows, featuriser, decider.embedding, decider.l2s, meta, decider.day_mean)
    if decider.screen is None:
        return model
    return model.screened_by(_fitted(rows, featuriser, decider.screen, float(model.meta["l2"]), 0.5, {}))


def _fitted(rows: Rows, featuriser: Featuriser, embedding: str | None, l2: float, threshold: float,
            meta: dict[str, object]) -> RelevanceModel:
    mean = rows.rules.mean(axis=0)
    scale = rows.rules.std(axis=0)
    scale[scale == 0] = 1.0
    x = _inputs(rows, featuriser, embedding, mean, scale)
    coef, bias = _logistic(x, rows.labels, l2, _day_weights(rows.days) if featuriser.equal_days else None)
    return RelevanceModel(feature_names(featuriser.lens), mean, scale, coef, bias, threshold, embedding, meta,
                          featuriser.unanchored, featuriser.split if embedding else None, featuriser.origin)


def _inputs(rows: Rows, featuriser: Featuriser, embedding: str | None, mean: np.ndarray,
            scale: np.ndarray) -> np.ndarray:
    parts = [(rows.rules - mean) / scale]
    if embedding is not None:
        vectors = featuriser.embedded(embedding, rows.texts).astype(np.float64)
        parts.append(vectors)
        if featuriser.split is not None:
            gate = rows.rules[:, feature_names(featuriser.lens).index(featuriser.split)]
            parts.append(gate[:, None] * vectors)
    if featuriser.origin:
        parts.append(np.array([origin_vector(*o) for o in rows.origins]).reshape(len(rows.origins), -1))
    return np.hstack(parts)


def _day_weights(days: Sequence[str]) -> np.ndarray:
    """Row weights under which every day weighs the same and the rows' total is unchanged."""
    names, index, counts = np.unique(np.asarray(days), return_inverse=True, return_counts=True)
    return (len(days) / (len(names) * counts))[index]


def _logistic(x: np.ndarray, y: np.ndarray, l2: float, weights: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """L2-penalised logistic regression by L-BFGS from zero: deterministic for the same rows."""
    target = y.astype(np.float64)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ w[:-1] + w[-1]
        p = 1.0 / (1.0 + np.exp(-z))
        terms = np.logaddexp(0.0, z) - target * z
        value = float(np.sum(terms if weights is None else weights * terms) + 0.5 * l2 * w[:-1] @ w[:-1])
        residual = p - target if weights is None else weights * (p - target)
        grad = np.concatenate([x.T @ residual + l2 * w[:-1], [residual.sum()]])
        return value, grad

    # One BLAS thread: on a few thousand rows, threads cost more in hand-offs than they save, and on
    # a shared machine they wait on each other (a fit took four times as long with two).
    with threadpool_limits(limits=1, user_api="blas"):
        result = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return result.x[:-1], float(result.x[-1])


def _inner_threshold(rows: Rows, featuriser: Featuriser, embedding: str | None, l2: float,
                     day_mean: bool = False) -> tuple[float, float]:
    """The best F1 of predictions of each training day by the other days (pooled, or the mean of
    the days'), and the bar that gives it."""
    predicted = np.zeros(len(rows.labels))
    for day in sorted(set(rows.days)):
        held = [d == day for d in rows.days]
        banned = set().union(*(k for k, h in zip(rows.keys, held, strict=True) if h))
        train = [not h and banned.isdisjoint(k) for k, h in zip(rows.keys, held, strict=True)]
        model = _inner_fit(_subset(rows, train), featuriser, embedding, l2)
        x = _inputs(_subset(rows, held), featuriser, embedding, model.mean, model.scale)
        predicted[np.array(held)] = 1.0 / (1.0 + np.exp(-(x @ model.coef + model.bias)))
    days = np.array(rows.days)
    groups = [days == d for d in sorted(set(rows.days))] if day_mean else [np.ones(len(days), dtype=bool)]

    def f1(t: float) -> float:
        return float(np.mean([_f1(rows.labels[g], predicted[g] >= t) for g in groups]))

    threshold = float(max(THRESHOLDS, key=lambda t: (f1(t), -t)))
    return f1(threshold), threshold


def _inner_fit(rows: Rows, featuriser: Featuriser, embedding: str | None, l2: float) -> RelevanceModel:
    key = (embedding, l2, tuple(rows.ids))
    if key not in featuriser.inner_fits:
        featuriser.inner_fits[key] = _fitted(rows, featuriser, embedding, l2, 0.5, {})
    return featuriser.inner_fits[key]


def _subset(rows: Rows, mask: Sequence[bool]) -> Rows:
    index = np.flatnonzero(np.asarray(mask))
    return Rows(rows.rules[index], [rows.texts[i] for i in index], rows.labels[index],
                [rows.days[i] for i in index], [rows.keys[i] for i in index], [rows.ids[i] for i in index],
                [rows.origins[i] for i in index])


def _f1(truth: np.ndarray, said: np.ndarray) -> float:
    tp = float(np.sum(truth & said))
    return 2 * tp / (float(truth.sum()) + float(said.sum())) if tp else 0.0


def labeled_days(labels_dir: Path, data: Path, lens: Lens) -> dict[str, list[LabeledItem]]:
    days = [DayLabels.read(p) for p in sorted(labels_dir.glob("day-*.json"))]
    return {d.day: day_items(d, data, lens) for d in days}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="usul train", description=__doc__.split("\n")[0])
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--lens", default=DEFAULT_LENS)
    parser.add_argument("--decider", choices=sorted(set(DECIDERS) - {"rules"}),
                        default="use-hashed-origin-screened-lr-daymean")
    parser.add_argument("--out", type=Path, help=f"model file (default: lenses/<lens>{MODEL_SUFFIX})")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        parser.error(f"no item directory {args.data}")
    lens = load_lens(args.lens).model_copy(update={"relevance_model": None})  # features come from the rules
    by_day = labeled_days(args.labels, args.data, lens)
    items = [i for day in sorted(by_day) for i in by_day[day]]
    decider = DECIDERS[args.decider]
    featuriser = featuriser_for(lens, decider)
    rows = featuriser.rows(items)
    meta = {"decider": args.decider, "days": sorted(by_day), "items": len(items), "asked": len(rows.labels),
            "relevant": int(rows.labels.sum()), "distinct keys": len(leakage_keys(items))}
    model = fitted_model(rows, featuriser, decider, meta)
    out = args.out or LENS_DIR / f"{args.lens}{MODEL_SUFFIX}"
    out.write_text(json.dumps(model.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{out.name}: {args.decider}, threshold {model.threshold:.2f}, fitted on {len(rows.labels)} items "
          f"({int(rows.labels.sum())} relevant) of {len(by_day)} days")
    return 0
