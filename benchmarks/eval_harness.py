"""Accuracy harness: runs checker.evaluate on ../shared/data/eval and prints a Markdown table.

    python benchmarks/eval_harness.py                      # everything (see README for runtime)
    python benchmarks/eval_harness.py --limit 50 --sets summeval anli_r1 --json out.json
"""

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parent.parent))  # run from a checkout


import argparse
import json
import sys
from pathlib import Path

from checker.evaluate import SETS, Harness, table

ap = argparse.ArgumentParser()
ap.add_argument("--eval-dir", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared/data/eval")
ap.add_argument("--limit", type=int, default=0, help="first N examples per set (0 = all)")
ap.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
ap.add_argument("--json", type=Path)
args = ap.parse_args()
res = Harness(args.eval_dir, args.limit, say=lambda m: print(m, file=sys.stderr, flush=True)).run(args.sets)
print(table(res))
if args.json:
    args.json.write_text(json.dumps(res, indent=1) + "\n")
