"""The array MinHash gives, value for value, the signature datasketch gives for the same seed and
permutations: the signatures stories already hold stay comparable with new ones."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from datasketch import MinHash

from streams.ops.evaluate import DEFAULT_DATA
from streams.stages.normalise import clean_text
from streams.stages.story_text import NUM_PERM, SIGNATURE_SEED, shingles, signature

_REFERENCE = MinHash(num_perm=NUM_PERM, seed=SIGNATURE_SEED)


def _datasketch_signature(shingle_set: set[str]) -> list[int]:
    mh = MinHash(num_perm=NUM_PERM, seed=SIGNATURE_SEED, permutations=_REFERENCE.permutations, scheme="affine32")
    mh.update_batch([s.encode("utf-8") for s in sorted(shingle_set)])
    return [int(v) for v in mh.hashvalues]


def _real_shingle_sets() -> Iterator[set[str]]:
    for path in sorted(DEFAULT_DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                yield shingles(clean_text(str(row.get("title") or "")), clean_text(str(row.get("text") or "")))


@pytest.mark.skipif(not DEFAULT_DATA.is_dir(), reason=f"real data directory absent: {DEFAULT_DATA}")
def test_every_real_item_gets_the_datasketch_signature() -> None:
    items = 0
    for shingle_set in _real_shingle_sets():
        items += 1
        assert signature(shingle_set) == _datasketch_signature(shingle_set), sorted(shingle_set)[:5]
    assert items > 10_000


@pytest.mark.parametrize("shingle_set", [set(), {"one"}, {"openai", "顶级 模型 发布", "a b c", ""}])
def test_small_and_odd_sets_get_the_datasketch_signature(shingle_set: set[str]) -> None:
    got = signature(shingle_set)
    assert got == _datasketch_signature(shingle_set)
    assert len(got) == NUM_PERM and all(type(v) is int for v in got)  # stored as JSON numbers
