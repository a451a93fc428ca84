"""Does the checker tell the truth on real news? One run prints:

1. precision and recall of the contradiction list at the default threshold on the **test**
   stories of the real-news set (ClaimDiff + CNN/DM same-story pairs, see
   benchmarks/realnews/README.md): real text only, and with the test half of the planted errors;
2. cross-story flags when all 93 ClaimDiff train stories are mixed in one folder (every one is false);
3. the seeds gold (../shared/gold) and whether "Wang Yi meets Lavrov" vs "Xi met Lavrov" is reported;
4. two byte-identical files: their contradiction count (must be 0).

    python benchmarks/realnews_bench.py --eval-dir ../shared/data/eval --gold ../shared/gold \
        --json benchmarks/results/realnews.json

Nothing here is tuned on: thresholds come from ``checker calibrate --realnews`` (dev stories only).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker.config import Config  # noqa: E402
from checker.pipeline import run  # noqa: E402
from checker.realnews import evaluate, load_stories, load_labels, score_findings, write_corpus  # noqa: E402
from checker.report.model import report_dict  # noqa: E402


def mixed_claimdiff(eval_dir: Path) -> dict:
    stories = load_stories(eval_dir)
    with tempfile.TemporaryDirectory() as tmp:
        write_corpus(stories, tmp, layout="mixed")
        res = run([tmp], config=Config.default(progress=False))
    data = report_dict(res)
    sc = score_findings(data["contradictions"], stories, load_labels())
    return {"articles": len(res.documents), "stories_true": len(stories), "story_groups": len(res.stories),
            "flags": sc["flags"], "cross_story_flags": sc["cross_story"], "true": sc["true"],
            "false_flags": sc["false_flags"]}


def _quoted(side: dict, alternatives: list[dict]) -> bool:
    for alt in alternatives:
        art = "reference" if side["role"] == "reference" else side["article"]
        if alt["article"] == art and alt["quote"] in side["sentence"]:
            return True
    return False


def seeds_gold(gold: Path) -> dict:
    g = json.loads((gold / "seeds_contradictions.json").read_text())
    res = run([ROOT / "seeds"], reference=ROOT / "seeds" / "reference.txt", config=Config.default(progress=False))
    found = report_dict(res)["contradictions"]
    hits = {}
    for item in g["must_flag"]:
        hits[item["id"]] = any((_quoted(f["a"], item["a"]) and _quoted(f["b"], item["b"])) or
                               (_quoted(f["b"], item["a"]) and _quoted(f["a"], item["b"])) for f in found)
    wang_xi = any(("Wang Yi" in f["a"]["sentence"] and "Xi" in f["b"]["sentence"]) or
                  ("Xi" in f["a"]["sentence"] and "Wang Yi" in f["b"]["sentence"]) for f in found)
    return {"gold": hits, "gold_found": sum(hits.values()), "gold_total": len(hits), "flags": len(found),
            "wang_yi_vs_xi_reported": wang_xi,
            "list": [{"score": f["score"], "kind": f.get("kind"), "a": f["a"]["sentence"][:100],
                      "b": f["b"]["sentence"][:100]} for f in found]}


def identical_files() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        src = ROOT / "seeds" / "000_33bc446e1b2c18c0.txt"
        shutil.copy(src, Path(tmp) / "copy_one.txt")
        shutil.copy(src, Path(tmp) / "copy_two.txt")
        res = run([tmp], config=Config.default(progress=False))
    return {"contradictions": len(res.contradictions()), "corroborations": len(res.corroborations()),
            "duplicates": [list(d) for s in res.stories for d in s.duplicates]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "data" / "eval")
    ap.add_argument("--gold", type=Path, default=ROOT.parent / "shared" / "gold")
    ap.add_argument("--split", default="test", choices=["dev", "test"])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    t0 = time.perf_counter()
    out = {"split": args.split}
    for planted in (False, True):
        r = evaluate(args.eval_dir, args.split, planted=planted, say=lambda m: None)
        out["planted" if planted else "real"] = r
        print(f"[{time.perf_counter() - t0:5.0f}s] {args.split} {'real + planted' if planted else 'real only'}: "
              f"{r['flags']} flags, {r['true']} true, precision {r['precision']}, recall {r['recall']} "
              f"({r['found']}/{r['positives']}), cross-story {r['cross_story']}, unlabelled {r['unlabelled']}",
              file=sys.stderr)
    out["mixed_claimdiff"] = mixed_claimdiff(args.eval_dir)
    print(f"[{time.perf_counter() - t0:5.0f}s] mixed ClaimDiff train: {out['mixed_claimdiff']['flags']} flags, "
          f"{out['mixed_claimdiff']['cross_story_flags']} cross-story", file=sys.stderr)
    out["seeds"] = seeds_gold(args.gold)
    out["identical_files"] = identical_files()
    out["seconds"] = round(time.perf_counter() - t0, 1)
    r, p, m, s, i = out["real"], out["planted"], out["mixed_claimdiff"], out["seeds"], out["identical_files"]
    print(f"""
| measure ({args.split} part unless said) | value |
|---|---|
| real pairs: flags / true / precision | {r['flags']} / {r['true']} / {r['precision']} |
| real pairs: recall | {r['found']}/{r['positives']} |
| real + planted errors: flags / true / precision | {p['flags']} / {p['true']} / {p['precision']} |
| real + planted errors: recall | {p['found']}/{p['positives']} = {p['recall']} |
| cross-story flags, {m['articles']} ClaimDiff train articles mixed ({m['story_groups']} groups for {m['stories_true']} stories) | {m['cross_story_flags']} (of {m['flags']} flags) |
| seeds gold found | {s['gold_found']}/{s['gold_total']} ({s['flags']} flags) |
| Wang Yi vs Xi reported as a contradiction | {s['wang_yi_vs_xi_reported']} |
| identical files: contradictions | {i['contradictions']} |
| seconds | {out['seconds']} |""")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
