"""Fit a lens's relevance model on the whole labeled days (`usul train`), and the fitters that
`usul eval` refits on every leave-one-day-out fold.

The model is a logistic regression (`streams.stages.relevance`) over the classify stage's rule
features and, optionally, an embedding of title and lead. Its threshold is fitted on the training
days alone, by an inner leave-one-day-out: each training day is predicted by a model fitted on the
others (less the items they share with it), and the bar is the one that gives those out-of-fold
predictions the best F1.
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
from streams.stages.relevance import RelevanceModel, model_text

__all__ = ["DECIDERS", "Featuriser", "fit_model", "fitter", "main"]

# The deciders `usul eval --decider` can compare: None is the term rules alone, nothing fitted.
DECIDERS: dict[str, tuple[str | None, ...]] = {"rules": (), "rules-lr": (None,), "hashed-lr": ("hashed",),
                                                "static-lr": ("static",)}
L2 = 1.0  # ridge penalty on the summed log-loss: the weights of a few hundred positives stay small
THRESHOLDS = np.round(np.arange(0.05, 0.951, 0.01), 2)


@dataclass(frozen=True)
class Rows:
    """Training rows: the items that name AI at all (the others are never asked about)."""

    rules: np.ndarray  # n x rule features
    texts: list[str]
    labels: np.ndarray  # bool
    days: list[str]
    keys: list[set[str]]
    ids: list[str]  # what the fits are memoised by: the same rows in the same order give the same model


class Featuriser:
    """Rule features and embeddings of labeled items, each computed once for every fold, and the
    inner folds' models: inner fold (A, B) of outer fold A usually trains on the very rows of
    inner fold (A, B) of outer fold B, so half of a LODO's fits are repeats."""

    def __init__(self, lens: Lens) -> None:
        self.lens = lens
        self._rules: dict[tuple[str, str], tuple[list[float], str] | None] = {}
        self._embedded: dict[tuple[str, str], np.ndarray] = {}
        self.inner_fits: dict[tuple[object, ...], RelevanceModel] = {}

    def rows(self, items: Sequence[LabeledItem]) -> Rows:
        kept = [(i, f) for i in items if (f := self._of(i)) is not None]
        return Rows(np.array([f[0] for _, f in kept], dtype=np.float64).reshape(len(kept), -1),
                    [f[1] for _, f in kept], np.array([i.relevant for i, _ in kept], dtype=bool),
                    [i.day for i, _ in kept], [i.keys for i, _ in kept],
                    [f"{i.day} {i.item.id}" for i, _ in kept])

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
            features = rule_features(title, text, raw.source, raw.url, raw.kind, raw.lang, self.lens)
            self._rules[key] = None if features is None else (features, model_text(title, text))
        return self._rules[key]


def fit_model(rows: Rows, featuriser: Featuriser, embedding: str | None, l2: float = L2,
              meta: dict[str, object] | None = None) -> RelevanceModel:
    """Weights on every row; the threshold from the rows' inner leave-one-day-out."""
    threshold = _inner_threshold(rows, featuriser, embedding, l2)
    return _fitted(rows, featuriser, embedding, l2, threshold, meta or {})


def fitter(featuriser: Featuriser, embedding: str | None, l2: float = L2) -> Fitter:
    """What `streams.ops.lodo` calls on each fold: the lens with a model fitted on the fold."""
    def fit(items: Sequence[LabeledItem], lens: Lens) -> Lens:
        model = fit_model(featuriser.rows(items), featuriser, embedding, l2)
        return lens.model_copy(update={"relevance_model": model.to_dict()})
    return fit


def _fitted(rows: Rows, featuriser: Featuriser, embedding: str | None, l2: float, threshold: float,
            meta: dict[str, object]) -> RelevanceModel:
    mean = rows.rules.mean(axis=0)
    scale = rows.rules.std(axis=0)
    scale[scale == 0] = 1.0
    x = _inputs(rows, featuriser, embedding, mean, scale)
    coef, bias = _logistic(x, rows.labels, l2)
    return RelevanceModel(feature_names(featuriser.lens), mean, scale, coef, bias, threshold, embedding, meta)


