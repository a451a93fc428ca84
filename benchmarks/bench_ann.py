"""Which approximate-nearest-neighbour library for the store's candidate search (issue 12)?

Builds an index of N unit vectors (384-d, cosine = inner product) one batch at a time (as
``checker add`` does), then asks Q held-out queries for their k nearest neighbours, and compares
with exact brute force: build time, query time, recall@k, file size and save/load time, and
whether an entry can be removed (a changed article's claims leave the index). One thread
everywhere (the machine is shared).

    python benchmarks/bench_ann.py --vectors vecs.npy --json benchmarks/results/ann.json

``--vectors``: a float32 .npy of real embeddings; made first (and kept there) when missing and
``--eval-dir`` is given: the all-MiniLM-L6-v2 vectors of the sentences (20-400 characters) of the
CNN/DM articles of SummEval and QAGS and of the WiCE dev evidence, 22,000 at most (6 min on one
thread). Without ``--vectors``: random normal vectors (say which in the report).

    python benchmarks/bench_ann.py --eval-dir ../shared/data/eval --vectors /tmp/vecs.npy --ef 128 \
        --json benchmarks/results/ann.json
Libraries that are not installed are skipped. Each library runs ``--repeat`` times, interleaved
with the others; times are the minimum (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import numpy as np


def real_vectors(eval_dir: str, path: str, limit: int = 22000) -> None:
    """Embed real news sentences (see the module docstring) into ``path``."""
    import glob
    import re
    import sys

    import torch

    torch.set_num_threads(1)
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from checker.embed import embed, load_embedder

    texts, seen = [], set()

    def add(article: str) -> None:
        if article in seen:
            return
        seen.add(article)
        texts.extend(s.strip() for s in re.split(r"(?<=[.!?])\s+", article) if 20 <= len(s.strip()) <= 400)

    for line in open(os.path.join(eval_dir, "summeval", "summeval_consistency.jsonl")):
        add(json.loads(line)["document"])
    for line in open(os.path.join(eval_dir, "qags", "mturk_cnndm.jsonl")):
        add(json.loads(line)["article"])
    for f in sorted(glob.glob(os.path.join(eval_dir, "wice", "*", "dev.jsonl"))):
        for line in open(f):
            for v in json.loads(line).values():
                if isinstance(v, list):
                    for x in v:
                        if isinstance(x, str):
                            add(x)
                elif isinstance(v, str) and len(v) > 200:
                    add(v)
    texts = list(dict.fromkeys(texts))[:limit]
    np.save(path, embed(texts, load_embedder(), 64))


def brute(base: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    sims = queries @ base.T
    return np.argsort(-sims, axis=1, kind="stable")[:, :k]


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f.tolist()) & set(t.tolist())) / len(t) for f, t in zip(found, truth)]))


def batches(n: int, size: int):
    for s in range(0, n, size):
        yield s, min(n, s + size)


def run_hnswlib(base, queries, k, batch, tmp):
    import hnswlib

    dim = base.shape[1]
    idx = hnswlib.Index(space="ip", dim=dim)
    idx.init_index(max_elements=1024, ef_construction=200, M=16, allow_replace_deleted=True)
    idx.set_num_threads(1)
    t = time.perf_counter()
    for s, e in batches(len(base), batch):
        if idx.get_current_count() + (e - s) > idx.get_max_elements():
            idx.resize_index(max(2 * idx.get_max_elements(), idx.get_current_count() + e - s))
        idx.add_items(base[s:e], np.arange(s, e), num_threads=1)
    build = time.perf_counter() - t
    idx.set_ef(EF)
    t = time.perf_counter()
    labels, _ = idx.knn_query(queries, k=k, num_threads=1)
    query = time.perf_counter() - t
    path = os.path.join(tmp, "h.bin")
    t = time.perf_counter()
    idx.save_index(path)
    j = hnswlib.Index(space="ip", dim=dim)
    j.load_index(path, max_elements=idx.get_max_elements(), allow_replace_deleted=True)
    io = time.perf_counter() - t
    j.mark_deleted(0)
    return labels, build, query, io, os.path.getsize(path), True


def run_usearch(base, queries, k, batch, tmp, dtype="f32"):
    from usearch.index import Index

    dim = base.shape[1]
    idx = Index(ndim=dim, metric="ip", dtype=dtype, connectivity=16, expansion_add=200, expansion_search=EF)
    t = time.perf_counter()
    for s, e in batches(len(base), batch):
        idx.add(np.arange(s, e, dtype=np.uint64), base[s:e], threads=1)
    build = time.perf_counter() - t
    t = time.perf_counter()
    m = idx.search(queries, k, threads=1)
    query = time.perf_counter() - t
    path = os.path.join(tmp, "u.usearch")
    t = time.perf_counter()
    idx.save(path)
    j = Index.restore(path)
    io = time.perf_counter() - t
    j.remove(0)
    return np.asarray(m.keys).astype(np.int64), build, query, io, os.path.getsize(path), True


def run_faiss(base, queries, k, batch, tmp):
    import faiss

    faiss.omp_set_num_threads(1)
    dim = base.shape[1]
    idx = faiss.IndexHNSWFlat(dim, 16, faiss.METRIC_INNER_PRODUCT)
    idx.hnsw.efConstruction = 200
    t = time.perf_counter()
    for s, e in batches(len(base), batch):
        idx.add(base[s:e])
    build = time.perf_counter() - t
    idx.hnsw.efSearch = EF
    t = time.perf_counter()
    _, labels = idx.search(queries, k)
    query = time.perf_counter() - t
    path = os.path.join(tmp, "f.index")
    t = time.perf_counter()
    faiss.write_index(idx, path)
    faiss.read_index(path)
    io = time.perf_counter() - t
    try:
        idx.remove_ids(np.array([0], dtype=np.int64))
        removable = True
    except RuntimeError:
        removable = False
    return labels, build, query, io, os.path.getsize(path), removable


def run_sqlite_vec(base, queries, k, batch, tmp):
    import sqlite3

    import sqlite_vec

    path = os.path.join(tmp, "v.db")
    db = sqlite3.connect(path)
    if not hasattr(db, "enable_load_extension"):
        raise ImportError("this Python's sqlite3 module was built without extension loading (sqlite-vec cannot load)")
    db.enable_load_extension(True)
    sqlite_vec.load(db)
    db.enable_load_extension(False)
    dim = base.shape[1]
    db.execute(f"create virtual table v using vec0(embedding float[{dim}] distance_metric=cosine)")
    t = time.perf_counter()
    for s, e in batches(len(base), batch):
        with db:
            db.executemany("insert into v(rowid, embedding) values (?, ?)",
                           [(i + 1, base[i].tobytes()) for i in range(s, e)])
    build = time.perf_counter() - t
    t = time.perf_counter()
    labels = []
    for q in queries:
        rows = db.execute("select rowid from v where embedding match ? and k = ? order by distance",
                          (q.tobytes(), k)).fetchall()
        labels.append([r[0] - 1 for r in rows])
    query = time.perf_counter() - t
    db.close()
    return np.array(labels), build, query, 0.0, os.path.getsize(path), True


EF = 64  # search breadth (--ef)

LIBS = {"hnswlib": run_hnswlib, "usearch": run_usearch,
        "usearch-f16": lambda *a: run_usearch(*a, dtype="f16"), "usearch-bf16": lambda *a: run_usearch(*a, dtype="bf16"),
        "faiss-cpu": run_faiss, "sqlite-vec": run_sqlite_vec}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vectors", help="float32 .npy of unit vectors (default: random normal)")
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--k", type=int, default=32)
    ap.add_argument("--batch", type=int, default=500, help="vectors added per call (one `add`'s worth)")
    ap.add_argument("--ef", type=int, default=64, help="search breadth (ef / expansion_search)")
    ap.add_argument("--only", help="comma-separated library names")
    ap.add_argument("--repeat", type=int, default=3, help="runs per library, interleaved; times are the minimum")
    ap.add_argument("--json")
    ap.add_argument("--eval-dir", help="make --vectors from this evaluation data folder when it is missing")
    a = ap.parse_args()
    if a.vectors and a.eval_dir and not os.path.exists(a.vectors):
        real_vectors(a.eval_dir, a.vectors)
    global EF
    EF = a.ef
    if a.vectors:
        allv = np.load(a.vectors).astype(np.float32)
        source = f"real: {os.path.basename(a.vectors)} ({len(allv)} all-MiniLM-L6-v2 vectors)"
    else:
        allv = np.random.default_rng(0).standard_normal((a.n + a.queries, 384)).astype(np.float32)
        source = "random normal 384-d"
    allv /= np.linalg.norm(allv, axis=1, keepdims=True)
    perm = np.random.default_rng(1).permutation(len(allv))
    queries, base = allv[perm[:a.queries]], allv[perm[a.queries:a.queries + a.n]]
    t = time.perf_counter()
    truth = brute(base, queries, a.k)  # numpy (BLAS threads as configured)
    out = {"vectors": source, "n": len(base), "queries": len(queries), "k": a.k, "batch": a.batch, "threads": 1,
           "brute_force_query_s": round(time.perf_counter() - t, 3), "libraries": {}}
    out["ef_search"] = a.ef
    best: dict[str, dict] = {}
    for rep in range(a.repeat):  # interleaved, so that a busy spell of a shared machine hits all alike
        for name, fn in LIBS.items():
            if a.only and name not in a.only.split(",") or name in out["libraries"]:
                continue
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    labels, build, query, io, size, removable = fn(base, queries, a.k, a.batch, tmp)
            except ImportError as exc:
                out["libraries"][name] = {"skipped": str(exc)}
                continue
            r = {"build_s": build, "query_s": query, "save_load_s": io}
            b = best.setdefault(name, dict(r, recall_at_k=round(recall(labels, truth), 4),
                                           file_mb=round(size / 1e6, 1), can_remove=removable))
            for key, v in r.items():
                b[key] = min(b[key], v)
            print(rep, name, {k: round(v, 3) for k, v in r.items()}, flush=True)
    for name, b in best.items():
        out["libraries"][name] = {"build_s": round(b["build_s"], 3), "query_s": round(b["query_s"], 3),
                                  "query_ms_each": round(1000 * b["query_s"] / len(queries), 3),
                                  "recall_at_k": b["recall_at_k"], "save_load_s": round(b["save_load_s"], 3),
                                  "file_mb": b["file_mb"], "can_remove": b["can_remove"]}
    text = json.dumps(out, indent=1)
    print(text)
    if a.json:
        with open(a.json, "w") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
