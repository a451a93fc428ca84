"""Accuracy harness: runs checker.evaluate on ../shared/data/eval and prints a Markdown table.

    python benchmarks/eval_harness.py                      # everything (see README for runtime)
    python benchmarks/eval_harness.py --limit 50 --sets summeval anli_r1 --json out.json
    python benchmarks/eval_harness.py --nli-model /path/to/hf-nli-model --sets summeval
    python benchmarks/eval_harness.py --sets xsum_len      # speed on ~400-word articles
"""

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parent.parent))  # run from a checkout


import argparse
import json
import sys
from pathlib import Path

from checker.evaluate import SETS, SPEED_SETS, Harness, table

ap = argparse.ArgumentParser()
ap.add_argument("--eval-dir", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared/data/eval")
ap.add_argument("--limit", type=int, default=0, help="first N examples per set (0 = all)")
ap.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS + SPEED_SETS)
ap.add_argument("--json", type=Path)
ap.add_argument("--nli-model", metavar="PATH_OR_ID", default=None,
                help="NLI model to evaluate, as `checker --nli-model`: a local Hugging Face sequence-classification "
                "folder or a hub id (from the local cache unless --allow-download); its own calibration is used "
                "(or none, W109). Default: $CHECKER_NLI_MODEL, else the shipped model.")
ap.add_argument("--allow-download", action="store_true", help="allow fetching a --nli-model hub id")
ap.add_argument("--threads", type=int, default=None, help="torch threads (Config.threads; default torch's own)")
args = ap.parse_args()

from checker.config import Config  # noqa: E402
from checker.errors import CheckerError  # noqa: E402

try:
    config = Config.default(progress=False, nli_model=args.nli_model, allow_download=args.allow_download,
                            threads=args.threads)
    harness = Harness(args.eval_dir, args.limit, say=lambda m: print(m, file=sys.stderr, flush=True), config=config)
except CheckerError as exc:
    sys.exit(f"error [{exc.code}] --nli-model {exc.path}: {exc.message}")
res = harness.run(args.sets)
print(table(res))
if args.json:
    args.json.write_text(json.dumps(res, indent=1) + "\n")
