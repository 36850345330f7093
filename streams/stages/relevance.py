"""The fitted relevance model of a lens: logistic regression over the classify stage's rule
features and, optionally, an embedding of the item's title and lead. Pure: no faust, no I/O.

The model is data, not code: `usul train` fits it on the labeled days and writes it next to the
lens (`lenses/<slug>.model.json`, coefficients as numbers, no pickle), the lens loader reads it,
and the classify stage asks it for every item that names AI at all. Its threshold is fitted with
it, on the training days alone, so a held-out day never chooses its own bar.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from streams.stages.embedding import EMBEDDINGS, dimensions, embed

__all__ = ["FORMAT", "LEAD_CHARS", "ORIGIN_SLOTS", "SCREEN_BAND", "RelevanceModel", "model_text", "origin_vector"]

FORMAT = "usul-relevance-logistic-1"
LEAD_CHARS = 300  # the lead the embedding reads: headlines and first lines carry the subject
ORIGIN_SLOTS = 1024  # a few hundred sources and sites: few collisions
# Where a screen (a cheap model) leaves the item to the full model: between these probabilities.
# Over the 23 labeled days of the first fit, held out day by day, the cheap model's verdict outside
# this band agreed with the full model's often enough that the days' F1 did not move (0.672 both),
# and the encoder read a quarter of the asked items.
SCREEN_BAND = (0.1, 0.7)


def model_text(title: str, text: str) -> str:
    return f"{title}. {text[:LEAD_CHARS]}"


def origin_vector(source: str, url: str) -> np.ndarray:
    """Where an item comes from: its source's name and its link's site, one-hot in hashed slots.
    A vendor's blog, a subreddit of help requests and a news desk differ in how often what they
    post matters, whatever their words say; the weights are learned from the labeled days, and a
    source no labeled day holds adds nothing."""
    vector = np.zeros(ORIGIN_SLOTS)
    site = urlsplit(url).netloc.lower().removeprefix("www.")
    for token in [f"source:{source}"] + ([f"site:{site}"] if site else []):
        vector[zlib.crc32(token.encode()) % ORIGIN_SLOTS] = 1.0
    return vector


@dataclass(frozen=True)
class RelevanceModel:
    features: tuple[str, ...]  # names of the rule features, in the order the classify stage gives them
    mean: np.ndarray  # standardisation of the rule features
    scale: np.ndarray
    coef: np.ndarray  # rule features (standardised), then the embedding
    bias: float
    threshold: float  # an item is relevant from this probability up
    embedding: str | None = None
    meta: dict[str, Any] = field(default_factory=dict, compare=False)
    # asked about items of the lens's areas that name no AI too (a memory-chip shortage, a power
    # deal); otherwise only about items that name AI
    unanchored: bool = False
    # a 0/1 rule feature ("paper") under which the embedding gets weights of its own: papers are held
    # to a stricter bar than news (RELEVANCE.md, "arXiv is strict"), on the same words
    split: str | None = None
    origin: bool = False  # the item's source and site are inputs too (`origin_vector`)
    # a cheaper model (no encoder) that decides alone when it is sure, outside `band`: the
    # encoder costs a hundred times what the words do, and most items are plainly in or out
    screen: RelevanceModel | None = None
    band: tuple[float, float] = SCREEN_BAND

    def __post_init__(self) -> None:
        copies = 2 if self.split else 1
        width = len(self.features) + (copies * dimensions(self.embedding) if self.embedding else 0) + \
            (ORIGIN_SLOTS if self.origin else 0)
        if self.split is not None and self.split not in self.features:
            raise ValueError(f"unknown split feature {self.split!r}")
        if self.embedding is not None and self.embedding not in EMBEDDINGS:
            raise ValueError(f"unknown embedding {self.embedding!r}")
        if len(self.coef) != width or not len(self.mean) == len(self.features) == len(self.scale):
            raise ValueError(f"model shape: {len(self.coef)} coefficients for {width} inputs")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold {self.threshold} is not a probability")
        if self.screen is not None and not self.band[0] <= self.threshold <= self.band[1]:
            # outside the band the screen's probability stands for the model's: it must fall on
            # the same side of the bar as the screen's verdict
            raise ValueError(f"threshold {self.threshold} outside the screen's band {self.band}")

    def inputs(self, rules: Sequence[float], text: str, source: str = "", url: str = "") -> np.ndarray:
        """The model's input row: standardised rule features, the text's embedding, the origin."""
        parts = [(np.asarray(rules, dtype=np.float64) - self.mean) / self.scale]
        if self.embedding is not None:
            vector = embed(self.embedding, text)
            parts.append(vector)
            if self.split is not None:
                parts.append(rules[self.features.index(self.split)] * vector)
        if self.origin:
            parts.append(origin_vector(source, url))
        return np.concatenate(parts)

    def probability(self, rules: Sequence[float], text: str, source: str = "", url: str = "") -> float:
        if self.screen is not None:
            screened = self.screen.probability(rules, text, source, url)
            if not self.band[0] <= screened <= self.band[1]:
                return screened
        z = float(self.inputs(rules, text, source, url) @ self.coef) + self.bias
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def relevance(self, probability: float) -> float:
        """The probability on the stages' relevance scale, where 0.5 is the bar: the threshold maps
        to 0.5, below and above it linearly."""
        t = self.threshold
        return 0.5 * probability / t if probability < t else 0.5 + 0.5 * (probability - t) / (1.0 - t)

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "embedding": self.embedding, "threshold": round(self.threshold, 6),
                "bias": round(self.bias, 8), "features": list(self.features),
                "mean": _rounded(self.mean), "scale": _rounded(self.scale), "coef": _rounded(self.coef),
                "unanchored": self.unanchored, "split": self.split, "origin": self.origin, "meta": self.meta,
                **({"screen": self.screen.to_dict(), "band": list(self.band)} if self.screen else {})}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RelevanceModel:
        if data.get("format") != FORMAT:
            raise ValueError(f"relevance model format {data.get('format')!r}, expected {FORMAT!r}")
        return cls(tuple(map(str, data["features"])), np.asarray(data["mean"], dtype=np.float64),
                   np.asarray(data["scale"], dtype=np.float64), np.asarray(data["coef"], dtype=np.float64),
                   float(data["bias"]), float(data["threshold"]), data.get("embedding"), dict(data.get("meta", {})),
                   bool(data.get("unanchored", False)), data.get("split"), bool(data.get("origin", False)),
                   cls.from_dict(data["screen"]) if data.get("screen") else None,
                   tuple(map(float, data.get("band", SCREEN_BAND))))  # type: ignore[arg-type]

    def screened_by(self, screen: RelevanceModel) -> RelevanceModel:
        """This model behind `screen`, with the band widened to hold its threshold if need be."""
        band = (min(SCREEN_BAND[0], self.threshold), max(SCREEN_BAND[1], self.threshold))
        return replace(self, screen=screen, band=band)


def _rounded(values: np.ndarray) -> list[float]:
    # 8 significant digits: a diff of the model file shows real changes, not float noise
    return [float(f"{v:.8g}") for v in values.tolist()]
