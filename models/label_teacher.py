"""Label a training recipe's pairs with a teacher NLI model, for distillation.

The teacher (a larger cross-encoder, e.g. all-mpnet-base-v2 trained with
``train_nli.py --base mpnet``) is too slow to ship; its probabilities on the pairs the
MiniLM student trains on are soft targets for ``train_nli.py --soft FILE``.

    python models/label_teacher.py --teacher DIR --out LABELS.jsonl [--limit N] [--max-minutes M] \\
        -- <the train_nli.py recipe arguments, e.g. --snli-n 80000>

The pairs are those ``train_nli.py`` would build from the same recipe arguments, labelled in a
seeded random order, so a run stopped early (``--max-minutes``, a lost session) has labelled a
random sample, and a rerun appends only the pairs not yet in ``LABELS.jsonl``. Each line:
``{"key": pair_key(premise, hypothesis), "probs": [entailment, neutral, contradiction]}``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import train_nli  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    own, recipe = (argv[: argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--teacher", type=Path, required=True, help="a local Hugging Face NLI model folder")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--limit", type=int, default=0, help="label at most this many pairs in all (0 = every pair)")
    ap.add_argument("--max-minutes", type=float, default=0.0, help="stop after this long (0 = no limit)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--max-length", type=int, default=0, help="default: the recipe's --max-len")
    args = ap.parse_args(own)
    rargs = train_nli.parser().parse_args(recipe)

    sources = train_nli.build_sources(rargs, random.Random(rargs.seed))
    pairs = sorted({(p, h) for name in sorted(sources) for p, h, _ in sources[name]})
    random.Random(rargs.seed).shuffle(pairs)
    if args.limit:
        pairs = pairs[: args.limit]
    if args.out.exists():  # drop a line cut by a kill mid-write: its pairs are labelled again
        text = args.out.read_bytes()
        if text and not text.endswith(b"\n"):
            args.out.write_bytes(text[: text.rfind(b"\n") + 1])
    done = set(train_nli.load_soft([args.out])) if args.out.exists() else set()
    todo = [pair for pair in pairs if train_nli.pair_key(*pair) not in done]
    print(f"{len(pairs)} pairs in the recipe's sample, {len(pairs) - len(todo)} labelled before, "
          f"{len(todo)} to label", flush=True)

    from checker.nli import NLIModel

    teacher = NLIModel(args.teacher, max_length=args.max_length or rargs.max_len, threads=args.threads)
    t0 = time.time()
    step = args.batch_size * 8
    with open(args.out, "a", encoding="utf-8") as fh:
        for s in range(0, len(todo), step):
            chunk = todo[s: s + step]
            probs = teacher.predict(chunk, batch_size=args.batch_size)
            fh.write("".join(json.dumps({"key": train_nli.pair_key(*pair), "probs": [round(float(x), 4) for x in pr]})
                             + "\n" for pair, pr in zip(chunk, probs)))
            fh.flush()
            el = time.time() - t0
            n = s + len(chunk)
            print(f"{n}/{len(todo)} {n / el:.1f} pairs/s", flush=True)
            if args.max_minutes and el / 60 > args.max_minutes:
                print("time budget reached; rerun the same command to go on", flush=True)
                break


if __name__ == "__main__":
    main()
