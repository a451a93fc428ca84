"""The report as plain data: one structure behind every output format.

Claim status (per article):

* ``contradicted`` — some claim of another source (or the reference) contradicts it
  with calibrated probability >= the contradiction threshold;
* ``corroborated`` — some other source states the same fact (corroboration >= threshold);
* ``unresolved`` — other sources talk about the same thing, but neither threshold is met;
* ``single-source`` — no other source has a claim on this fact.
"""

from __future__ import annotations

import re

from ..records import Claim, Judgement, Result
from ..textnorm import statement_key

STATUSES = ("contradicted", "corroborated", "unresolved", "single-source")


def who(side: dict) -> str:
    """How a finding's side is named: its article, or "reference"."""
    return "reference" if side["role"] == "reference" else side["article"]


def relation_label(ev: dict) -> str:
    return "contradicted by" if ev["relation"] == "contradicted" else "corroborated by"


def evidence_line(ev: dict, fmt=str) -> str:
    """'contradicted by <article> (0.87): <sentence>' (``fmt`` escapes the sentence)."""
    return f"{relation_label(ev)} {who(ev['other'])} ({ev['score']:.2f}): {fmt(ev['other']['sentence'])}"


def side(result: Result, claim: Claim) -> dict:
    s = claim.sentence
    d = result.document(claim.doc)
    return {"article": claim.doc, "role": claim.role, "outlet": d.outlet if d else None,
            "title": d.title if d else None, "date": d.date if d else None,
            "claim": claim.text, "speaker": claim.speaker,
            "sentence": s.text, "start": s.start, "end": s.end, "cluster": result.cluster_of(claim.id)}


def _who_says(side: dict) -> str:
    return side["speaker"] or (side["outlet"] or side["article"]) + " (as fact)"


def finding(result: Result, j: Judgement, score: float) -> dict:
    a, b = side(result, result.claim(j.a)), side(result, result.claim(j.b))
    out = {
        "score": score,
        "kind": j.kind,
        "event": j.event,
        "story": j.story,
        "a": a,
        "b": b,
        "signals": [{"name": s.name, "detail": s.detail} for s in j.signals],
        "nli": {"a_to_b": {"entailment": j.p_entail_ab, "neutral": j.p_neutral_ab, "contradiction": j.p_contra_ab},
                "b_to_a": {"entailment": j.p_entail_ba, "neutral": j.p_neutral_ba, "contradiction": j.p_contra_ba}},
        "similarity": j.similarity,
    }
    if j.kind in ("disputed", "views"):
        out["disputed"] = {"a_asserted_by": _who_says(a), "b_asserted_by": _who_says(b)}
    return out


def _disagreement_key(result: Result, j: Judgement) -> tuple:
    """The same two statements in one story are one disagreement, wherever they were seen: a
    headline repeated in the body, or a sentence that ten articles repeat against one that
    twelve others repeat (statements as :func:`~checker.textnorm.statement_key`; an article's
    and the reference's statements are kept apart)."""
    a, b = result.claim(j.a), result.claim(j.b)
    return (j.story, frozenset({(a.role, statement_key(a.text)), (b.role, statement_key(b.text))}))


def merge_locations(result: Result, found: list[Judgement], key) -> list[dict]:
    """One finding per disagreement, strongest first, with every location it was seen at (the
    finding's sides are its strongest location's)."""
    groups: dict[tuple, list[Judgement]] = {}
    for j in found:
        groups.setdefault(_disagreement_key(result, j), []).append(j)
    out = []
    for js in groups.values():
        f = finding(result, js[0], key(js[0]))
        f["locations"] = [{"a": {k: side(result, result.claim(j.a))[k] for k in ("article", "sentence", "start", "end")},
                           "b": {k: side(result, result.claim(j.b))[k] for k in ("article", "sentence", "start", "end")}}
                          for j in js]
        out.append(f)
    return sorted(out, key=_finding_order)


def _finding_order(f: dict) -> tuple:
    return -f["score"], f["a"]["article"], f["a"]["start"], f["b"]["article"], f["b"]["start"]


DEFINITION = re.compile(r"^[\w .,'’-]{2,60}\bis (?:the|a|an|one of the)\b", re.I)


def reference_trivia(result: Result, j: Judgement) -> bool:
    """A corroboration by a reference *definition* ("Xi Jinping is the President of China")
    of a claim that merely names the person is background, not a finding."""
    b = result.claim(j.b)
    return b.role == "reference" and bool(DEFINITION.match(b.text)) and not DEFINITION.match(result.claim(j.a).text)


def contradiction_list(result: Result, threshold: float | None = None) -> list[dict]:
    return merge_locations(result, result.contradictions(threshold), lambda j: j.contradiction)


def opposing_views_list(result: Result, threshold: float | None = None) -> list[dict]:
    """Two parties' incompatible statements, each reported by a source (not a contradiction
    between the sources)."""
    return merge_locations(result, result.opposing_views(threshold), lambda j: j.contradiction)


def corroboration_list(result: Result, threshold: float | None = None) -> list[dict]:
    found = [j for j in result.corroborations(threshold) if not reference_trivia(result, j)]
    return merge_locations(result, found, lambda j: j.corroboration)


