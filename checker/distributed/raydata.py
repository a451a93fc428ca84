"""The Ray runner: claims (+ faithfulness), embedding and NLI with Ray Data ``map_batches``.

What runs where (see README, "Beyond one machine: Ray"):

* **Ray workers**, through Ray Data ``map_batches``: the claims stage
  (:func:`checker.pipeline.extract_claims`: spaCy + the NLI faithfulness check) over a window's
  articles, the embedding of their claims (:func:`checker.embed.embed`) and every NLI call of
  the compare stage (:meth:`checker.nli.NLIModel.predict` on the candidate pairs). The same
  stage functions as the single-process path, imported from the ``checker`` installed on
  each node.
* **The driver** (the ``checker add`` process): reading files, story grouping and candidate
  search (they need the store), the compare stage's rules around NLI
  (:func:`checker.compare.judge`, its spaCy pass over the claims of candidate pairs) and the
  commits into the store.

Models are loaded once per Ray worker process and kept there (the per-process caches of
:func:`checker.claims.load_nlp`, :func:`checker.embed.load_embedder`,
:func:`checker.nli.load_nli`): Ray keeps its worker processes between tasks, so later windows
and later NLI calls find them loaded. Ray Data's actor pools were measured here at about 4 s
to start per dataset (before any model load), and ``add`` makes one NLI call per article that
joins a stored story, so stateful actors would restart for each; a task-based ``map_batches``
costs about 0.15 s once the workers are up.

Same results as the single-process path: NLI probabilities and embeddings depend on their
batch in the last float bits (padding), so the driver forms the batches the single-process
code would (:func:`checker.nli.batches`; sentence-transformers' longest-first order for
embeddings) and a worker runs one batch whole. The claims stage runs a few articles per task;
claims are per article, and only the faithfulness NLI batches differ (a threshold on a
probability, not stored). ``tests/test_distributed.py`` checks the store and the report
against the single-process path.
"""

from __future__ import annotations

import logging
import math
import os
import pickle

import numpy as np

from ..errors import E020_RAY_CONNECT, CheckerError


# ------------------------------------------------------------------ on the workers
# Module-level functions: Ray pickles them by reference, so each worker imports its own checker.

def _objs(xs) -> np.ndarray:
    out = np.empty(len(xs), dtype=object)
    out[:] = xs
    return out


def _worker_nli(spec: str, sha256: str, config):
    from ..config import apply_precision
    from ..nli import load_nli

    apply_precision(config)  # the driver's resolved precision (RayRunner.load_models)
    nli = load_nli(spec, max_length=config.nli_max_length, allow_download=config.allow_download)
    if nli.ref.sha256 != sha256:
        raise RuntimeError(f"this Ray worker's NLI model ({nli.ref.sha256[:12]}) is not the driver's "
                           f"({sha256[:12]}): install the same checker and models on every node")
    return nli


def _claims_batch(batch: dict, spec: str, sha256: str, config) -> dict:
    """Rows (k, pickled Document) -> one row per document: (k, pickled (sentences, claims, stats))."""
    from ..claims import load_nlp
    from ..pipeline import extract_claims

    ks = [int(k) for k in batch["k"]]
    docs = [pickle.loads(b) for b in batch["blob"]]
    problems: list = []
    sentences, claims, stats = extract_claims(docs, load_nlp(), _worker_nli(spec, sha256, config), config,
                                              problems=problems)
    out = []
    for n, d in enumerate(docs):  # claims and sentences are per article: split them back
        out.append(pickle.dumps(([s for s in sentences if s.doc == d.name], [c for c in claims if c.doc == d.name],
                                 stats if n == 0 else {}, [p for p in problems if p.path == d.name])))
    return {"k": np.array(ks, dtype=np.int64), "blob": _objs(out)}


