"""A store read back for the report code of a one-shot run, story by story.

Filters select articles (story id, outlet, added since, publication date range; all that are
given must hold). What is read: the selected articles, every judgement with a side among them,
and the articles on the other side of those judgements (so each finding shows both sides; those
articles' claim statuses count only the findings shown). Claim clusters (the report's
"unresolved" status and its cluster list) are those stored, numbered in story order.

Judgements never cross stories, so the selection is read one story at a time
(:func:`story_results`, a :class:`~checker.records.Result` per story, in the order of the
stories' first articles): a report of a 10,000-article store holds one story's claims and
judgements at a time, not the whole store (:func:`checker.report.report_stream`).
:func:`load_result` joins the parts into one Result (the one-shot run, the notebook, HTML).
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from ..records import Cluster, Result, Story


def story_results(store, config, story: int | None = None, outlet: str | None = None, since: str | None = None,
                  date_from: str | None = None, date_to: str | None = None, vectors: bool = False) -> Iterator[Result]:
    """One :class:`Result` per story of the selection, in the order of the stories' first
    articles (articles ordered as a one-shot run orders them: by path, then line). Cluster ids
    run on from one story to the next; ``stats["order"]`` maps each document name to its place
    in the whole selection. ``vectors``: claim embeddings too (``Result.embeddings``)."""
    sel = store.select_documents(story=story, outlet=outlet, since=since, date_from=date_from, date_to=date_to)
    filtered = any(v is not None for v in (story, outlet, since, date_from, date_to))
    ids = set(sel) | store.judged_with(sel) if filtered else set(sel)  # unfiltered: every document is selected
    rows = store.document_rows(ids)  # ordered like a one-shot run: by path, then line
    order = {r[1]: k for k, r in enumerate(rows)}
    name_of = {r[0]: r[1] for r in rows}
    missing_reps = {r[3] for r in rows if r[3] is not None and r[3] not in name_of}
    if missing_reps:
        name_of.update({i: n for i, n, *_ in store.document_rows(missing_reps)})
    titles = store.story_rows({r[2] for r in rows})
    members: dict[int | None, list] = {}
    for r in rows:
        members.setdefault(r[2], []).append(r)
    selected = set(sel)
    next_cluster = 0
    for sid, mem in members.items():  # in the order of their first article
        doc_ids = [r[0] for r in mem]
        docs = store.documents(doc_ids)
        _, claims, vecs = store.claims_of(doc_ids, vectors)
        rank = {d.name: k for k, d in enumerate(docs)}
        perm = sorted(range(len(claims)), key=lambda i: rank[claims[i].doc])  # stable: claim order within a document
        claims = [claims[i] for i in perm]
        vecs = vecs[perm] if vectors and len(claims) else None
        cluster_of = store.claim_clusters_of(doc_ids)
        groups: dict[int, list] = {}  # the story's claim clusters, ordered by their first claim
        for c in claims:
            groups.setdefault(cluster_of[c.id], []).append(c)
        clusters = []
        for cl in groups.values():
            clusters.append(Cluster(id=next_cluster, claim_ids=tuple(c.id for c in cl),
                                    docs=tuple(sorted({c.doc for c in cl}))))
            next_cluster += 1
        judgements = sorted(store.judgements_touching([i for i in doc_ids if i in selected]), key=lambda j: (j.a, j.b))
        st = Story(id=sid, docs=tuple(r[1] for r in mem), title=titles.get(sid),
                   duplicates=tuple((r[1], name_of[r[3]]) for r in mem if r[3] is not None))
        yield Result(documents=docs, sentences=list({c.sentence.id: c.sentence for c in claims}.values()),
                     claims=claims, clusters=clusters, judgements=judgements, thresholds=dict(config.thresholds),
                     problems=[], timings={}, embeddings=vecs, stories=[st],
                     stats={"order": order, "selected_articles": len(sel)})


def load_result(store, config, story: int | None = None, outlet: str | None = None, since: str | None = None,
                date_from: str | None = None, date_to: str | None = None) -> Result:
    """The selection (see :func:`story_results`) as one :class:`Result`, with claim embeddings."""
    parts = list(story_results(store, config, story=story, outlet=outlet, since=since, date_from=date_from,
                               date_to=date_to, vectors=True))
    order = parts[0].stats["order"] if parts else {}
    docs = sorted((d for p in parts for d in p.documents), key=lambda d: order[d.name])
    perm_src = [(c, v) for p in parts for c, v in zip(p.claims, p.embeddings if len(p.claims) else [])]
    perm_src.sort(key=lambda cv: order[cv[0].doc])  # stable: claim order within a document
    claims = [c for c, _ in perm_src]
    vecs = np.stack([v for _, v in perm_src]) if perm_src else np.zeros((0, 384), dtype=np.float32)
    judgements = sorted((j for p in parts for j in p.judgements), key=lambda j: (j.a, j.b))
    return Result(documents=docs, sentences=list({c.sentence.id: c.sentence for c in claims}.values()), claims=claims,
                  clusters=[cl for p in parts for cl in p.clusters], judgements=judgements,
                  thresholds=dict(config.thresholds), problems=[], timings={}, embeddings=vecs,
                  stories=[s for p in parts for s in p.stories],
                  stats={"selected_articles": parts[0].stats["selected_articles"] if parts else 0,
                         "articles": len(docs), "judged_pairs": len(judgements)})
