"""The pipeline at a glance: ingest -> claims -> embed -> stories -> cluster -> compare -> Result."""

from __future__ import annotations

import sys
import time
from contextlib import nullcontext
from pathlib import Path

from . import claims as claims_stage
from . import ingest
from .claims.faithful import keep_faithful
from .claims.workers import maybe_pool
from .cluster import candidate_pairs, cluster_claims
from .compare import judge, reference_pairs
from .config import Config, apply_precision, apply_threads
from .embed import embed, load_embedder
from .nli import load_nli
from .nli_models import calibration_problems
from .records import Cluster, Result
from .stories import duplicate_index, group_stories, story_index


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

    The NLI model is ``config.nli_model`` (see :class:`~checker.config.Config`); when the
    configuration carries no calibration fitted for it, ``Result.problems`` holds a warning
    (W109 raw probabilities, W110 calibration of other weights)."""
    config = config or Config.default()
    say = Progress(config.progress)
    timings: dict[str, float] = {}

    def timed(name):
        class _T:
            def __enter__(self_):
                self_.t = time.perf_counter()

            def __exit__(self_, *exc):
                timings[name] = round(timings.get(name, 0.0) + time.perf_counter() - self_.t, 3)
        return _T()

    with timed("ingest"):
        say(f"reading {len(paths)} input path(s)")
        skip = {Path(reference).resolve()} if reference is not None else set()
        docs, problems = ingest.load(paths, "article", config, skip=skip)
        if reference is not None:
            rdocs, rprob = ingest.load([reference], "reference", config)
            docs += rdocs
            problems += rprob
        say(f"{sum(d.role == 'article' for d in docs)} article(s), {sum(d.role == 'reference' for d in docs)} reference file(s), {len(problems)} problem(s)")
    if not any(d.role == "article" for d in docs):  # nothing to check: do not load the models
        return Result(documents=docs, sentences=[], claims=[], clusters=[], judgements=[],
                      thresholds=dict(config.thresholds), problems=problems, timings=timings)
    with timed("load_models"):
        say("loading spaCy, embedding and NLI models")
        nlp, embedder, nli = load_models(config, problems)
    with timed("claims"):
        with maybe_pool(config, [d for d in docs if d.role == "article"]) or nullcontext() as pool:
            sentences, claims, stats = extract_claims(docs, nlp, nli, config, pool)
        say(f"{len(sentences)} sentences, {len(claims)} claims ({stats['replaced_by_sentence']} of "
            f"{stats['decomposed_claims']} decomposed claims not entailed by their sentence: kept as the sentence)")
    from .errors import W104_NO_CLAIMS, Problem
    for d in docs:
        if not any(c.doc == d.name for c in claims):
            problems.append(Problem("warning", W104_NO_CLAIMS, d.name, "no claims found in this document"))
    with timed("embed"):
        say("embedding claims")
        vecs = embed([c.text for c in claims], embedder, config.embed_batch_size)
    with timed("stories"):
        stories = group_stories(docs, claims, vecs, config)
        story_of, dup_of = story_index(stories), duplicate_index(stories)
        say(f"{len(stories)} stor{'y' if len(stories) == 1 else 'ies'}" +
            (f", {len(dup_of)} duplicate article(s)" if dup_of else ""))
    with timed("cluster"):
        clusters, pairs = story_pairs(claims, vecs, stories, dup_of, config)
        have = {(i, j) for i, j, _ in pairs}
        pairs += [p for p in reference_pairs(claims, vecs)
                  if (p[0], p[1]) not in have and p[2] >= config.reference_min_similarity]
        pairs.sort()
        say(f"{len(clusters)} clusters, {len(pairs)} candidate pairs within stories and against the reference")
    with timed("compare"):
        judgements = judge(claims, pairs, nli, nlp, config, say=say, dates={d.name: d.date for d in docs},
                           story_of=story_of)
        say(f"NLI done on {len(judgements)} pairs")
    stats.update(candidate_pairs=len(pairs), judged_pairs=len(judgements))
    res = Result(documents=docs, sentences=sentences, claims=claims, clusters=clusters,
                 judgements=judgements, thresholds=dict(config.thresholds), problems=problems,
                 timings=timings, embeddings=vecs, stories=stories, stats=stats)
    say(f"done: {len(res.contradictions())} contradiction(s), {len(res.corroborations())} corroboration(s)")
    return res


def extract_claims(docs, nlp, nli, config, pool=None):
    """Stage 2 (one-shot run and store alike): sentences and atomic claims, decomposed claims
    that their sentence does not entail replaced by the sentence. (sentences, claims, stats)
    ``pool``: a :class:`checker.claims.workers.ParsePool` that does the spaCy part (same result)."""
    sentences = None
    if pool is not None:
        try:
            sentences, claims = pool.extract(docs, config.max_claim_chars)
        except (RuntimeError, OSError) as exc:  # a worker died (killed, out of memory): parse here instead
            print(f"[checker] spaCy worker failed ({str(exc)[:200]}); parsing in this process", file=sys.stderr)
    if sentences is None:
        sentences, claims = claims_stage.extract(docs, nlp, config.max_claim_chars)
    claims, stats = keep_faithful(claims, nli, config.support, config.nli_batch_size, config.max_claim_chars)
    return sentences, claims, stats


def story_pairs(claims, vecs, stories, dup_of: dict[str, str], config):
    """Cluster the claims of each story and pick cross-article candidate pairs within it
    (never between an article and its duplicate). Reference claims are singleton clusters."""
    clusters: list[Cluster] = []
    pairs: list[tuple[int, int, float]] = []
    for st in stories:
        members = set(st.docs)
        idx = [i for i, c in enumerate(claims) if c.doc in members]
        if not idx:
            continue
        sub = [claims[i] for i in idx]
        cl = cluster_claims(sub, vecs[idx], config.cluster_distance, first_id=len(clusters))
        for a, b, sim in candidate_pairs(sub, vecs[idx], cl, config.pair_min_similarity, config.max_pairs_per_claim,
                                         config.max_mates_per_claim, [dup_of.get(c.doc, c.doc) for c in sub]):
            da, db = sub[a].doc, sub[b].doc
            if dup_of.get(da, da) != dup_of.get(db, db):
                pairs.append((idx[a], idx[b], sim))
        clusters += cl
    for i, c in enumerate(claims):
        if c.role == "reference":
            clusters.append(Cluster(id=len(clusters), claim_ids=(c.id,), docs=(c.doc,)))
    return clusters, pairs


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
