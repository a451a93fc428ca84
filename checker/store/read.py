"""A store read back as a :class:`~checker.records.Result`, for the report code of a one-shot run.

Filters select articles (story id, outlet, added since, publication date range; all that are
given must hold). The result holds the selected articles, every judgement with a side among
them, and the articles on the other side of those judgements (so each finding shows both sides;
those articles' claim statuses count only the findings shown). Claim clusters (the report's
"unresolved" status and its cluster list) are those stored, numbered in story order.
"""

from __future__ import annotations

import numpy as np

from ..records import Cluster, Result, Story


def load_result(store, config, story: int | None = None, outlet: str | None = None, since: str | None = None,
                date_from: str | None = None, date_to: str | None = None) -> Result:
    sel = store.select_documents(story=story, outlet=outlet, since=since, date_from=date_from, date_to=date_to)
    found = store.judgements_touching(sel)
    ids = set(sel) | {a for _, a, _ in found} | {b for _, _, b in found}
    rows = store.document_rows(ids)  # ordered like a one-shot run: by path, then line
    docs = store.documents([r[0] for r in rows])
    _, claims, vecs = store.claims("c.doc IN (SELECT id FROM _sel)", ()) if _select(store, ids) else ([], [], None)
    order = {d.name: k for k, d in enumerate(docs)}
    perm = sorted(range(len(claims)), key=lambda i: order[claims[i].doc])  # stable: claim order within a document
    claims = [claims[i] for i in perm]
    vecs = vecs[perm] if len(claims) else np.zeros((0, 384), dtype=np.float32)
    name_of = {r[0]: r[1] for r in rows}
    missing_reps = {r[3] for r in rows if r[3] is not None and r[3] not in name_of}
    if missing_reps:
        name_of.update({i: n for i, n, *_ in store.document_rows(missing_reps)})
    titles = store.story_rows({r[2] for r in rows})
    stories, members = [], {}
    for r in rows:
        members.setdefault(r[2], []).append(r)
    cluster_of = store.claim_clusters("c.doc IN (SELECT id FROM _sel)")
    clusters = []
    for sid in members:  # in the order of their first article
        mem = members[sid]
        names = tuple(r[1] for r in mem)
        stories.append(Story(id=sid, docs=names, title=titles.get(sid),
                             duplicates=tuple((r[1], name_of[r[3]]) for r in mem if r[3] is not None)))
        groups: dict[int, list] = {}  # the story's claim clusters, ordered by their first claim
        for c in claims:
            if c.doc in set(names):
                groups.setdefault(cluster_of[c.id], []).append(c)
        for cl in groups.values():
            clusters.append(Cluster(id=len(clusters), claim_ids=tuple(c.id for c in cl),
                                    docs=tuple(sorted({c.doc for c in cl}))))
    judgements = sorted((j for j, _, _ in found), key=lambda j: (j.a, j.b))
    sentences = list({c.sentence.id: c.sentence for c in claims}.values())
    return Result(documents=docs, sentences=sentences, claims=claims, clusters=clusters, judgements=judgements,
                  thresholds=dict(config.thresholds), problems=[], timings={}, embeddings=vecs, stories=stories,
                  stats={"selected_articles": len(sel), "articles": len(docs), "judged_pairs": len(judgements)})


def _select(store, ids) -> bool:
    """Put ``ids`` in the connection's temporary selection table (``_sel``)."""
    store.db.execute("CREATE TEMP TABLE IF NOT EXISTS _sel (id INTEGER PRIMARY KEY)")
    store.db.execute("DELETE FROM _sel")
    store.db.executemany("INSERT INTO _sel (id) VALUES (?)", [(int(i),) for i in ids])
    return bool(ids)
