"""Lever: add the pipeline's mismatch signals to the document score? Measured on the SummEval
*dev* half only, with the shipped scoring (sentence units, top-3 sentence premises, mean).

For each unit: E-C = max over its retrieved premises of P(e) - P(c) (the shipped unit score);
pc = the calibrated, signal-combined P(contradiction) against the retrieved premises that pass
the alignment gate (``Verifier._contradictions``, what ``checker verify`` reports); fired =
whether a mismatch signal fired there. Prints ROC AUC per variant.

    python benchmarks/doc_signals.py [--json benchmarks/results/doc_signals_dev.json]
"""

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parent.parent))

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from checker.evaluate import _auc, summeval_split
from checker.verify import Verifier

ap = argparse.ArgumentParser()
ap.add_argument("--eval-dir", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared/data/eval")
ap.add_argument("--json", type=Path)
args = ap.parse_args()

rows = summeval_split(args.eval_dir, "dev")
y = np.array([int(r["label_binary_all_experts_5"]) for r in rows])
v = Verifier()
feats = []  # per summary: [(E-C, pc, fired)] per unit
for k in range(0, len(rows), 16):  # one article per batch
    jobs = []
    for r in rows[k : k + 16]:
        src = v._source(r["document"])
        jobs.append((src, v._units(src, v._text_units(r["summary"]))))
    v._judge(jobs)
    for src, units in jobs:
        cs = v._contradictions(src, units)
        feats.append([(float((u.probs[:, 0] - u.probs[:, 2]).max()), c[0], bool(c[2])) for u, c in zip(units, cs)])
    print(f"{k + 16}/{len(rows)}", file=sys.stderr, flush=True)


def mean_of(f):
    return [float(np.mean([f(*u) for u in units])) if units else 1.0 for units in feats]


variants = {"E-C (shipped)": mean_of(lambda ec, pc, fired: ec),
            "min(E-C, 1-2*pc)": mean_of(lambda ec, pc, fired: min(ec, 1 - 2 * pc))}
for lam in (0.25, 0.5, 1.0, 2.0):
    variants[f"E-C - {lam}*pc"] = mean_of(lambda ec, pc, fired, lam=lam: ec - lam * pc)
    variants[f"E-C - {lam}*fired"] = mean_of(lambda ec, pc, fired, lam=lam: ec - lam * fired)
res = {name: round(100 * _auc(y, s), 1) for name, s in variants.items()}
for name, auc in sorted(res.items(), key=lambda kv: -kv[1]):
    print(f"{auc:5.1f}  {name}")
if args.json:
    args.json.write_text(json.dumps({"summaries": len(rows), "auc": res}, indent=1) + "\n")
