"""The two stages a store does differently from a one-shot run: story grouping and candidate
search for new articles, against what is stored (never against all of it).

``checker add`` reads new articles in *windows* (up to ``Config.add_window`` articles, in path order).

* **Stories** (:func:`plan_window`). Duplicates first (:func:`checker.stories.text_key`: the same
  normalised text as a stored or earlier article: its story, never compared with it). The other
  articles are grouped by the calibrated rule of :mod:`checker.stories` — similarity =
  ``stories.similarity`` (article vector and TF-IDF cosines), average linkage cut at
  ``story_max_distance`` — among themselves *and* with the stored stories near them: the
  stories of each article's ``STORY_NEIGHBOURS`` nearest stored articles in the ANN index
  (:mod:`checker.store.ann`), each represented by up to ``STORY_MAX_MEMBERS`` of its members.
  Stored stories never merge with each other and keep their members. When no stored story is
  near (an empty store), this is the one-shot grouping of the window (``Config.one_story``: one story).
* **Candidate pairs.** A story made only of new articles gets the pairs of a one-shot run
  (:func:`checker.pipeline.story_pairs`: claim clusters by average linkage, cluster mates plus
  each claim's ``max_pairs_per_claim`` nearest cross-article neighbours). A new article of a
  stored story is searched against that story's stored claims (:func:`stored_story_pairs`): its
  claims join the nearest claim cluster by the same average-linkage criterion (or start one) and
  pair with their nearest cluster mates of other articles (:func:`checker.cluster.nearest_mates`:
  one per distinct statement, at most ``max_mates_per_claim``), and with every stored claim where either is
  among the other's ``max_pairs_per_claim`` nearest cross-article neighbours (each stored claim
  keeps the cosines of its best neighbours, ``nn``); a claim whose statement is stored already
  pairs once with its earliest stored copy, and neighbours are distinct other statements (the
  rules of :func:`checker.cluster.candidate_pairs`). The search is exact over the story's claims.

So the cost of a new article depends on its story and its ``STORY_NEIGHBOURS`` neighbours, not
on the size of the store. Where results differ from one run over everything, and why: the
README ("The store").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..cluster import SAME_TEXT_MIN_COS, nearest_distinct, nearest_mates
from ..records import Claim, Document, Story
from ..stories import article_vectors, group, similarity
from ..textnorm import statement_key

# how many nearest stored articles (ANN) propose the stories a new article may join
STORY_NEIGHBOURS = 16
# a stored story takes part in grouping with at most this many of its members (those nearest to
# the window's articles), and a window with at most MAX_MEMBERS stored articles in all
STORY_MAX_MEMBERS = 32
MAX_MEMBERS = 4096


def article_vector(doc: Document, claims: list[Claim], vecs: np.ndarray) -> np.ndarray | None:
    """The article's unit mean claim embedding (None without claims)."""
    if not claims:
        return None
    return article_vectors([doc], claims, vecs)[0]


@dataclass
class WindowPlan:
    """Per window article (window order): its story id, whether that story is new (made of
    window articles only), and the article it duplicates ("stored" id or window index)."""

    story: list[int] = field(default_factory=list)
    new_story: list[bool] = field(default_factory=list)
    dup_stored: list[int | None] = field(default_factory=list)  # a stored article's id
    dup_window: list[int | None] = field(default_factory=list)  # an earlier window article
    stored_candidates: int = 0


