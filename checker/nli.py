"""The NLI cross-encoder, loaded offline: the project's own model (trained by
models/train_nli.py) or any Hugging Face sequence-classification NLI model (``--nli-model``,
see :mod:`checker.nli_models` for how it is found and how its labels are read)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np

from .config import compute, current_precision
from .memo import Memo
from .nli_models import CANONICAL, resolve

LABELS = CANONICAL  # ("entailment", "neutral", "contradiction")
NLI_CACHE_SIZE = 100_000  # pairs whose probabilities NLIModel keeps across calls (bf16), least recently used dropped


class NLIModel:
    """3-way NLI: ``predict([(premise, hypothesis), ...])`` -> probabilities in :data:`LABELS` order,
    whatever the model's own label order (read from its ``config.json``); a two-way model's
    P(not entailment) is split equally between neutral and contradiction."""

    def __init__(self, path: str | Path | None = None, max_length: int = 256, threads: int | None = None,
                 allow_download: bool = False):
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        from .errors import E017_NLI_LABELS, E018_NLI_LOAD, CheckerError

        self.torch = torch
        from .config import quiet_transformers
        quiet_transformers()
        if threads:
            torch.set_num_threads(threads)
        self.ref = resolve(path, allow_download)
        self.path = self.ref.path
        self.labels = self.ref.labels
        where = self.ref.spec or str(self.path)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
            # the shipped weights are fp16; CPU matmuls are fastest (and deterministic) in fp32
            self.model = AutoModelForSequenceClassification.from_pretrained(
                self.path, local_files_only=True, dtype=torch.float32).eval()
        except Exception as exc:  # a missing tokenizer, an unknown architecture, damaged weights ...
            raise CheckerError(E018_NLI_LOAD, where, f"transformers could not load it: {type(exc).__name__}: "
                               f"{str(exc)[:500]}") from None
        n = int(self.model.config.num_labels)
        if n != len(self.labels.names):
            raise CheckerError(E017_NLI_LABELS, where, f"the classification head has {n} outputs but config.json "
                               f"id2label names {len(self.labels.names)}")
        # never ask for more tokens than the model has positions for (tokenizers without a
        # limit report a huge sentinel; then the position table, less RoBERTa's 2-slot offset)
        limit = getattr(self.tokenizer, "model_max_length", None)
        if not (isinstance(limit, int) and 0 < limit < 100_000):
            mpe = getattr(self.model.config, "max_position_embeddings", None)
            limit = mpe - 2 if isinstance(mpe, int) and mpe > 2 else None
        self.max_length = min(max_length, limit) if limit else max_length
        self._cache = Memo(NLI_CACHE_SIZE)  # (premise, hypothesis) -> probabilities, bf16 only

    def lengths(self, pairs: list[tuple[str, str]]) -> list[int] | None:
        """Token lengths of the pairs when batches must hold one length each (bf16, see
        :func:`checker.config.apply_precision`); None in fp32 (batches by character length)."""
        if current_precision() != "bf16" or not pairs:
            return None
        enc = self.tokenizer([a for a, _ in pairs], [b for _, b in pairs], truncation=True, max_length=self.max_length)
        return [len(x) for x in enc["input_ids"]]

    def predict(self, pairs: list[tuple[str, str]], batch_size: int = 32, progress=None, cache=None) -> np.ndarray:
        """Probabilities of each (premise, hypothesis). Each distinct pair is computed once (near-copies
        of one article repeat the same claim pairs many times). In bf16, where a pair's result does
        not depend on its batch (:func:`batches`), results are also kept across calls in a bounded
        map (``checker add`` judges the same stored claims against article after article) and in
        ``cache``, a store's (:mod:`checker.memo`: kept for later adds to the store)."""
        out = np.zeros((len(pairs), 3), dtype=np.float32)
        if not pairs:
            return out
        distinct = list(dict.fromkeys(pairs))
        keep = current_precision() == "bf16"
        backing = cache.namespace(f"nli:{self.ref.sha256[:16]}:{self.max_length}", _dump_probs, _load_probs) \
            if keep and cache is not None else None
        have = self._cache.get_many(distinct, backing) if keep else {}
        todo = [p for p in distinct if p not in have]
        if progress and len(pairs) > len(todo):
            progress(len(pairs) - len(todo))
        got = {}
        for idx in batches(todo, batch_size, self.lengths(todo)):
            probs = self.labels.to_canonical(self._forward(self._encode(todo, idx)))
            got.update((todo[i], p) for i, p in zip(idx, probs))
            if progress:
                progress(len(idx))
        if keep:
            self._cache.put_many(got, backing)
        have.update(got)
        for k, p in enumerate(pairs):
            out[k] = have[p]
        return out

    def _encode(self, pairs: list[tuple[str, str]], idx: list[int]):
        return self.tokenizer([pairs[i][0] for i in idx], [pairs[i][1] for i in idx], truncation=True,
                              max_length=self.max_length, padding=True, return_tensors="pt")

    def _forward(self, enc) -> np.ndarray:
        """Softmax of one encoded batch, in the process's precision (autocast is per thread)."""
        with self.torch.inference_mode(), compute():
            return self.torch.softmax(self.model(**enc).logits.float(), dim=-1).numpy()

    def predict_parallel(self, pairs: list[tuple[str, str]], batch_size: int = 32, workers: int = 1) -> np.ndarray:
        """:meth:`predict` with the batches' forward passes spread over ``workers`` threads of one
        intra-op thread each (:func:`torch_workers`); the same batches, so the same probabilities."""
        if workers <= 1:
            return self.predict(pairs, batch_size=batch_size)
        out = np.zeros((len(pairs), 3), dtype=np.float32)
        bs = batches(pairs, batch_size, self.lengths(pairs))
        for idx, probs in zip(bs, run_batches(bs, lambda idx: self._encode(pairs, idx), self._forward, workers)):
            out[idx] = self.labels.to_canonical(probs)
        return out


