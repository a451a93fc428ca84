"""Measure the document-level scoring levers of ``checker verify`` / ``checker.consistency``
(text unit, source premise, retrieval depth, aggregation, NLI model) on the SummEval *dev*
half only (the articles ``checker.evaluate`` never reports). Every (premise, unit) NLI
probability is computed once, premises ordered by embedding similarity as the Verifier
retrieves them, so each variant is compared on the same numbers.

    python benchmarks/doc_levers.py --docs 10 [--nli PATH] [--json out.json]

Prints ROC AUC (consistent vs not) per variant, best first.
"""

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parent.parent))

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

from checker.config import Config
from checker.evaluate import _auc, summeval_split
from checker.nli import NLIModel
from checker.verify import Verifier

ap = argparse.ArgumentParser()
ap.add_argument("--eval-dir", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared/data/eval")
ap.add_argument("--docs", type=int, default=10)
ap.add_argument("--nli", type=Path, default=None, help="NLI model folder (default: the shipped one)")
ap.add_argument("--premises", nargs="+", default=["sentence", "window"])
ap.add_argument("--units", nargs="+", default=["sentence", "claim"])
ap.add_argument("--json", type=Path)
ap.add_argument("--dump", type=Path, help="write each summary's per-unit probabilities (top 8 premises) as JSON")
args = ap.parse_args()

rows = summeval_split(args.eval_dir, "dev")
docs = sorted({r["doc_id"] for r in rows})[: args.docs]
rows = [r for r in rows if r["doc_id"] in set(docs)]
y = np.array([int(r["label_binary_all_experts_5"]) for r in rows])
pairs = [(r["document"], r["summary"]) for r in rows]
print(f"{len(docs)} dev articles, {len(rows)} summaries, {int((1 - y).sum())} inconsistent", file=sys.stderr)
nli = NLIModel(args.nli, max_length=512)
base = Config.default(progress=False)
unit_scores = {
    "E-C": lambda p: (p[:, 0] - p[:, 2]).max(),
    "E": lambda p: p[:, 0].max(),
    "1-C": lambda p: 1 - p[:, 2].max(),
}
res, timing = {}, {}
for prem in args.premises:
    for unit in args.units:
        cfg = dataclasses.replace(base, verify_unit=unit, verify_premise=prem)
        v = Verifier(cfg, nli=nli, top_k=10**6)
        t0 = time.perf_counter()
        per = []
        for k in range(0, len(pairs), 16):  # one article (16 summaries) per NLI batch
            jobs = []
            for source, text in pairs[k : k + 16]:
                src = v._source(source)
                jobs.append(v._units(src, v._text_units(text)))
            flat = [(v._source(s), u) for (s, _), u in zip(pairs[k : k + 16], jobs)]
            v._judge(flat)
            per += jobs
        if args.dump:
            Path(f"{args.dump}.{unit}.{prem}.json").write_text(json.dumps(
                {"y": y.tolist(), "doc": [r["doc_id"] for r in rows],
                 "units": [[u.probs[:8].round(4).tolist() for u in units] for units in per]}))
        timing[f"{unit}|{prem}"] = round(time.perf_counter() - t0, 1)
        print(f"  {unit}|{prem}: {timing[f'{unit}|{prem}']}s", file=sys.stderr, flush=True)
        for us_name, us in unit_scores.items():
            for k in (1, 3, 5, 8, 12, 10**6):
                for agg in ("mean", "min"):
                    s = []
                    for units in per:
                        vals = [us(u.probs[:k]) for u in units] or [1.0]
                        s.append(np.mean(vals) if agg == "mean" else np.min(vals))
                    res[f"unit={unit} premise={prem} score={us_name} top_k={'all' if k > 1000 else k} agg={agg}"] = \
                        round(100 * _auc(y, s), 1)
for k, val in sorted(res.items(), key=lambda kv: -kv[1])[:40]:
    print(f"{val:5.1f}  {k}")
if args.json:
    args.json.write_text(json.dumps({"nli": str(args.nli or "shipped"), "articles": len(docs), "summaries": len(rows),
                                     "inconsistent": int((1 - y).sum()), "seconds": timing, "auc": res}, indent=1) + "\n")
