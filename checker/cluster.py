"""Stage 4 — cluster claims across articles and pick cross-source candidate pairs.

Clustering: scikit-learn agglomerative clustering, average linkage on cosine
distance (deterministic, no random init). Candidate pairs: claim pairs from
*different* documents whose cosine similarity passes ``pair_min_similarity``,
found with scikit-learn's exact nearest-neighbour search.
"""

from __future__ import annotations

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


def candidate_pairs(claims: list[Claim], vecs: np.ndarray, clusters: list[Cluster],
                    min_sim: float, per_claim: int, mates_per_claim: int | None = None,
                    groups: list | None = None) -> list[tuple[int, int, float]]:
    """(i, j, cosine) with i < j, claims of different articles, never article vs itself.

    A pair qualifies if either claim is among the other's ``per_claim`` nearest cross-article
    neighbours with cosine >= ``min_sim``, or if the two share a cluster and the earlier one
    (i) is among the later one's (j) cluster mates it pairs with (:func:`nearest_mates`: the
    nearest of the earlier claims of its cluster, one per distinct statement, at most
    ``mates_per_claim``; None: every mate). Claims of one article, or of an article and its
    duplicate (``groups``: per claim, its article or the one it duplicates), never pair;
    reference-vs-reference pairs are skipped.
    """
    n = len(claims)
    groups = list(groups) if groups is not None else [c.doc for c in claims]
    if n < 2 or len(set(groups)) < 2:  # one article: no pair can qualify (no search)
        return []
    from sklearn.neighbors import NearestNeighbors

    k = min(n, per_claim * 4 + 1)
    nn = NearestNeighbors(n_neighbors=k, metric="cosine", algorithm="brute").fit(vecs)
    dist, idx = nn.kneighbors(vecs)
    cluster_of = {cid: cl.id for cl in clusters for cid in cl.claim_ids}
    pairs: dict[tuple[int, int], float] = {}
    ref = np.array([c.role == "reference" for c in claims])
    garr = np.array(groups, dtype=object)

    def ok(i: int, j: int) -> bool:
        return groups[i] != groups[j] and not (ref[i] and ref[j])

    for i in range(n):
        taken = 0
        for d, j in zip(dist[i], idx[i]):
            j = int(j)
            sim = 1.0 - float(d)
            if j == i or not ok(i, j):
                continue
            if sim < min_sim or taken >= per_claim:
                break
            pairs[(min(i, j), max(i, j))] = sim
            taken += 1
    by_cluster: dict[int, list[int]] = {}
    for i, c in enumerate(claims):
        by_cluster.setdefault(cluster_of[c.id], []).append(i)
    for members in by_cluster.values():
        m = np.array(members)
        for y in range(1, len(members)):
            j = members[y]
            earlier = m[:y][(garr[m[:y]] != groups[j]) & ~(ref[m[:y]] & ref[j])]
            if not len(earlier):
                continue
            sims = vecs[earlier] @ vecs[j]
            for x in nearest_mates(sims, [claims[i].text for i in earlier], mates_per_claim):
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