def plan_window(store, docs: list[Document], text_keys: list[str], claims: list[Claim], vecs: np.ndarray,
                config) -> WindowPlan:
    """Duplicates and stories of a window of new articles (see the module docstring)."""
    plan = WindowPlan()
    first: dict[str, int] = {}
    reps = []
    for k, tk in enumerate(text_keys):
        stored = store.representative_of(tk)
        plan.dup_stored.append(stored[0] if stored else None)
        plan.dup_window.append(first.get(tk) if not stored else None)
        if stored is None and tk not in first:
            first[tk] = k
            reps.append(k)
    by_doc: dict[str, list[int]] = {}
    for i, c in enumerate(claims):
        by_doc.setdefault(c.doc, []).append(i)
    rep_docs = [docs[k] for k in reps]
    rep_vecs = article_vectors(rep_docs, claims, vecs)  # zeros for an article without claims
    with_claims = [x for x, d in enumerate(rep_docs) if by_doc.get(d.name)]
    # stored stories near the window's articles
    index = store.article_index()
    cand: list[int] = []
    if len(index):
        seen = set()
        for x in with_claims:
            ids, _ = index.search(rep_vecs[x], STORY_NEIGHBOURS)
            for sid in store.stories_of(ids).values():
                if sid is not None and sid not in seen:
                    seen.add(sid)
                    cand.append(sid)
    cand.sort()
    plan.stored_candidates = len(cand)
    label_of: dict[int, int] = {}  # window rep -> label (>= 0: stored story id; < 0: new group)
    if reps and getattr(config, "one_story", False) and not len(index):  # the user says: one story
        label_of = {k: -1 for k in reps}
    elif reps and not cand:
        labels = group(similarity(rep_vecs, rep_docs, config.story_tfidf_weight), config.story_max_distance)
        label_of = {k: -1 - lab for k, lab in zip(reps, labels)}
    elif reps:
        members, member_story, member_vecs = _members(store, cand, rep_vecs[with_claims])
        mdocs = store.documents(members)
        # the stored articles' vectors as stored (the same article_vectors of their claims)
        emb = np.concatenate([rep_vecs, member_vecs]) if members else rep_vecs
        sim = similarity(emb, rep_docs + mdocs, config.story_tfidf_weight)
        labels = constrained_average_linkage(np.clip(1.0 - sim, 0.0, 2.0), len(reps), member_story,
                                             config.story_max_distance)
        label_of = dict(zip(reps, labels))
    # story ids: stored stories keep theirs; new groups get fresh ids in order of their first article
    nxt = store.next_story_id()
    new_id: dict[int, int] = {}
    for k in range(len(docs)):
        if plan.dup_stored[k] is not None:
            sid, new = store.stories_of([plan.dup_stored[k]])[plan.dup_stored[k]], False
        else:
            lab = label_of[plan.dup_window[k] if plan.dup_window[k] is not None else k]
            if lab >= 0:
                sid, new = lab, False
            else:
                if lab not in new_id:
                    new_id[lab] = nxt
                    nxt += 1
                sid, new = new_id[lab], True
        plan.story.append(sid)
        plan.new_story.append(new)
    return plan


