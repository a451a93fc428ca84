"""Issue 10b: large stories are clustered component by component, with the same clusters."""

from __future__ import annotations

import numpy as np
import pytest

import checker.cluster as C
from checker.records import Claim, Sentence


def _partition(labels) -> list[tuple[int, ...]]:
    groups: dict[int, list[int]] = {}
    for i, lab in enumerate(labels):
        groups.setdefault(int(lab), []).append(i)
    return sorted(tuple(g) for g in groups.values())


def _vectors(n: int, centres: int, noise: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(centres, 64))
    x = c[rng.integers(0, centres, n)] + noise * rng.normal(size=(n, 64))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("centres,noise,distance", [(60, 0.5, 0.45), (20, 0.8, 0.45), (5, 1.0, 0.6), (150, 0.3, 0.3)])
def test_split_clustering_gives_the_same_clusters(monkeypatch, centres, noise, distance):
    vecs = _vectors(700, centres, noise, seed=centres)
    whole = C._average_linkage(vecs, distance)
    monkeypatch.setattr(C, "SPLIT_MIN_CLAIMS", 2)
    split = C._labels(vecs, distance)
    assert _partition(split) == _partition(whole)
    assert 1 < len(set(whole.tolist())) < len(vecs)  # a real clustering, not all-one or all-single


def test_one_document_story_has_no_candidate_pairs():
    s = Sentence(id="d:0", doc="d", text="x", start=0, end=1)
    claims = [Claim(id=f"d:0:{i}", doc="d", role="article", text="x", sentence=s, speaker=None, kind="sentence")
              for i in range(5)]
    vecs = _vectors(5, 1, 0.01, seed=0)  # all alike: would pair if they were from two documents
    clusters = C.cluster_claims(claims, vecs, 0.45)
    assert C.candidate_pairs(claims, vecs, clusters, 0.45, 8) == []
    other = [Claim(id=f"e:0:{i}", doc="e", role="article", text="x", sentence=s, speaker=None, kind="sentence")
             for i in range(5)]
    assert C.candidate_pairs(claims + other, np.vstack([vecs, vecs]), C.cluster_claims(claims + other,
                             np.vstack([vecs, vecs]), 0.45), 0.45, 8)
