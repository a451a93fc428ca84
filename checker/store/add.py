"""``checker add``: the pipeline's stages into a store (issue 12).

New articles stream through in windows (``Config.add_window``); each window runs the stages of
:mod:`checker.pipeline` (claims, embedding), is grouped into stories with the stored stories near
it (:mod:`checker.store.incremental`), searched against its stories' stored claims and judged,
then committed one article per transaction.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from itertools import islice
from pathlib import Path

from ..claims.workers import maybe_pool
from ..compare import judge
from ..config import Config
from ..embed import dimension, embed
from ..pipeline import Progress, extract_claims, load_models, story_pairs


# claims and judged, then committed one article per transaction.

def new_counts() -> dict:
    return dict(files=0, unchanged_files=0, already_stored=0, replaced=0, added=0, duplicates=0, new_stories=0,
                claims=0, embedded=0, candidate_pairs=0, judged_pairs=0, nli_pairs=0, contradictions=0, timings={})


def add(paths: list[str | Path], store, config: Config | None = None, runner=None) -> dict:
    """Add articles (files or directories) to a store (:class:`checker.store.SQLiteStore`):
    ingest -> claims -> embed -> stories (with the stored stories near them) -> candidate pairs
    (within each story, against its stored claims) -> compare -> commit, one article per
    transaction. Unchanged files and stored documents are skipped; a changed file replaces its
    old version. Returns counts and ``problems``. See :mod:`checker.store`.

    ``runner``: None runs every stage in this process; a runner (:class:`checker.distributed.Runner`,
    e.g. the Ray runner) supplies the models and runs claims, embedding and NLI elsewhere with
    the same stage functions; story grouping, candidate search and commits stay here."""
    from .files import changed_files, scan

    config = config or Config.default()
    say = Progress(config.progress)
    counts = new_counts()
    problems: list = []
    t0 = time.perf_counter()
    with store.writing():
        say(f"store {store.path}: {store.counts()['documents']} document(s) stored")
        files = changed_files(paths, store, counts, problems)
        pending = scan(files, store, config, counts, problems, on_file=lambda n: bar.grow(n - 1))
        bar = _Bar(config.progress and bool(files), len(files))
        add_pending(pending, store, config, counts, problems, runner=runner, say=say, bar=bar)
        bar.close()
        store.save_index()
    counts["timings"]["total"] = round(time.perf_counter() - t0, 3)
    say(f"added {counts['added']} article(s) ({counts['new_stories']} new stor{'y' if counts['new_stories'] == 1 else 'ies'}, "
        f"{counts['duplicates']} duplicate(s)), {counts['claims']} claims, {counts['judged_pairs']} pairs judged ({counts['nli_pairs']} by NLI), "
        f"{counts['contradictions']} contradiction(s); skipped {counts['unchanged_files']} unchanged file(s) and "
        f"{counts['already_stored']} stored document(s); replaced {counts['replaced']}")
    return dict(counts, problems=problems)


def add_pending(pending, store, config: Config, counts: dict, problems: list, runner=None, models=None,
                say=None, bar=None, keep=None):
    """The stages of :func:`add` over documents to add (:class:`checker.store.files.Pending`, an
    iterable read ``config.add_window`` at a time), into ``store`` (held for writing by the caller).
    ``models``: (spaCy, embedder, NLI) already loaded (else loaded here, at the first window);
    ``keep(sentences, claims, vecs, stats)`` sees each window's claims stage (the one-shot run
    keeps every sentence and the faithfulness counts). Returns the models."""
    say = say or Progress(False)
    bar = bar or _Bar(False, 0)
    timings = counts["timings"]
    pending = iter(pending)
    window = list(islice(pending, config.add_window))
    pool = None
    first = True
    try:
        while window:
            if first:
                first = False
                t = time.perf_counter()
                if models is None:
                    say("loading spaCy, embedding and NLI models")
                    models = _load_models(config, store, problems, runner)
                    timings["load_models"] = round(time.perf_counter() - t, 3)
                else:
                    _check_models(store, models)
                # spaCy on every core while the window parses (not with a runner: its workers parse)
                pool = None if runner is not None else maybe_pool(config, [p.doc for p in window])
            _add_window(window, store, models, config, counts, problems, bar, say, runner, pool, keep)
            window = list(islice(pending, config.add_window))
    finally:
        if pool is not None:
            pool.close()
    return models


def _add_window(window, store, models, config, counts, problems, bar, say, runner=None, pool=None, keep=None) -> None:
    from .incremental import article_vector, plan_window, stored_story_pairs, window_story
    from .sqlite import ArticleRecord

    nlp, embedder, nli = models
    timings = counts["timings"]
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        timings[name] = round(timings.get(name, 0.0) + now - clock[0], 3)
        clock[0] = now

    docs = [p.doc for p in window]
    bar.stage(f"claims of {len(docs)}")
    if runner is not None:
        sentences, claims, stats = runner.extract_claims(docs, nlp, nli, config, problems=problems)
    else:
        sentences, claims, stats = extract_claims(docs, nlp, nli, config, pool, problems, cache=store.cache())
    lap("claims")
    say(f"{len(docs)} article(s): {len(sentences)} sentences, {len(claims)} claims ({stats['replaced_by_sentence']} of "
        f"{stats['decomposed_claims']} decomposed claims not entailed by their sentence: kept as the sentence)")
    bar.stage("embedding")
    vecs = embed([c.text for c in claims], embedder, config.embed_batch_size, known=store.vectors_of_texts, counts=counts)
    lap("embed")
    if keep is not None:
        keep(sentences, claims, vecs, stats)
    of_doc: dict[str, list[int]] = {}
    for i, c in enumerate(claims):
        of_doc.setdefault(c.doc, []).append(i)
    bar.stage("stories")
    plan = plan_window(store, docs, [p.text_key for p in window], claims, vecs, config)
    # stories made of window articles only: the one-shot rule (claim clusters, cluster mates + kNN)
    rep_name = {d.name: docs[plan.dup_window[k]].name for k, d in enumerate(docs) if plan.dup_window[k] is not None}
    new = {}
    for k, d in enumerate(docs):
        if plan.new_story[k]:
            new.setdefault(plan.story[k], []).append(d.name)
    titles = {d.name: d.title for d in docs}
    stories = [window_story(sid, names, titles, [(n, rep_name[n]) for n in names if n in rep_name])
               for sid, names in new.items()]
    clusters, pairs, nn_of = story_pairs(claims, vecs, stories, rep_name, config)
    next_cluster = [store.next_cluster_id()]

    def alloc() -> int:
        next_cluster[0] += 1
        return next_cluster[0] - 1

    cluster_of = {}
    for cl in clusters:
        cid = alloc()
        cluster_of.update({c: cid for c in cl.claim_ids})
    dates = {d.name: d.date for d in docs}
    story_of = {d.name: plan.story[k] for k, d in enumerate(docs)}
    lap("stories_and_candidates")
    bar.stage(f"NLI on {len(pairs)} pairs")
    say(f"{len(stories)} new stor{'y' if len(stories) == 1 else 'ies'}, {len(pairs)} candidate pairs within them")
    facts_on = pool.facts if pool is not None else None
    judged = judge(claims, pairs, nli, nlp, config, dates=dates, story_of=story_of, cache=store.cache(),
                   facts_on=facts_on) if pairs else []
    lap("compare")
    later = {d.name: k for k, d in enumerate(docs)}
    doc_of = {c.id: c.doc for c in claims}
    by_article: dict[int, list] = {}
    for j in judged:  # committed with the later of its two articles
        by_article.setdefault(max(later[doc_of[j.a]], later[doc_of[j.b]]), []).append(j)
    pairs_of = Counter(later[claims[max(i, j)].doc] for i, j, _ in pairs)
    sentences_of: dict[str, list] = {}
    for s in sentences:
        sentences_of.setdefault(s.doc, []).append(s)
    ids: dict[int, int] = {}  # window index -> stored id
    bar.stage(None)
    for k, (p, d) in enumerate(zip(window, docs)):
        idx = of_doc.get(d.name, [])
        mine, mvecs = [claims[i] for i in idx], vecs[idx]
        dup_of = plan.dup_stored[k] if plan.dup_stored[k] is not None else (
            ids[plan.dup_window[k]] if plan.dup_window[k] is not None else None)
        if plan.new_story[k]:
            js, cl, nn, nn_updates, npairs = by_article.get(k, []), [cluster_of[c.id] for c in mine], \
                [nn_of[i] for i in idx], {}, pairs_of[k]
        else:  # a stored story: search its stored claims, judge, commit
            lap("commit")
            sc = store.story_claims(plan.story[k])
            found, cl, nn, nn_updates = stored_story_pairs(sc, dup_of, mvecs, [c.text for c in mine], alloc, config)
            lap("stories_and_candidates")
            rows, old, _ = store.claims_by_row({r for r, _, _ in found}, vectors=False)
            pos = {r: x for x, r in enumerate(rows)}
            local = [(pos[r], len(old) + j, s) for r, j, s in found]
            ds = store.dates({c.doc for c in old})
            ds[d.name] = d.date
            js = judge(old + mine, local, nli, nlp, config, dates=ds,
                       story_of={c.doc: plan.story[k] for c in old + mine},
                       statements=store.statements({c.doc for c in old}), cache=store.cache(),
                       facts_on=facts_on) if local else []
            npairs = len(found)
            lap("compare")
        ids[k] = store.commit_article(ArticleRecord(
            doc=d, key=p.key, source=p.source, text_key=p.text_key, sentences=sentences_of.get(d.name, []),
            claims=mine, vectors=mvecs, clusters=cl, nn=nn, vector=article_vector(d, mine, mvecs),
            story=plan.story[k], dup_of=dup_of, judgements=js, nn_updates=nn_updates, source_sha256=p.source_sha256))
        counts["added"] += 1
        counts["duplicates"] += dup_of is not None
        counts["new_stories"] += plan.new_story[k] and d.name == new[plan.story[k]][0]
        counts["claims"] += len(mine)
        counts["candidate_pairs"] += npairs
        counts["judged_pairs"] += len(js)
        counts["nli_pairs"] += sum(j.event != "same_text" for j in js)  # the others: one text on both sides, no NLI
        counts["contradictions"] += sum(j.is_contradiction(config.thresholds["contradiction"]) for j in js)
        bar.done(counts)
    lap("commit")


def _load_models(config, store, problems, runner=None):
    nlp, embedder, nli = load_models(config, problems, runner)
    _check_models(store, (nlp, embedder, nli))
    return nlp, embedder, nli


def _check_models(store, models) -> None:
    """A store holds the vectors and judgements of one embedder and one NLI model (``models``:
    spaCy, embedder, NLI)."""
    from .schema import StoreError

    _, embedder, nli = models
    for k, v in {"embedder_dim": str(dimension(embedder)), "nli_sha256": nli.ref.sha256}.items():
        have = store.meta(k)
        if have is None:
            store.set_meta(k, v)
        elif have != v:
            raise StoreError(f"the store was built with another {'NLI model' if k == 'nli_sha256' else 'embedder'} "
                             f"({k} {have[:12]}, now {v[:12]}): use a new store")


class _Bar:
    """Articles added, with counts and an ETA, on stderr (tqdm); nothing when disabled."""

    def __init__(self, enabled: bool, total: int):
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="article", desc="[checker] add", file=sys.stderr, dynamic_ncols=True,
                            mininterval=1.0 if sys.stderr.isatty() else 10.0)

    def grow(self, n: int) -> None:  # a file holds n + 1 articles (or none: -1)
        if self.bar is not None:
            self.bar.total += n

    def stage(self, what: str | None) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(what or "", refresh=False)

    def done(self, counts: dict) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"claims={counts['claims']} pairs={counts['judged_pairs']} "
                                     f"contradictions={counts['contradictions']}", refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
