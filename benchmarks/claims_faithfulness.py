"""How faithful are the atomic claims on real news? One run over the real-news stories
(ClaimDiff train + CNN/DM same-story pairs, benchmarks/realnews) prints:

1. how many claims are decomposed (text differs from the sentence) and the share of those
   the NLI model judges entailed by their own source sentence (calibrated P(entailed) at the
   support threshold: the ``checker.claims.faithful`` check, before any fallback);
2. after the fallback, the share of output claims that are the whole sentence;
3. with ``--sample-out FILE``, a seeded sample of N output claims that differ from their
   sentence (whole-sentence claims are faithful by construction), with their sentences, for
   a hand check (the hand labels are kept in benchmarks/realnews/claims_handcheck.jsonl by
   hash only: ClaimDiff states no licence, so its text is not copied into this repository).

    python benchmarks/claims_faithfulness.py --eval-dir ../shared/data/eval \
        --json benchmarks/results/claims_faithfulness.json [--sample-out /tmp/sample.jsonl --n 50]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker import ingest  # noqa: E402
from checker.claims import extract, load_nlp  # noqa: E402
from checker.claims.faithful import _platt, hypothesis, keep_faithful  # noqa: E402
from checker.config import Config  # noqa: E402
from checker.nli import load_nli  # noqa: E402
from checker.realnews import load_cnndm_stories, load_stories, write_corpus  # noqa: E402
from checker.textnorm import statement_key  # noqa: E402


def claim_key(c) -> str:
    return hashlib.sha1(f"{c.doc}|{c.sentence.text}|{c.text}".encode("utf-8")).hexdigest()[:12]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval-dir", default=str(ROOT.parent / "shared" / "data" / "eval"))
    ap.add_argument("--json", default=None)
    ap.add_argument("--sample-out", default=None)
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    cfg = Config.default(progress=False)
    stories = load_stories(args.eval_dir) + load_cnndm_stories(args.eval_dir)
    with tempfile.TemporaryDirectory() as tmp:
        write_corpus(stories, tmp, layout="mixed")
        docs, _ = ingest.load([tmp], "article", cfg)
    nlp, nli = load_nlp(), load_nli(max_length=cfg.nli_max_length)
    _, claims = extract(docs, nlp, cfg.max_claim_chars)
    decomposed = [c for c in claims if statement_key(c.text) != statement_key(c.sentence.text)]
    probs = nli.predict([(c.sentence.text, hypothesis(c)) for c in decomposed], batch_size=cfg.nli_batch_size)
    entailed = sum(_platt(cfg.support, float(p[0])) >= cfg.support.get("threshold", 0.5) for p in probs)
    kept, stats = keep_faithful(claims, nli, cfg.support, cfg.nli_batch_size, cfg.max_claim_chars)
    whole = sum(statement_key(c.text) == statement_key(c.sentence.text) for c in kept)
    out = {"articles": len(docs), "claims_before_check": len(claims), "decomposed": len(decomposed),
           "decomposed_entailed_by_sentence": entailed,
           "share_entailed": round(entailed / len(decomposed), 4) if decomposed else None,
           "claims_after_fallback": len(kept), "whole_sentence_claims": whole,
           "share_whole_sentence": round(whole / len(kept), 4), "stats": stats}
    print(json.dumps(out, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
    if args.sample_out:
        rng = random.Random(args.seed)
        pool = [c for c in kept if statement_key(c.text) != statement_key(c.sentence.text)]
        sample = rng.sample(pool, min(args.n, len(pool)))
        with open(args.sample_out, "w", encoding="utf-8") as fh:
            for c in sample:
                fh.write(json.dumps({"key": claim_key(c), "article": c.doc, "kind": c.kind, "speaker": c.speaker,
                                     "sentence": c.sentence.text, "claim": c.text}) + "\n")


if __name__ == "__main__":
    main()
