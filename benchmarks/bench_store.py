"""The store's incremental cost (issue 12): add N real news articles to an empty store, then 20
more, against a full rerun (all N + 20 into an empty store), for each N.

Articles: the CNN/DailyMail source documents of SummEval and QAGS-CNNDM (333 distinct articles;
../shared/data/eval), one .txt file per article, shuffled with a fixed seed; the first N are the
corpus, the next 20 the increment. Each step is a fresh process (``checker add`` as a library
call, one torch thread), so its wall time includes imports and model loading (reported apart) and
its peak RSS is its own.

    python benchmarks/bench_store.py --eval-dir ../shared/data/eval --sizes 100 300 \
        --json benchmarks/results/store.json

With ``--one-shot`` the one-shot run (``checker contradictions DIR``) on the same N + 20 articles is
timed too, and its contradictions compared with the store's (both built incrementally and in one go).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXTRA = 20


def articles(eval_dir: Path) -> list[str]:
    texts = [json.loads(line)["document"] for line in open(eval_dir / "summeval" / "summeval_consistency.jsonl")]
    texts += [json.loads(line)["article"] for line in open(eval_dir / "qags" / "mturk_cnndm.jsonl")]
    seen, out = set(), []
    for t in texts:
        key = re.sub(r"\W+", " ", t.lower())[:300]
        if key not in seen:
            seen.add(key)
            out.append(t)
    random.Random(12).shuffle(out)
    return out


def write(texts: list[str], folder: Path, start: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for k, t in enumerate(texts):
        (folder / f"a{start + k:04d}.txt").write_text(t, encoding="utf-8")
    return folder


CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import torch
torch.set_num_threads(1)
sys.path.insert(0, {root!r})
import checker
from checker.store.add import add
from checker.store import SQLiteStore, load_result
from checker.report import report_dict
t_import = time.perf_counter() - t0
mode, db, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
cfg = checker.Config.default(progress=False)
if mode == "add":
    st = SQLiteStore(db)
    out = add(paths, st, cfg)
    out.pop("problems")
    out["stored"] = st.counts()
    out["contradictions_found"] = [sorted([f["a"]["sentence"], f["b"]["sentence"]])
                                   for f in report_dict(load_result(st, cfg))["contradictions"]]
    st.close()
else:
    res = checker.run(paths, config=cfg)
    data = report_dict(res)
    out = dict(timings=res.timings, judged_pairs=len(res.judgements), claims=len(res.claims),
               stories=len(res.stories), candidate_pairs=res.stats.get("candidate_pairs"),
               contradictions_found=[sorted([f["a"]["sentence"], f["b"]["sentence"]]) for f in data["contradictions"]])
out["import_s"] = round(t_import, 3)
import resource
out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
print("@@" + json.dumps(out))
"""


def step(mode: str, db: Path, paths: list[Path]) -> dict:
    """One fresh process: its JSON, with its wall time and peak RSS (its own ru_maxrss)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    t = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-c", CHILD.format(root=str(ROOT)), mode, str(db), *map(str, paths)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    out, err = p.communicate()
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise RuntimeError(err[-3000:])
    data = json.loads(next(line[2:] for line in out.splitlines() if line.startswith("@@")))
    data["wall_s"] = round(wall, 2)
    return data


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "data" / "eval")
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 300])
    ap.add_argument("--one-shot", action="store_true", help="also time the one-shot run and compare findings")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    texts = articles(a.eval_dir)
    out = {"articles": "CNN/DM source documents of SummEval + QAGS-CNNDM, one .txt each, shuffled (seed 12)",
           "available": len(texts), "extra": EXTRA, "torch_threads": 1, "cpu_count": os.cpu_count(),
           "load_average_at_start": os.getloadavg()[0], "runs": []}
    for n in a.sizes:
        if n + EXTRA > len(texts):
            raise SystemExit(f"only {len(texts)} articles: N + {EXTRA} must not exceed that")
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            base = write(texts[:n], tmp / "base")
            more = write(texts[n:n + EXTRA], tmp / "more", start=n)
            both = write(texts[:n + EXTRA], tmp / "all")
            run = {"n": n}
            print(f"N={n}: add {n} to an empty store", file=sys.stderr, flush=True)
            run["add_n"] = step("add", tmp / "inc.db", [base])
            print(f"N={n}: add {EXTRA} more", file=sys.stderr, flush=True)
            run["add_extra"] = step("add", tmp / "inc.db", [more])
            print(f"N={n}: full rerun, {n + EXTRA} into an empty store", file=sys.stderr, flush=True)
            run["full_rerun"] = step("add", tmp / "full.db", [both])
            if a.one_shot:
                print(f"N={n}: one-shot run on {n + EXTRA}", file=sys.stderr, flush=True)
                run["one_shot"] = step("run", tmp / "unused.db", [both])
            inc, full = run["add_extra"], run["full_rerun"]
            work = lambda r: r["timings"]["total"] - r["timings"].get("load_models", 0.0)  # noqa: E731
            run["ratio_incremental_to_full"] = {
                "wall": round(inc["wall_s"] / full["wall_s"], 3),
                "work_without_imports_and_model_loading": round(work(inc) / work(full), 3),
                "nli_pairs": round(inc["judged_pairs"] / max(1, full["judged_pairs"]), 3)}
            found = lambda r: {tuple(x) for x in r["contradictions_found"]}  # noqa: E731
            run["findings"] = {"incremental_store": len(found(inc)), "store_in_one_add": len(found(full)),
                               "in_both": len(found(inc) & found(full))}
            if a.one_shot:
                one = found(run["one_shot"])
                run["findings"].update(one_shot=len(one), one_shot_also_in_incremental_store=len(one & found(inc)))
            for r in (run["add_n"], run["add_extra"], run["full_rerun"], run.get("one_shot", {})):
                r.pop("contradictions_found", None)
            out["runs"].append(run)
            print(json.dumps(run, indent=1), file=sys.stderr, flush=True)
    text = json.dumps(out, indent=1)
    print(text)
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