def _inputs(rows: Rows, featuriser: Featuriser, embedding: str | None, mean: np.ndarray,
            scale: np.ndarray) -> np.ndarray:
    x = (rows.rules - mean) / scale
    if embedding is None:
        return x
    return np.hstack([x, featuriser.embedded(embedding, rows.texts).astype(np.float64)])


def _logistic(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    """L2-penalised logistic regression by L-BFGS from zero: deterministic for the same rows."""
    target = y.astype(np.float64)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ w[:-1] + w[-1]
        p = 1.0 / (1.0 + np.exp(-z))
        value = float(np.sum(np.logaddexp(0.0, z) - target * z) + 0.5 * l2 * w[:-1] @ w[:-1])
        residual = p - target
        grad = np.concatenate([x.T @ residual + l2 * w[:-1], [residual.sum()]])
        return value, grad

    # One BLAS thread: on a few thousand rows, threads cost more in hand-offs than they save, and on
    # a shared machine they wait on each other (a fit took four times as long with two).
    with threadpool_limits(limits=1, user_api="blas"):
        result = minimize(loss, np.zeros(x.shape[1] + 1), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return result.x[:-1], float(result.x[-1])


def _inner_threshold(rows: Rows, featuriser: Featuriser, embedding: str | None, l2: float) -> float:
    """The bar that gives the best F1 to predictions of each training day by the other days."""
    predicted = np.zeros(len(rows.labels))
    for day in sorted(set(rows.days)):
        held = [d == day for d in rows.days]
        banned = set().union(*(k for k, h in zip(rows.keys, held, strict=True) if h))
        train = [not h and banned.isdisjoint(k) for k, h in zip(rows.keys, held, strict=True)]
        model = _inner_fit(_subset(rows, train), featuriser, embedding, l2)
        x = _inputs(_subset(rows, held), featuriser, embedding, model.mean, model.scale)
        predicted[np.array(held)] = 1.0 / (1.0 + np.exp(-(x @ model.coef + model.bias)))
    return float(max(THRESHOLDS, key=lambda t: (_f1(rows.labels, predicted >= t), -t)))


def _inner_fit(rows: Rows, featuriser: Featuriser, embedding: str | None, l2: float) -> RelevanceModel:
    key = (embedding, l2, tuple(rows.ids))
    if key not in featuriser.inner_fits:
        featuriser.inner_fits[key] = _fitted(rows, featuriser, embedding, l2, 0.5, {})
    return featuriser.inner_fits[key]


def _subset(rows: Rows, mask: Sequence[bool]) -> Rows:
    index = np.flatnonzero(np.asarray(mask))
    return Rows(rows.rules[index], [rows.texts[i] for i in index], rows.labels[index],
                [rows.days[i] for i in index], [rows.keys[i] for i in index], [rows.ids[i] for i in index])


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
    parser.add_argument("--decider", choices=sorted(set(DECIDERS) - {"rules"}), default="static-lr")
    parser.add_argument("--out", type=Path, help=f"model file (default: lenses/<lens>{MODEL_SUFFIX})")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        parser.error(f"no item directory {args.data}")
    lens = load_lens(args.lens).model_copy(update={"relevance_model": None})  # features come from the rules
    by_day = labeled_days(args.labels, args.data, lens)
    items = [i for day in sorted(by_day) for i in by_day[day]]
    featuriser = Featuriser(lens)
    rows = featuriser.rows(items)
    (embedding,) = DECIDERS[args.decider]
    meta = {"decider": args.decider, "days": sorted(by_day), "items": len(items), "asked": len(rows.labels),
            "relevant": int(rows.labels.sum()), "l2": L2, "distinct keys": len(leakage_keys(items))}
    model = fit_model(rows, featuriser, embedding, L2, meta)
    out = args.out or LENS_DIR / f"{args.lens}{MODEL_SUFFIX}"
    out.write_text(json.dumps(model.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{out.name}: {args.decider}, threshold {model.threshold:.2f}, fitted on {len(rows.labels)} items "
          f"({int(rows.labels.sum())} relevant) of {len(by_day)} days")
    return 0
