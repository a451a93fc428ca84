"""Stage 4 — cluster claims across articles and pick cross-source candidate pairs.

Clustering: scikit-learn agglomerative clustering, average linkage on cosine
distance (deterministic, no random init). Candidate pairs: claim pairs from
*different* documents whose cosine similarity passes ``pair_min_similarity``,
found by exact search within a story (:func:`neighbours`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .records import Claim, Cluster


# Stories with at least this many claims are clustered part by part (see _labels); smaller ones
# in one piece, as before.
SPLIT_MIN_CLAIMS = 2000


def _average_linkage(vecs: np.ndarray, distance: float) -> np.ndarray:
    if len(vecs) == 1:
        return np.zeros(1, dtype=int)
    from sklearn.cluster import AgglomerativeClustering

    return AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                   distance_threshold=distance).fit_predict(vecs)


def _labels(vecs: np.ndarray, distance: float) -> np.ndarray:
    """Average-linkage cluster labels at ``distance``.

    Average linkage is quadratic in memory and at least quadratic in time: one 1.2 MB article
    (14,500 claims, one story) took 22 s and 1.8 GB here, a 5 MB one would need ~30 GB. But two
    clusters merge only if their *average* distance is under the threshold, so only if some
    pair across them is: clusters never span two connected components of the graph "cosine
    distance <= threshold" (a little over it, against rounding). Large stories are therefore
    split into those components (found in chunks, sparse) and each is clustered alone: the
    same clusters, at the cost of the largest component (a few hundred claims on real news)."""
    n = len(vecs)
    if n < SPLIT_MIN_CLAIMS:
        return _average_linkage(vecs, distance)
    from scipy.sparse.csgraph import connected_components
    from sklearn import config_context
    from sklearn.neighbors import radius_neighbors_graph

    with config_context(working_memory=128):  # distance rows in 128 MB chunks (sklearn's default: 1 GB)
        graph = radius_neighbors_graph(vecs, radius=distance + 1e-6, metric="cosine", mode="connectivity",
                                       include_self=False)
    _, comp = connected_components(graph, directed=False)
    labels = np.empty(n, dtype=int)
    order = np.argsort(comp, kind="stable")
    bounds = np.flatnonzero(np.diff(comp[order])) + 1
    nxt = 0
    for idx in np.split(order, bounds):
        sub = _average_linkage(vecs[idx], distance)
        labels[idx] = sub + nxt
        nxt += int(sub.max()) + 1
    return labels


def cluster_claims(claims: list[Claim], vecs: np.ndarray, distance: float, first_id: int = 0) -> list[Cluster]:
    if not claims:
        return []
    labels = _labels(vecs, distance)
    groups: dict[int, list[int]] = {}
    for i, lab in enumerate(labels):
        groups.setdefault(int(lab), []).append(i)
    # stable ids: order clusters by their first claim
    ordered = sorted(groups.values(), key=lambda idx: idx[0])
    out = []
    for cid, idx in enumerate(ordered):
        docs = sorted({claims[i].doc for i in idx})
        out.append(Cluster(id=first_id + cid, claim_ids=tuple(claims[i].id for i in idx), docs=tuple(docs)))
    return out


# Two claims with the same statement key (checker.textnorm.statement_key: they differ in case,
# punctuation or spacing only) count as one statement where their cosine reaches this (it always
# does for such texts with a sentence embedder; the floor keeps the rule from resting on the key alone).
SAME_TEXT_MIN_COS = 0.9


@dataclass
class Neighbours:
    """Per claim of a story: ``idx``/``cos`` its nearest cross-article neighbours (indices,
    nearest first, one per distinct statement other than its own) and their cosines, and
    ``first`` the earliest earlier claim of another article that makes the same statement (-1: none);
    ``key`` per claim its statement (:func:`statement_ids`; with ``distinct=False`` each claim its own)."""

    idx: list[np.ndarray]
    cos: list[np.ndarray]
    first: np.ndarray
    key: np.ndarray


def statement_ids(texts) -> np.ndarray:
    """One integer per distinct :func:`~checker.textnorm.statement_key` (first-seen order)."""
    from .textnorm import statement_key

    return _ids(statement_key(t) for t in texts)


def _ids(values) -> np.ndarray:
    ids: dict = {}
    return np.array([ids.setdefault(v, len(ids)) for v in values], dtype=np.int64)


def neighbours(vecs: np.ndarray, groups, texts, min_sim: float, k: int, ref=None, distinct: bool = True,
               rows_at_once: int = 512) -> Neighbours:
    """Exact nearest-neighbour search within a story (cosine of unit vectors), in row blocks so
    the story's similarity matrix is never held whole. Candidates: claims of another article
    (``groups``: per claim its article, or the one it duplicates), never two reference claims,
    cosine >= ``min_sim``. ``distinct``: a claim's k neighbours are k distinct statements other
    than its own, each at its nearest copy; a statement repeated in many articles (a wire
    sentence, "Scroll down for video.") is one statement, and its copies are linked to its
    first copy instead (``first``). ``distinct=False``: the k nearest claims, copies or not."""
    n = len(vecs)
    gid = _ids(groups)
    key = statement_ids(texts) if distinct else np.arange(n)
    ref = np.zeros(n, dtype=bool) if ref is None else np.asarray(ref, dtype=bool)
    idx, cos, first = [], [], np.full(n, -1, dtype=np.int64)
    for s0 in range(0, n, rows_at_once):
        sims = vecs[s0:s0 + rows_at_once] @ vecs.T
        for r in range(len(sims)):
            i, row = s0 + r, sims[r]
            ok = (gid != gid[i]) & ~(ref & ref[i])
            if distinct:
                same = np.flatnonzero(ok[:i] & (key[:i] == key[i]) & (row[:i] >= SAME_TEXT_MIN_COS))
                if len(same):
                    first[i] = same[0]
                ok &= key != key[i]
            near = nearest_distinct(row, np.flatnonzero(ok & (row >= min_sim)), key, k)
            idx.append(near)
            cos.append(row[near].astype(np.float32))
    return Neighbours(idx, cos, first, key)


def nearest_distinct(row: np.ndarray, cand: np.ndarray, key, k: int) -> np.ndarray:
    """The nearest of ``cand`` (by ``row``; ties: the lower index), one per ``key`` (an array, or
    a function of the index: computed only for the claims looked at), at most k."""
    if callable(key):
        key = _Lazy(key)
    m = min(len(cand), 4 * k)
    while m:
        part = cand if m >= len(cand) else cand[np.argpartition(-row[cand], m - 1)[:m]]
        order = part[np.lexsort((part, -row[part]))]
        out, seen = [], set()
        for j in order:
            if key[j] not in seen:
                seen.add(key[j])
                out.append(j)
                if len(out) == k:
                    return np.array(out, dtype=np.int64)
        if m >= len(cand):
            return np.array(out, dtype=np.int64)
        m = min(len(cand), 4 * m)
    return np.zeros(0, dtype=np.int64)


class _Lazy:
    def __init__(self, f):
        self.f = f

    def __getitem__(self, j):
        return self.f(int(j))


def candidate_pairs(claims: list[Claim], vecs: np.ndarray, clusters: list[Cluster],
                    min_sim: float, per_claim: int, mates_per_claim: int | None = None,
                    groups: list | None = None, nbrs: Neighbours | None = None) -> list[tuple[int, int, float]]:
    """(i, j, cosine) with i < j, claims of different articles, never article vs itself.

    A pair qualifies if either claim is among the other's ``per_claim`` nearest cross-article
    neighbours with cosine >= ``min_sim`` (:func:`neighbours`: distinct statements), or if the
    two share a cluster and the earlier one (i) is among the later one's (j) cluster mates it
    pairs with (:func:`nearest_mates`: the nearest of the earlier claims of its cluster, one per
    distinct statement other than its own, at most ``mates_per_claim``), or if j makes the same
    statement as i and i is the earliest claim of another article that makes it (one same-text
    pair per copy: a sentence in 500 articles is 499 pairs, not 124,750). ``mates_per_claim``
    None: every cluster mate and the k nearest claims, copies or not (the unbounded rule).
    Claims of one article, or of an article and its duplicate (``groups``: per claim, its article
    or the one it duplicates), never pair; reference-vs-reference pairs are skipped.
    """
    n = len(claims)
    groups = list(groups) if groups is not None else [c.doc for c in claims]
    if n < 2 or len(set(groups)) < 2:  # one article: no pair can qualify (no search)
        return []
    bounded = mates_per_claim is not None
    ref = np.array([c.role == "reference" for c in claims])
    texts = [c.text for c in claims]
    if nbrs is None:
        nbrs = neighbours(vecs, groups, texts, min_sim, per_claim, ref, distinct=bounded)
    pairs: dict[tuple[int, int], float] = {}
    for i in range(n):
        for j, sim in zip(nbrs.idx[i], nbrs.cos[i]):
            pairs[(min(i, int(j)), max(i, int(j)))] = float(sim)
        if nbrs.first[i] >= 0:
            f = int(nbrs.first[i])
            pairs.setdefault((f, i), float(vecs[f] @ vecs[i]))
    garr = np.array(groups, dtype=object)
    cluster_of = {cid: cl.id for cl in clusters for cid in cl.claim_ids}
    by_cluster: dict[int, list[int]] = {}
    for i, c in enumerate(claims):
        by_cluster.setdefault(cluster_of[c.id], []).append(i)
    for members in by_cluster.values():
        m = np.array(members)
        for y in range(1, len(members)):
            j = members[y]
            earlier = m[:y][(garr[m[:y]] != groups[j]) & ~(ref[m[:y]] & ref[j])]
            if bounded:
                earlier = earlier[nbrs.key[earlier] != nbrs.key[j]]
            if not len(earlier):
                continue
            sims = vecs[earlier] @ vecs[j]
            for x in nearest_mates(sims, [texts[i] for i in earlier], mates_per_claim):
                i = int(earlier[x])
                pairs.setdefault((i, j), float(sims[x]))
    return sorted((i, j, s) for (i, j), s in pairs.items())


def nearest_mates(sims: np.ndarray, texts, limit: int | None) -> list[int]:
    """Which of a claim's earlier cluster mates (cosines ``sims``, their ``texts``, in claim
    order) it is paired with: nearest first (ties: the earlier), one per distinct statement
    (:func:`checker.textnorm.statement_key`: near-copies of one article repeat a sentence in
    every copy, and one copy stands for them), at most ``limit``; None: all of them.

    Bounded, the pairs of a story grow with its claims, not with their square: a story of
    near-copies would otherwise pair every claim with every copy of it and of its variants."""
    if limit is None:
        return list(range(len(sims)))
    from .textnorm import statement_key

    out, seen = [], set()
    for x in np.argsort(-np.asarray(sims), kind="stable"):
        key = statement_key(texts[x])
        if key not in seen:
            seen.add(key)
            out.append(int(x))
            if len(out) == limit:
                break
    return out
