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


def _copies(n_copies: int, variants: int):
    """A story of ``n_copies`` articles repeating one sentence (near-copies of one wire story), then
    ``variants`` articles each with an edited version of it: one claim cluster."""
    texts = ["The bridge will reopen on Monday after repairs, officials said."] * n_copies
    texts += [f"The bridge will reopen on {d} after repairs, officials said." for d in
              ("Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[:variants]]
    claims = []
    for k, t in enumerate(texts):
        s = Sentence(id=f"a{k}:0", doc=f"a{k}", text=t, start=0, end=len(t))
        claims.append(Claim(id=f"a{k}:0:0", doc=f"a{k}", role="article", text=t, sentence=s, speaker=None,
                            kind="sentence"))
    base = _vectors(1, 1, 0.0, seed=3)[0]
    rng = np.random.default_rng(4)
    vecs = []
    for k, t in enumerate(texts):
        v = base + (0.0 if k < n_copies else 0.05 * rng.normal(size=base.shape))
        vecs.append(v / np.linalg.norm(v))
    return claims, np.array(vecs, dtype=np.float32)


def test_cluster_mates_are_bounded_one_per_statement():
    """Near-copies: every claim paired with every copy is quadratic. Bounded, a claim pairs with
    its nearest earlier mates, one per distinct statement: each variant still meets the
    original sentence (the earliest copy stands for the others), and pairs grow linearly."""
    claims, vecs = _copies(40, 3)
    clusters = C.cluster_claims(claims, vecs, 0.45)
    assert len(clusters) == 1
    every = C.candidate_pairs(claims, vecs, clusters, 0.45, 1, None)
    assert len(every) == 43 * 42 // 2
    bounded = C.candidate_pairs(claims, vecs, clusters, 0.45, 1, 8)
    assert len(bounded) < 3 * 43
    for v in range(40, 43):  # each variant meets the original (in a0, the earliest copy) and the earlier variants
        assert (0, v) in {(i, j) for i, j, _ in bounded}
        assert all((w, v) in {(i, j) for i, j, _ in bounded} for w in range(40, v))
    # the limit counts distinct statements: at most 2 here for the copies, never 8 copies of one
    later = [i for i, j, _ in bounded if j == 39]
    assert len(later) <= 2
    assert C.nearest_mates(np.array([0.9, 0.99, 0.99, 0.5]), ["x", "y", "y.", "z"], 2) == [1, 0]


def test_duplicates_never_pair_and_leave_the_neighbour_slots_free():
    claims, vecs = _copies(3, 1)
    clusters = C.cluster_claims(claims, vecs, 0.45)
    groups = ["a0", "a0", "a2", "a3"]  # a1 duplicates a0
    pairs = {(i, j) for i, j, _ in C.candidate_pairs(claims, vecs, clusters, 0.45, 1, 8, groups)}
    assert (0, 1) not in pairs and (0, 3) in pairs


def test_a_repeated_statement_is_linked_to_its_first_copy_and_leaves_the_neighbour_slots_free():
    """A sentence in 50 articles ("Scroll down for video.", a wire paragraph) was 50*49/2 same-text
    pairs, and the copies filled every claim's neighbour slots. Now each copy pairs once, with the
    first copy, and a claim's neighbours are distinct statements other than its own."""
    claims, vecs = _copies(50, 2)
    clusters = C.cluster_claims(claims, vecs, 0.45)
    pairs = {(i, j) for i, j, _ in C.candidate_pairs(claims, vecs, clusters, 0.45, 1, 8)}
    same = {(i, j) for i, j in pairs if j < 50}
    assert same == {(0, j) for j in range(1, 50)}  # a star on the first copy: linear, not quadratic
    nb = C.neighbours(vecs, [c.doc for c in claims], [c.text for c in claims], 0.45, 1)
    assert all(int(nb.first[j]) == 0 for j in range(1, 50)) and nb.first[0] == -1
    # each copy's one neighbour slot goes to another statement (a variant), not to a copy
    assert all(len(nb.idx[j]) == 1 and nb.idx[j][0] >= 50 for j in range(50))
    assert (0, 50) in pairs and (0, 51) in pairs and (50, 51) in pairs
    # unbounded (mates_per_claim None): every pair, as before
    assert len(C.candidate_pairs(claims, vecs, clusters, 0.45, 1, None)) == 52 * 51 // 2
