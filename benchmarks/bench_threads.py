"""Torch threads on a shared machine (issue 12): embedding claims/s and NLI pairs/s with 1 vs 2
torch threads, alternating in one process, without and then with a busy-loop process on one core.

    EVAL_DIR=../shared/data/eval python benchmarks/bench_threads.py   # -> results/threads_shared.json
"""
import sys, time, json, subprocess, os
ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent; sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / "benchmarks"))
from pathlib import Path
import torch
from checker.embed import load_embedder, embed
from checker.nli import load_nli
import re
texts = [s.strip() for t in __import__("bench_store").articles(Path(os.environ.get("EVAL_DIR", "../shared/data/eval")))[:30] for s in re.split(r"(?<=[.!?])\s+", t) if len(s.strip()) > 20][:512]
m = load_embedder(); nli = load_nli()
pairs = list(zip(texts[:96], texts[1:97]))
embed(texts[:64], m)
res = []
for load in (False, True):
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if load else None
    time.sleep(1)
    for rep in range(2):
        for n in (1, 2):
            torch.set_num_threads(n)
            t = time.perf_counter(); embed(texts, m); e = len(texts) / (time.perf_counter() - t)
            t = time.perf_counter(); nli.predict(pairs); p = len(pairs) / (time.perf_counter() - t)
            r = dict(busy_core=load, threads=n, rep=rep, embed_claims_per_s=round(e, 1), nli_pairs_per_s=round(p, 1), loadavg=os.getloadavg()[0])
            print(r, flush=True); res.append(r)
    if busy: busy.kill(); busy.wait()
json.dump(res, open(str(ROOT / "benchmarks/results/threads_shared.json"), "w"), indent=1)
