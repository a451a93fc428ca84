"""One-shot pipeline speed (issue 12, part 3): ``checker.run`` (= ``checker contradictions DIR``)
on N real news articles, the code path before issue 12's speed work ("old") against today's
("new"), alternating in one run so that both see the same machine load.

Articles: N // 4 ClaimDiff train stories (two articles each, JSONL with outlet and date) plus
CNN/DM source documents of SummEval and QAGS-CNNDM (as in bench_store.py), one folder per N.

* old: ``CHECKER_LEGACY_FACTS=1`` (compare re-parses every claim of the candidate pairs with
  ``nlp.pipe(batch_size=64)`` in claim order, no de-duplication) and ``CHECKER_THREADS=2``
  (torch's own default on this 2-core machine, which ``Config.threads`` did not change before);
* new: claim facts parsed once per distinct text, sorted by length, batch 256 (compare.claim_facts),
  torch threads from ``config.default_threads()`` (1 on 2 cores).

Each run is a fresh process (imports and model loading included, reported apart): per-stage
seconds (``Result.timings``; ``compare`` split into NLI and the rest, mostly the claims' spaCy
parse), peak RSS, NLI pairs. The two paths' JSON reports are compared byte for byte.

    python benchmarks/bench_pipeline.py --eval-dir ../shared/data/eval --sizes 100 300 \
        --json benchmarks/results/pipeline_speed.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
import checker
from checker import compare, pipeline
from checker.nli import NLIModel
from checker.report import report_dict
t_import = time.perf_counter() - t0
nli_t = [0.0, 0]
_predict = NLIModel.predict
def predict(self, pairs, *a, **k):
    t = time.perf_counter()
    try:
        return _predict(self, pairs, *a, **k)
    finally:
        nli_t[0] += time.perf_counter() - t
        nli_t[1] += len(pairs)
NLIModel.predict = predict
in_compare = {{}}
_judge = pipeline.judge
def judge(*a, **k):
    before = list(nli_t)
    out = _judge(*a, **k)
    in_compare["nli_s"] = round(nli_t[0] - before[0], 3)
    in_compare["nli_directed_pairs"] = nli_t[1] - before[1]
    return out
pipeline.judge = judge
res = checker.run([sys.argv[1]], config=checker.Config.default(progress=False))
import torch
data = json.dumps(report_dict(res), sort_keys=True)
print(json.dumps(dict(import_s=round(t_import, 3), timings=res.timings, compare_nli_s=in_compare.get("nli_s"),
                      compare_other_s=round(res.timings["compare"] - in_compare.get("nli_s", 0.0), 3),
                      nli_pairs=in_compare.get("nli_directed_pairs", 0) // 2, judged_pairs=len(res.judgements),
                      claims=len(res.claims), candidate_pairs=res.stats.get("candidate_pairs"),
                      torch_threads=torch.get_num_threads(),
                      contradictions=len(res.contradictions()), report_sha256=__import__("hashlib").sha256(data.encode()).hexdigest(),
                      peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))))
"""

PATHS = {"old": {"CHECKER_LEGACY_FACTS": "1", "CHECKER_THREADS": "2"}, "new": {}}


def build(folder: Path, n: int, eval_dir: Path) -> int:
    from bench_store import articles, write
    from checker.realnews import load_stories, write_corpus

    stories = load_stories(eval_dir)[: n // 4]
    write_corpus(stories, folder, layout="mixed")
    k = sum(len(s.articles) for s in stories)
    write(articles(eval_dir)[: n - k], folder)
    return k


def step(path: str, folder: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("CHECKER_LEGACY_FACTS", "CHECKER_THREADS")}
    env.update(PATHS[path])
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT)), str(folder)], env=env,
                       capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(p.stderr[-3000:])
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out["wall_s"] = round(time.perf_counter() - t, 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "data" / "eval")
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 300])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    out = {"machine": f"{os.cpu_count()} cores, shared with other jobs (load average at start "
                      f"{os.getloadavg()[0]:.1f})", "paths": {k: v or "defaults" for k, v in PATHS.items()}, "runs": {}}
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            k = build(Path(tmp), n, args.eval_dir)
            r = {"articles": n, "claimdiff_articles": k}
            for path in ("old", "new"):
                r[path] = step(path, Path(tmp))
                print(f"N={n} {path}: {json.dumps(r[path])}", file=sys.stderr, flush=True)
            o, w = r["old"], r["new"]
            r["identical_report"] = o["report_sha256"] == w["report_sha256"]
            r["ratio_new_over_old"] = {s: round(w["timings"][s] / o["timings"][s], 3) for s in o["timings"]
                                       if o["timings"][s] > 0}
            r["ratio_new_over_old"].update(
                wall=round(w["wall_s"] / o["wall_s"], 3),
                compare_other=round(w["compare_other_s"] / max(o["compare_other_s"], 1e-9), 3))
            out["runs"][str(n)] = r
    text = json.dumps(out, indent=1)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