def _embed_batch(batch: dict, batch_size: int, precision: str) -> dict:
    """Rows (k, pickled texts of one encode batch) -> (k, pickled float32 unit vectors)."""
    from ..config import Config, apply_precision
    from ..embed import embed, load_embedder

    apply_precision(Config(precision=precision))
    out = [pickle.dumps(embed(pickle.loads(b), load_embedder(), batch_size)) for b in batch["blob"]]
    return {"k": np.asarray(batch["k"], dtype=np.int64), "blob": _objs(out)}


def _nli_batch(batch: dict, spec: str, sha256: str, config) -> dict:
    """Rows (k, pickled pairs of one NLI batch) -> (k, pickled probabilities)."""
    nli = _worker_nli(spec, sha256, config)
    out = []
    for b in batch["blob"]:
        pairs = pickle.loads(b)
        out.append(pickle.dumps(nli.predict(pairs, batch_size=len(pairs))))
    return {"k": np.asarray(batch["k"], dtype=np.int64), "blob": _objs(out)}


def _worker_info() -> dict:
    import checker
    from ..embed import dimension, load_embedder

    emb = load_embedder()
    return {"dim": dimension(emb), "checker": checker.__file__}


# ------------------------------------------------------------------ on the driver

class RayEmbedder:
    """An embedder for :func:`checker.embed.embed` whose ``encode`` runs on Ray workers."""

    def __init__(self, runner: "RayRunner"):
        self.runner = runner

    def get_sentence_embedding_dimension(self) -> int:
        return self.runner.info()["dim"]

    get_embedding_dimension = get_sentence_embedding_dimension

    def encode(self, texts, batch_size: int = 64, convert_to_numpy: bool = True, normalize_embeddings: bool = True,
               show_progress_bar: bool = False) -> np.ndarray:
        assert normalize_embeddings, "the Ray embedder gives unit vectors (as checker.embed.embed asks)"
        texts = list(texts)
        out = np.zeros((len(texts), self.get_sentence_embedding_dimension()), dtype=np.float32)
        if not texts:
            return out
        # SentenceTransformer.encode batches texts longest first: send those batches whole
        order = np.argsort([-len(t) for t in texts])
        chunks = [order[s:s + batch_size] for s in range(0, len(order), batch_size)]
        vecs = self.runner.map([[texts[i] for i in c] for c in chunks], _embed_batch,
                               dict(batch_size=batch_size, precision=self.runner.precision))
        for c, v in zip(chunks, vecs):
            out[c] = v
        return out


class RayNLI:
    """An NLI model for the pipeline whose ``predict`` runs on Ray workers (``ref`` is resolved
    here, so the store's model check and the calibration need no model in this process)."""

    def __init__(self, runner: "RayRunner", spec: str, ref, config):
        self.runner, self.spec, self.ref, self.config = runner, spec, ref, config
        self.labels = ref.labels

    def predict(self, pairs, batch_size: int = 32, progress=None, cache=None) -> np.ndarray:
        """``cache`` is not used: the workers compute every pair (in the single-process batches)."""
        from ..nli import batches

        pairs = list(pairs)
        out = np.zeros((len(pairs), 3), dtype=np.float32)
        if not pairs:
            return out
        bs = batches(pairs, batch_size)
        probs = self.runner.map([[pairs[i] for i in idx] for idx in bs], _nli_batch,
                                dict(spec=self.spec, sha256=self.ref.sha256, config=self.config))
        for idx, p in zip(bs, probs):
            out[idx] = p
        if progress:
            progress(len(pairs))
        return out


