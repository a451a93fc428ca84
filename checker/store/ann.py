"""Approximate nearest neighbours for the store: a USearch HNSW index (Apache-2.0) of unit
vectors under inner product, keyed by SQLite row ids.

Chosen by measurement (``benchmarks/bench_ann.py``, results in ``benchmarks/results/ann.json``):
against hnswlib (sdist only, no release since 2023), faiss-cpu (its HNSW cannot remove an entry,
which a changed article needs) and sqlite-vec (exact search only; cannot load in a Python whose
sqlite3 has no extension loading).

The index is a cache of a table: :meth:`sync` adds what the table has and the index lacks and
drops what the table no longer has, so an index file that is missing, stale (a ``kill -9``
between the SQLite commit and :meth:`save`) or unreadable is brought up to date on open.
Up to ``EXACT_BELOW`` entries the search is exact (brute force), so small stores give the same
neighbours whatever the history of the index.
"""

from __future__ import annotations

import os

import numpy as np

EXACT_BELOW = 4096
DTYPE = "f16"  # stored half precision: half the memory, faster, the same recall (bench_ann.py)
CONNECTIVITY = 16
EXPANSION_ADD = 128
EXPANSION_SEARCH = 128


class VectorIndex:
    def __init__(self, path: str | None = None):
        self.path = path
        self.index = None
        self.dirty = False
        if path and os.path.exists(path):
            try:
                from usearch.index import Index

                self.index = Index.restore(path, view=False)
            except Exception:  # noqa: BLE001 - a cache: rebuilt by sync()
                self.index = None
            if self.index is not None:
                self._tune()

    def _tune(self) -> None:
        self.index.expansion_add = EXPANSION_ADD
        self.index.expansion_search = EXPANSION_SEARCH

    def _make(self, ndim: int) -> None:
        from usearch.index import Index

        self.index = Index(ndim=ndim, metric="ip", dtype=DTYPE, connectivity=CONNECTIVITY,
                           expansion_add=EXPANSION_ADD, expansion_search=EXPANSION_SEARCH)

    def __len__(self) -> int:
        return 0 if self.index is None else len(self.index)

    def keys(self) -> np.ndarray:
        if self.index is None or not len(self.index):
            return np.zeros(0, dtype=np.int64)
        return np.asarray(self.index.keys, dtype=np.int64)

    def missing_from(self, ids: np.ndarray) -> np.ndarray:
        """The ids of ``ids`` not in the index."""
        return np.setdiff1d(np.asarray(ids, dtype=np.int64), self.keys())

    def sync(self, ids: np.ndarray, add_ids: np.ndarray, add_vecs: np.ndarray) -> None:
        """Make the index hold exactly ``ids``: remove the others, add ``add_ids``/``add_vecs``."""
        extra = np.setdiff1d(self.keys(), np.asarray(ids, dtype=np.int64))
        if len(extra):
            self.index.remove(extra.astype(np.uint64))
            self.dirty = True
        if len(add_ids):
            self.add(add_ids, add_vecs)

    def add(self, ids, vecs: np.ndarray) -> None:
        vecs = np.ascontiguousarray(vecs, dtype=np.float32)
        if self.index is None:
            self._make(vecs.shape[1])
        self.index.add(np.asarray(ids, dtype=np.uint64), vecs, threads=1)
        self.dirty = True

    def search(self, vec: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(ids, cosines) of the ``k`` nearest entries, nearest first."""
        if self.index is None or not len(self.index):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        k = min(k, len(self.index))
        m = self.index.search(np.ascontiguousarray(vec, dtype=np.float32), k, threads=1,
                              exact=len(self.index) < EXACT_BELOW)
        n = len(m)
        return np.asarray(m.keys, dtype=np.int64)[:n], 1.0 - np.asarray(m.distances, dtype=np.float32)[:n]

    def save(self) -> None:
        """Write the index atomically (a temporary file renamed over the old one)."""
        if not self.path or self.index is None or not self.dirty:
            return
        tmp = f"{self.path}.tmp{os.getpid()}"
        self.index.save(tmp)
        os.replace(tmp, self.path)
        self.dirty = False