def claim_statuses(result: Result, threshold: float | None = None) -> dict[str, dict]:
    """claim id -> {"status", "evidence": [...]} (evidence strongest first)."""
    tc = result.thresholds["contradiction"] if threshold is None else threshold
    te = result.thresholds["corroboration"]
    out = {c.id: {"status": "single-source", "evidence": []} for c in result.claims}
    cluster_docs = {cl.id: set(cl.docs) for cl in result.clusters}
    for c in result.claims:
        docs = cluster_docs.get(result.cluster_of(c.id), set())
        if len(docs - {c.doc}) > 0:
            out[c.id]["status"] = "unresolved"
    rank = {s: i for i, s in enumerate(STATUSES)}
    for j in result.judgements:
        if j.is_contradiction(tc):
            rel, score = "contradicted", j.contradiction
        elif j.corroboration >= te and j.label == "corroboration":
            rel, score = "corroborated", j.corroboration
        else:
            for me, other in ((j.a, j.b), (j.b, j.a)):
                if result.claim(other).role == "article" and out[me]["status"] == "single-source":
                    out[me]["status"] = "unresolved"
            continue
        for me, other in ((j.a, j.b), (j.b, j.a)):
            entry = out[me]
            entry["evidence"].append({"relation": rel, "score": score, "other": side(result, result.claim(other))})
            if rank[rel] < rank[entry["status"]]:
                entry["status"] = rel
    for entry in out.values():
        entry["evidence"].sort(key=lambda e: (rank[e["relation"]], -e["score"], e["other"]["article"], e["other"]["start"]))
    return out


def article_reports(result: Result, threshold: float | None = None) -> list[dict]:
    statuses = claim_statuses(result, threshold)
    reports = []
    for d in result.documents:
        if d.role != "article":
            continue
        claims = [c for c in result.claims if c.doc == d.name]
        rows = []
        for c in claims:
            st = statuses[c.id]
            rows.append({"id": c.id, "claim": c.text, "kind": c.kind, "speaker": c.speaker,
                         "sentence": c.sentence.text, "start": c.sentence.start, "end": c.sentence.end,
                         "cluster": result.cluster_of(c.id), "status": st["status"], "evidence": st["evidence"]})
        counts = {s: sum(r["status"] == s for r in rows) for s in STATUSES}
        reports.append({"article": d.name, "path": d.path, "format": d.fmt, "title": d.title, "line": d.line,
                        "outlet": d.outlet, "date": d.date, "date_source": d.date_source,
                        "story": next((s.id for s in result.stories if d.name in s.docs), None),
                        "counts": counts, "claims": rows,
                        "boilerplate_removed": [{"start": s, "end": e, "reason": why} for s, e, why in d.removed]})
    return reports


def clusters(result: Result) -> list[dict]:
    return [{"id": cl.id, "articles": list(cl.docs),
             "claims": [{"id": cid, "article": result.claim(cid).doc, "claim": result.claim(cid).text}
                        for cid in cl.claim_ids]}
            for cl in result.clusters]


BRIEF_ARTICLE = ("article", "path", "format", "title", "counts")


def report_dict(result: Result, threshold: float | None = None) -> dict:
    """Everything, deterministic (no timings) — the JSON output."""
    return report_stream([result], threshold)


REPORT_KEYS = ("contradictions", "corroborations", "opposing_views", "articles", "clusters", "stories")


def report_stream(parts, threshold: float | None = None, brief: bool = False, keys=REPORT_KEYS) -> dict:
    """:func:`report_dict` of results read one story at a time (:func:`checker.store.story_results`;
    judgements never cross stories), holding one story's claims and judgements at a time. The
    same dict as :func:`report_dict` of the parts joined into one result. Only the parts in
    ``keys`` are built (with "thresholds" and "problems"); ``brief``: articles with their counts
    only (what ``checker contradictions --format json`` shows)."""
    out = {k: [] for k in keys}
    thresholds, problems, order = None, [], None
    for result in parts:
        thresholds = thresholds or result.thresholds
        order = order or result.stats.get("order")
        if "contradictions" in out:
            out["contradictions"] += contradiction_list(result, threshold)
        if "corroborations" in out:
            out["corroborations"] += corroboration_list(result)
        if "opposing_views" in out:
            out["opposing_views"] += opposing_views_list(result, threshold)
        if "articles" in out:
            arts = article_reports(result, threshold)
            out["articles"] += [{k: a[k] for k in BRIEF_ARTICLE} for a in arts] if brief else arts
        if "clusters" in out:
            out["clusters"] += clusters(result)
        if "stories" in out:
            out["stories"] += [{"id": s.id, "title": s.title, "articles": list(s.docs),
                                "duplicates": [{"article": d, "repeats": r} for d, r in s.duplicates]} for s in result.stories]
        problems += result.problems
    for k in ("contradictions", "corroborations", "opposing_views"):
        if k in out:
            out[k].sort(key=_finding_order)
    if order is not None and "articles" in out:
        out["articles"].sort(key=lambda a: order[a["article"]])
    out["thresholds"] = dict(thresholds or {}, **({"contradiction": threshold} if threshold is not None else {}))
    out["problems"] = [{"level": p.level, "code": p.code, "path": p.path, "message": p.message} for p in problems]
    return out