class RayRunner:
    """Claims, embedding and NLI on a Ray cluster (:mod:`checker.distributed`).

    ``address``: ``"auto"`` starts a local Ray instance (all cores of this machine) unless this
    process has already called ``ray.init``; otherwise a running cluster's address
    (``HEAD:6379`` as printed by ``ray start --head``, or ``ray://HEAD:10001``). A Ray instance
    the runner started is shut down by :meth:`close`."""

    def __init__(self, address: str = "auto", blocks_per_cpu: int = 2, max_docs_per_task: int = 16):
        import ray
        import ray.data

        self.ray = ray
        self.blocks_per_cpu, self.max_docs_per_task = blocks_per_cpu, max_docs_per_task
        self.started = False
        self.precision: str | None = None  # resolved by load_models
        self._info = None
        if not ray.is_initialized():
            try:
                if address in ("auto", "local", ""):
                    ray.init(include_dashboard=False, logging_level=logging.WARNING)
                else:
                    ray.init(address=address, logging_level=logging.WARNING)
            except Exception as exc:  # no cluster at the address, a version mismatch, ...
                raise CheckerError(E020_RAY_CONNECT, "--ray", f"{address}: Ray could not start or connect: "
                                   f"{type(exc).__name__}: {str(exc)[:500]}") from None
            self.started = True
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False  # checker add has its own progress bar
        ctx.execution_options.preserve_order = True
        for name in ("ray.data", "ray.data._internal"):
            logging.getLogger(name).setLevel(logging.ERROR)
        self.cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))

    # the one way work leaves this process
    def map(self, items: list, fn, fn_kwargs: dict, rows_per_call: int = 1) -> list:
        """``fn`` over ``items`` with Ray Data ``map_batches`` (``rows_per_call`` items per call),
        results in the order of ``items``."""
        if not items:
            return []
        import ray.data

        rows = [{"k": k, "blob": pickle.dumps(x)} for k, x in enumerate(items)]
        blocks = min(len(rows), self.cpus * self.blocks_per_cpu)
        ds = ray.data.from_items(rows, override_num_blocks=blocks)
        try:
            got = ds.map_batches(fn, fn_kwargs=fn_kwargs, batch_size=rows_per_call, batch_format="numpy").take_all()
        except Exception as exc:
            raise CheckerError(E020_RAY_CONNECT, "--ray", f"a Ray task failed: {type(exc).__name__}: "
                               f"{str(exc)[-1500:]}") from exc
        got.sort(key=lambda r: int(r["k"]))
        assert [int(r["k"]) for r in got] == list(range(len(items))), "a Ray Data batch was lost"
        return [pickle.loads(r["blob"]) for r in got]

    def info(self) -> dict:
        """What a worker has: its embedding dimension and where it imports checker from."""
        if self._info is None:
            try:
                self._info = self.ray.get(self.ray.remote(_worker_info).remote())
            except Exception as exc:
                raise CheckerError(E020_RAY_CONNECT, "--ray", f"a Ray worker cannot run checker: "
                                   f"{type(exc).__name__}: {str(exc)[-1500:]}") from exc
        return self._info

    def load_models(self, config) -> tuple:
        from dataclasses import replace

        from ..claims import load_nlp
        from ..config import resolve_precision
        from ..nli_models import resolve

        spec = str(config.nli_model or os.environ.get("CHECKER_NLI_MODEL") or "")
        ref = resolve(spec or None, config.allow_download)
        # the driver resolves "auto" precision once: every worker computes as the driver would
        self.precision = resolve_precision(config.precision)
        config = replace(config, precision=self.precision)
        # spaCy here too: the compare stage's rules parse the claims of candidate pairs
        return load_nlp(), RayEmbedder(self), RayNLI(self, spec, ref, config)

    def extract_claims(self, docs, nlp, nli, config, problems: list | None = None) -> tuple:
        """:func:`checker.pipeline.extract_claims` on the workers, a few articles per task."""
        from dataclasses import replace

        per = max(1, min(self.max_docs_per_task, math.ceil(len(docs) / self.cpus)))
        config = replace(config, precision=self.precision or config.precision)
        got = self.map(list(docs), _claims_batch, dict(spec=nli.spec, sha256=nli.ref.sha256, config=config),
                       rows_per_call=per)
        sentences, claims, stats = [], [], {}
        for s, c, st, probs in got:
            sentences += s
            claims += c
            if problems is not None:
                problems += probs
            for k, v in st.items():
                stats[k] = stats.get(k, 0) + v
        return sentences, claims, stats

    def close(self) -> None:
        if self.started and self.ray.is_initialized():
            self.ray.shutdown()
        self.started = False