def _dump_probs(p) -> bytes:
    return np.asarray(p, dtype=np.float32).tobytes()


def _load_probs(b: bytes) -> np.ndarray:
    return np.frombuffer(b, dtype=np.float32).copy()


@contextmanager
def torch_workers(n: int):
    """A pool of ``n`` Python threads for model forward passes, each running torch ops on one
    intra-op thread (torch releases the GIL inside its ops, so ``n`` batches run on ``n`` cores
    at once). On a machine shared with other jobs this beats one call on ``n`` intra-op threads,
    whose every op waits for its slowest (descheduled) thread; the results are the same (each
    batch is computed exactly as with one thread). The process-wide thread count is restored on
    exit. Yields None for ``n <= 1``."""
    if n <= 1:
        yield None
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with ThreadPoolExecutor(n, initializer=torch.set_num_threads, initargs=(1,)) as ex:
            yield ex
    finally:
        torch.set_num_threads(before)


def run_batches(inputs: list, encode, forward, workers: int = 1):
    """``[forward(encode(x)) for x in inputs]``, ``forward`` spread over :func:`torch_workers`.
    ``encode`` (tokenisation) always runs in the calling thread, a window of batches at a time:
    Hugging Face fast tokenizers must not be used from two threads at once."""
    if workers <= 1 or len(inputs) <= 1:
        return [forward(encode(x)) for x in inputs]
    out = []
    with torch_workers(workers) as ex:
        for w in range(0, len(inputs), 2 * workers):
            out += list(ex.map(forward, [encode(x) for x in inputs[w : w + 2 * workers]]))
    return out


def batches(pairs: list[tuple[str, str]], batch_size: int, lengths: list[int] | None = None) -> list[list[int]]:
    """The batches :meth:`NLIModel.predict` runs (indices into ``pairs``): pairs sorted by
    character length, ``batch_size`` at a time. A pair's probabilities depend on its batch in
    the last float bits (padding), so a runner that spreads NLI over processes sends these
    batches whole (:mod:`checker.distributed`) and gets the probabilities of a single-process
    run. With token ``lengths`` (bf16): each batch holds pairs of one token length, no padding,
    so a pair's probabilities do not depend on its batch at all."""
    if lengths is None:
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        return [order[s : s + batch_size] for s in range(0, len(order), batch_size)]
    return same_length_batches(lengths, batch_size)


def same_length_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Indices grouped by equal length (shortest first, input order within), ``batch_size`` at a time."""
    groups: dict[int, list[int]] = {}
    for i, n in enumerate(lengths):
        groups.setdefault(n, []).append(i)
    return [g[s : s + batch_size] for n in sorted(groups) for g in (groups[n],) for s in range(0, len(g), batch_size)]


def load_nli(path: str | Path | None = None, max_length: int = 256, allow_download: bool = False) -> NLIModel:
    """The NLI model (cached per process). ``path``: ``--nli-model`` (a folder or hub id);
    None: ``$CHECKER_NLI_MODEL``, else the shipped model."""
    spec = str(path) if path not in (None, "") else os.environ.get("CHECKER_NLI_MODEL", "")
    return _load_nli(spec, int(max_length), bool(allow_download))


@lru_cache(maxsize=6)
def _load_nli(spec: str, max_length: int, allow_download: bool) -> NLIModel:
    return NLIModel(spec or None, max_length=max_length, allow_download=allow_download)
