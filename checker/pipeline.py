"""The pipeline at a glance: ingest -> claims -> embed -> stories -> cluster -> compare -> Result.

The stages are below; :func:`run` and ``checker add`` (:mod:`checker.store.add`) chain them the same way."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from . import claims as claims_stage
from . import ingest
from .claims.faithful import keep_faithful
from .cluster import candidate_pairs, cluster_claims, neighbours
from .compare import judge, reference_pairs
from .config import Config, apply_precision, apply_threads
from .embed import embed, load_embedder
from .nli import load_nli
from .nli_models import calibration_problems
from .records import Cluster, Result


class Progress:
    """Stage messages on stderr (stdout stays clean for machine formats)."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.t0 = time.perf_counter()

    def __call__(self, msg: str) -> None:
        if self.enabled:
            print(f"[checker {time.perf_counter() - self.t0:6.1f}s] {msg}", file=sys.stderr, flush=True)

    def counter(self, total: int, what: str):
        done = [0]
        step = max(1, total // 10)

        def tick(n: int) -> None:
            before = done[0]
            done[0] += n
            if self.enabled and (done[0] // step != before // step or done[0] == total):
                self(f"{what}: {done[0]}/{total}")

        return tick


def run(paths: list[str | Path], reference: str | Path | None = None, config: Config | None = None) -> Result:
    """Check a set of articles (files or directories) against each other and an optional
    trusted reference file. Returns a :class:`~checker.records.Result`.

    One pipeline: the articles go through ``checker add`` (:func:`checker.store.add.add_pending`:
    claims, embedding, stories, candidate pairs, NLI) into an in-memory store, in one window, and
    the result is read back from it (:func:`checker.store.load_result`); the reference file's
    statements are then judged against every article claim with the same stage functions.

    The NLI model is ``config.nli_model`` (see :class:`~checker.config.Config`); when the
    configuration carries no calibration fitted for it, ``Result.problems`` holds a warning
    (W109 raw probabilities, W110 calibration of other weights)."""
    from dataclasses import replace

    from .store import SQLiteStore, load_result
    from .store.add import add_pending, new_counts
    from .store.files import Pending, document_key
    from .stories import text_key

    config = config or Config.default()
    say = Progress(config.progress)
    t = time.perf_counter()
    say(f"reading {len(paths)} input path(s)")
    skip = {Path(reference).resolve()} if reference is not None else set()
    docs, problems = ingest.load(paths, "article", config, skip=skip)
    rdocs: list = []
    if reference is not None:
        rdocs, rprob = ingest.load([reference], "reference", config)
        problems += rprob
    say(f"{len(docs)} article(s), {len(rdocs)} reference file(s), {len(problems)} problem(s)")
    timings = {"ingest": round(time.perf_counter() - t, 3)}
    if not docs:  # nothing to check: do not load the models
        return Result(documents=rdocs, sentences=[], claims=[], clusters=[], judgements=[],
                      thresholds=dict(config.thresholds), problems=problems, timings=timings)
    t = time.perf_counter()
    say("loading spaCy, embedding and NLI models")
    models = load_models(config, problems)
    timings["load_models"] = round(time.perf_counter() - t, 3)
    # articles -> an in-memory store, in one window (the whole run is grouped into stories at once)
    store = SQLiteStore(":memory:")
    counts, sentences, stats = new_counts(), [], {}

    def keep(sents, _claims, _vecs, st):
        sentences.extend(sents)
        for k, v in st.items():
            stats[k] = stats.get(k, 0) + v
    pending = [Pending(d, f"{document_key(d)}:{k}", d.path, text_key(d)) for k, d in enumerate(docs)]
    add_pending(pending, store, replace(config, add_window=len(pending)), counts, problems, models=models, say=say,
                keep=keep)
    timings.update(counts["timings"])
    res = load_result(store, config)
    store.close()
    by_name = {d.name: d for d in docs}  # the documents as read (the store keeps no raw bytes)
    documents = [by_name[d.name] for d in res.documents]
    claims, vecs, judgements, clusters = res.claims, res.embeddings, res.judgements, res.clusters
    if rdocs:  # the trusted reference: each statement against every article claim
        t = time.perf_counter()
        nlp, embedder, nli = models
        rsents, rclaims, _ = extract_claims(rdocs, nlp, nli, config, problems=problems)
        rvecs = embed([c.text for c in rclaims], embedder, config.embed_batch_size)
        sentences += rsents
        n = len(claims)
        claims, vecs = claims + rclaims, np.concatenate([vecs, rvecs]) if len(rclaims) else vecs
        clusters = clusters + [Cluster(id=len(clusters) + k, claim_ids=(c.id,), docs=(c.doc,)) for k, c in enumerate(rclaims)]
        pairs = [p for p in reference_pairs(claims, vecs) if p[2] >= config.reference_min_similarity]
        story_of = {d: st.id for st in res.stories for d in st.docs}
        judgements = sorted(judgements + judge(claims, pairs, nli, nlp, config, say=say, dates={d.name: d.date for d in documents},
                                               story_of=story_of), key=lambda j: (j.a, j.b))
        documents += rdocs
        counts["candidate_pairs"] += len(pairs)
        timings["reference"] = round(time.perf_counter() - t, 3)
        say(f"{len(rclaims)} reference statement(s) against {n} article claims: {len(pairs)} pairs")
    stats.update(candidate_pairs=counts["candidate_pairs"], judged_pairs=len(judgements))
    say(f"NLI done: {len(judgements)} pairs judged ({counts['nli_pairs']} by NLI), {len(res.stories)} "
        f"stor{'y' if len(res.stories) == 1 else 'ies'}")
    out = Result(documents=documents, sentences=sentences, claims=claims, clusters=clusters, judgements=judgements,
                 thresholds=dict(config.thresholds), problems=problems, timings=timings, embeddings=vecs,
                 stories=res.stories, stats=stats)
    say(f"done: {len(out.contradictions())} contradiction(s), {len(out.corroborations())} corroboration(s)")
    return out


def extract_claims(docs, nlp, nli, config, pool=None, problems: list | None = None, cache=None):
    """Stage 2 (one-shot run and store alike): sentences and atomic claims, decomposed claims
    that their sentence does not entail replaced by the sentence. (sentences, claims, stats)
    ``pool``: a :class:`checker.claims.workers.ParsePool` that does the spaCy part (same result).
    A document whose extraction fails gets an E021 problem in ``problems`` and no claims; the
    others go on (without ``problems`` the error propagates). A document without claims gets W104.
    ``cache``: a store's :class:`checker.store.cache.StoreCache` (paragraph parses and NLI results kept)."""
    sentences = None
    failed: list | None = [] if problems is not None else None
    if pool is not None:
        try:
            sentences, claims = pool.extract(docs, config.max_claim_chars, failed, cache=cache)
        except (RuntimeError, OSError) as exc:  # a worker died (killed, out of memory): parse here instead
            print(f"[checker] spaCy worker failed ({str(exc)[:200]}); parsing in this process", file=sys.stderr)
            failed = [] if problems is not None else None
    if sentences is None:
        sentences, claims = claims_stage.extract(docs, nlp, config.max_claim_chars, failed, cache=cache)
    claims, stats = keep_faithful(claims, nli, config.support, config.nli_batch_size, config.max_claim_chars, cache=cache)
    if problems is not None:
        from .errors import E021_CLAIMS_FAILED, W104_NO_CLAIMS, Problem
        problems += [Problem("error", E021_CLAIMS_FAILED, name, f"claim extraction failed, the document is left out "
                             f"(please report it): {why}") for name, why in failed]
        have = {c.doc for c in claims}
        problems += [Problem("warning", W104_NO_CLAIMS, d.name, "no claims found in this document")
                     for d in docs if d.name not in have]
    return sentences, claims, stats


def story_pairs(claims, vecs, stories, dup_of: dict[str, str], config):
    """Cluster the claims of each story and pick cross-article candidate pairs within it
    (never between an article and its duplicate). Reference claims are singleton clusters.
    Returns (clusters, pairs, nn): nn per claim index of a story, the cosines of its nearest
    cross-article neighbours (what a store keeps to search later articles against)."""
    clusters: list[Cluster] = []
    pairs: list[tuple[int, int, float]] = []
    nn: dict[int, np.ndarray] = {}
    bounded = config.max_mates_per_claim is not None
    for st in stories:
        members = set(st.docs)
        idx = [i for i, c in enumerate(claims) if c.doc in members]
        if not idx:
            continue
        sub = [claims[i] for i in idx]
        groups = [dup_of.get(c.doc, c.doc) for c in sub]
        cl = cluster_claims(sub, vecs[idx], config.cluster_distance, first_id=len(clusters))
        clusters += cl
        if len(set(groups)) < 2:  # one article (and its duplicates): nothing to pair
            nn.update((i, np.zeros(0, dtype=np.float32)) for i in idx)
            continue
        nbrs = neighbours(vecs[idx], groups, [c.text for c in sub], config.pair_min_similarity,
                          config.max_pairs_per_claim, [c.role == "reference" for c in sub], distinct=bounded)
        nn.update(zip(idx, nbrs.cos))
        for a, b, sim in candidate_pairs(sub, vecs[idx], cl, config.pair_min_similarity, config.max_pairs_per_claim,
                                         config.max_mates_per_claim, groups, nbrs):
            pairs.append((idx[a], idx[b], sim))
    for i, c in enumerate(claims):
        if c.role == "reference":
            clusters.append(Cluster(id=len(clusters), claim_ids=(c.id,), docs=(c.doc,)))
    return clusters, pairs, nn


def load_models(config, problems, runner=None):
    """(spaCy, embedder, NLI) with torch threads and precision set from ``config``; a warning in ``problems``
    when the NLI model has no calibration of its own. ``runner``: its models (same interface)."""
    apply_threads(config)
    apply_precision(config)
    if runner is not None:  # its embedder and NLI run elsewhere (same interface)
        nlp, embedder, nli = runner.load_models(config)
    else:
        nlp, embedder = claims_stage.load_nlp(), load_embedder()
        nli = load_nli(config.nli_model, max_length=config.nli_max_length, allow_download=config.allow_download)
    problems += calibration_problems(config, nli.ref, ("claims",))
    return nlp, embedder, nli


def __getattr__(name: str):
    """``checker.pipeline.add`` lives in :mod:`checker.store.add` (imported on first use: the
    store imports this module's stages)."""
    if name == "add":
        from .store.add import add

        return add
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