def _members(store, cand: list[int], window_vecs: np.ndarray) -> tuple[list[int], list[int], np.ndarray]:
    """The stored articles that stand for each candidate story (its STORY_MAX_MEMBERS members
    nearest to the window's articles with claims, ``window_vecs``), the story of each, and their
    article vectors."""
    centre = window_vecs if len(window_vecs) else None
    members, member_story, member_vecs = [], [], []
    cap = max(4, min(STORY_MAX_MEMBERS, MAX_MEMBERS // max(1, len(cand))))
    for sid in cand:
        mem = store.story_members(sid)
        if len(mem) > cap and centre is not None:
            near = np.array([float(np.max(centre @ v)) for _, v in mem])
            keep = sorted(np.argsort(-near, kind="stable")[:cap])
            mem = [mem[k] for k in keep]
        members += [m for m, _ in mem]
        member_story += [sid] * len(mem)
        member_vecs += [v for _, v in mem]
    return members, member_story, np.stack(member_vecs) if member_vecs else np.zeros((0, 1), dtype=np.float32)


def constrained_average_linkage(dist: np.ndarray, n_new: int, member_story: list[int], max_distance: float) -> list[int]:
    """Average-linkage agglomeration of ``n_new`` new items (the first rows of ``dist``) with
    fixed groups (the other rows: stored articles, ``member_story`` their story ids): two
    clusters merge while their average distance is below ``max_distance``, closest first,
    but two clusters that both hold stored articles never merge. Returns per new item the
    stored story it joined (>= 0) or a new group label (< 0)."""
    stories = sorted(set(member_story))
    n = n_new + len(stories)
    ms = np.asarray(member_story)
    sizes = np.ones(n)
    owner = np.full(n, -1)  # the stored story a cluster holds, -1: none
    # cluster-level average distances: new items are singletons, each stored story one cluster
    d = np.full((n, n), np.inf)
    d[:n_new, :n_new] = dist[:n_new, :n_new]
    for k, s in enumerate(stories):
        cols = n_new + np.flatnonzero(ms == s)
        d[:n_new, n_new + k] = d[n_new + k, :n_new] = dist[:n_new, cols].mean(axis=1)
        owner[n_new + k] = s
        sizes[n_new + k] = len(cols)
    np.fill_diagonal(d, np.inf)
    alive = np.ones(n, dtype=bool)
    parent = np.arange(n)
    while True:
        flat = int(np.argmin(d))
        a, b = divmod(flat, n)
        if not np.isfinite(d[a, b]) or d[a, b] >= max_distance:
            break
        a, b = min(a, b), max(a, b)
        row = (sizes[a] * d[a] + sizes[b] * d[b]) / (sizes[a] + sizes[b])
        sizes[a] += sizes[b]
        owner[a] = max(owner[a], owner[b])
        parent[parent == b] = a
        d[a, :] = row
        d[:, a] = row
        d[b, :] = np.inf
        d[:, b] = np.inf
        alive[b] = False
        d[a, a] = np.inf
        if owner[a] >= 0:  # no merge with another stored story
            other = np.flatnonzero(owner >= 0)
            d[a, other] = np.inf
            d[other, a] = np.inf
    out = []
    for k in range(n_new):
        root = parent[k]
        out.append(int(owner[root]) if owner[root] >= 0 else -1 - int(root))
    return out


def top_k(values, k: int) -> np.ndarray:
    """The k largest values, descending (float32)."""
    return np.sort(np.asarray(values, dtype=np.float32))[::-1][:k].copy()


def stored_story_pairs(sc: dict, doc_group: int | None, vecs: np.ndarray, texts: list[str], next_cluster, config):
    """Candidate pairs of a new article's claims (``vecs``, ``texts``) with the stored claims of
    its story (``sc`` = :meth:`SQLiteStore.story_claims`); ``doc_group`` = the stored article it
    duplicates (never paired with it nor its other duplicates), else None. ``next_cluster()``
    allocates a cluster id. Returns (pairs, clusters, nn, nn_updates): pairs = (stored claim row
    id, index of the new claim, cosine); clusters and nn per new claim; stored claim row id -> new
    nn list. The rules of :func:`checker.cluster.candidate_pairs`, against what is stored: one
    same-text pair with the earliest stored copy of the claim's statement, cluster mates and
    nearest neighbours among the *other* statements (one per statement), and the stored claims
    whose neighbour lists it enters (those of another statement)."""
    k, floor, cdist = config.max_pairs_per_claim, config.pair_min_similarity, config.cluster_distance
    bounded = config.max_mates_per_claim is not None
    rows, groups, clus, svecs = sc["rows"], sc["groups"], sc["clusters"].copy(), sc["vectors"]
    nn_old = {int(r): sc["nn"][x] for x, r in enumerate(rows)}
    ok = groups != doc_group if doc_group is not None else np.ones(len(rows), dtype=bool)
    sims = vecs @ svecs.T if len(rows) else np.zeros((len(vecs), 0), dtype=np.float32)

    def stored_key(x: int):
        return statement_key(sc["texts"][x]) if bounded else x

    pairs: dict[tuple[int, int], float] = {}
    changed: set[int] = set()
    my_clusters: list[int] = []
    nn_new = []
    for j in range(len(vecs)):
        s = sims[j]
        own = statement_key(texts[j]) if bounded else None
        # cluster: the stored (or this article's earlier) claims' cluster at the least average
        # cosine distance, if under the clustering threshold; else a new one
        cand_d = np.concatenate([1.0 - s, 1.0 - vecs[:j] @ vecs[j]]).astype(np.float64)
        cand_c = np.concatenate([clus, np.array(my_clusters, dtype=np.int64)])
        best = None
        if len(cand_c):
            ids, inv = np.unique(cand_c, return_inverse=True)
            mean = np.bincount(inv, weights=cand_d) / np.bincount(inv)
            b = int(np.argmin(mean))  # ties: the lowest cluster id
            if mean[b] < cdist:
                best = int(ids[b])
        my_clusters.append(best if best is not None else next_cluster())
        other = ok
        if bounded:
            # the same statement: one pair, with its earliest stored copy (of another article)
            same = [x for x in np.flatnonzero(ok & (s >= SAME_TEXT_MIN_COS)) if stored_key(x) == own]
            if same:
                pairs[(int(rows[same[0]]), j)] = float(s[same[0]])
            other = ok.copy()
            other[same] = False
        # cluster mates of other articles: the nearest, one per distinct statement (as in one run)
        mates = np.flatnonzero((clus == my_clusters[-1]) & other)
        if bounded:
            mates = np.array([x for x in mates if stored_key(x) != own], dtype=np.int64)
        for x in mates[nearest_mates(s[mates], [sc["texts"][y] for y in mates], config.max_mates_per_claim)]:
            pairs[(int(rows[x]), j)] = float(s[x])
        # its k nearest cross-article neighbours (distinct statements), and the stored claims
        # whose k nearest it becomes
        cand = np.flatnonzero(other & (s >= floor))
        mine = nearest_distinct(s, cand, stored_key, k)
        nn_new.append(s[mine].astype(np.float32))
        for x in mine:
            pairs[(int(rows[x]), j)] = float(s[x])
        for x in cand:
            r = int(rows[x])
            cur = nn_old[r]
            if (len(cur) < k or s[x] > cur[-1]) and (not bounded or stored_key(x) != own):
                pairs.setdefault((r, j), float(s[x]))
                nn_old[r] = top_k(np.append(cur, s[x]), k)
                changed.add(r)
    return (sorted((r, j, sim) for (r, j), sim in pairs.items()), my_clusters, nn_new,
            {r: nn_old[r] for r in sorted(changed)})


def window_story(sid: int, names: list[str], titles: dict[str, str | None], dups: list[tuple[str, str]]) -> Story:
    return Story(id=sid, docs=tuple(names), title=next((titles[n] for n in names if titles[n]), None),
                 duplicates=tuple(dups))
