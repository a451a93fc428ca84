"""Should a candidate NLI model replace the shipped one? One command runs every gate with the
candidate's own calibration and prints it beside the shipped model's recorded numbers:

1. sentence NLI (MNLI mismatched, SNLI test, ANLI dev) and the held-out news-claim pairs
   (``models/evaluate_nli.py``);
2. the claim-pair calibration (``checker calibrate --nli-model M``, held-out ROC AUC);
3. the real-news layer on the **dev** stories (``checker calibrate --realnews``: threshold,
   precision and recall);
4. the real-news benchmark on the **test** stories, the mixed ClaimDiff folder, the seeds gold
   and identical files (``benchmarks/realnews_bench.py``);
5. the document score on the SummEval dev half (``checker calibrate --document``) and, unless
   ``--no-harness``, SummEval test and ClaimDiff-W in the accuracy harness.

The candidate's calibration is written next to a copy of it in ``--workdir``, never into
``checker/calibration.json``. About 20 minutes on 2 cores (12 without the harness).

    python benchmarks/nli_candidate.py /path/to/model --json benchmarks/results/nli_candidate.json

"ship" is true only when no gate regresses against the shipped model (real-news dev precision,
test false flags, cross-story flags, seeds, identical files, claim-pair and document AUCs within
0.005, MNLI mismatched); issue 11's own targets are listed separately.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _results import write_results  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def _run(args: list[str], env: dict, log: Path) -> None:
    t0 = time.time()
    with open(log, "w") as fh:
        subprocess.run(args, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, check=True)
    print(f"[{time.time() - t0:5.0f}s] {' '.join(a if len(a) < 60 else '...' for a in args[1:4])}", flush=True)


def news_accuracy(model: Path) -> tuple[float, float]:
    """3-way accuracy (%) of ``model`` on the two held-out sets of news-claim pairs (``news_heldout``,
    ``news_compat_heldout``), as ``models/evaluate_nli.py`` reports them."""
    from checker.nli import load_nli
    from models.evaluate_nli import NEWS_COMPAT_HELDOUT, NEWS_HELDOUT, accuracy, news_set

    m = load_nli(model, max_length=256)  # cached per process: identity_failures reuses it
    return tuple(round(accuracy(m, news_set(p))[0], 2) for p in (NEWS_HELDOUT, NEWS_COMPAT_HELDOUT))


def identity_failures(model: Path) -> float:
    """Share (%) of real news sentences (the dev ClaimDiff stories) that ``model`` does not judge
    entailed by themselves (argmax over (s, s) not entailment). A sentence always entails itself;
    a model that learnt "same story, negation word = contradiction" fails here."""
    from checker.nli import load_nli
    from checker.realnews import load_stories

    eval_dir = ROOT.parent / "shared" / "data" / "eval"
    sents = sorted({x for st in load_stories(eval_dir) if st.split == "dev" for a in st.articles for x in a.sentences})
    p = load_nli(model, max_length=256).predict([(x, x) for x in sents])
    return round(100.0 * float((p.argmax(1) != 0).mean()), 2)


def shipped_numbers() -> dict:
    """The shipped model's recorded numbers (calibration file, benchmark results, eval.json)."""
    from checker.config import CALIBRATION_FILE, shipped_nli_model_dir

    cal = json.loads(CALIBRATION_FILE.read_text())
    rn = json.loads((RESULTS / "realnews.json").read_text())
    harness = json.loads((RESULTS / "harness_full.json").read_text())
    ev = json.loads((shipped_nli_model_dir() / "eval.json").read_text())
    out = summary(cal, rn, ev, harness, *news_accuracy(shipped_nli_model_dir()))
    out["identity_not_entailed_pct"] = identity_failures(shipped_nli_model_dir())
    return out


def summary(cal: dict, rn: dict, ev: dict, harness: dict, news: float | None, news_compat: float | None = None) -> dict:
    def auc(name):
        r = harness.get(name) or {}
        return r.get("roc_auc")

    return {
        "mnli_mismatched": ev["mnli_mismatched_dev"]["accuracy"], "snli_test": ev["snli_test"]["accuracy"],
        "news_heldout": news, "news_compat_heldout": news_compat,
        "claim_pairs_contradiction_auc": cal["dev"]["contradiction"]["roc_auc"],
        "claim_pairs_corroboration_auc": cal["dev"]["corroboration"]["roc_auc"],
        "realnews_dev_threshold": cal["realnews"]["threshold"],
        "realnews_dev_precision": cal["realnews"]["dev"]["precision_at_threshold"],
        "realnews_dev_recall": cal["realnews"]["dev"]["recall_at_threshold"],
        "realnews_test_real_flags": rn["real"]["flags"], "realnews_test_real_false": rn["real"]["false"],
        "realnews_test_planted_true": rn["planted"]["true"], "realnews_test_planted_false": rn["planted"]["false"],
        "cross_story_flags": rn["real"]["cross_story"] + rn["planted"]["cross_story"] + rn["mixed_claimdiff"]["cross_story_flags"],
        "seeds_gold": f"{rn['seeds']['gold_found']}/{rn['seeds']['gold_total']}",
        "seeds_wang_yi_vs_xi": rn["seeds"]["wang_yi_vs_xi_reported"],
        "identical_files_contradictions": rn["identical_files"]["contradictions"],
        "summeval_dev_document_auc": (cal.get("document") or {}).get("dev", {}).get("roc_auc"),
        "summeval_test_auc": auc("summeval"), "claimdiff_w_auc": auc("claimdiff_w"),
    }


def gates(old: dict, new: dict) -> dict:
    """No-regression gates (all must hold to ship) and issue 11's targets."""
    def ge(k, tol=0.0):
        return None if old.get(k) is None or new.get(k) is None else new[k] >= old[k] - tol

    return {
        "no_regression": {
            "realnews_dev_precision": ge("realnews_dev_precision"),
            "realnews_test_real_false": new["realnews_test_real_false"] <= old["realnews_test_real_false"],
            "realnews_test_planted_false": new["realnews_test_planted_false"] <= old["realnews_test_planted_false"],
            "cross_story_flags_0": new["cross_story_flags"] == 0,
            "seeds_gold_all": new["seeds_gold"].split("/")[0] == new["seeds_gold"].split("/")[1],
            "seeds_wang_yi_vs_xi_not_reported": not new["seeds_wang_yi_vs_xi"],
            "identical_files_0": new["identical_files_contradictions"] == 0,
            "claim_pairs_contradiction_auc": ge("claim_pairs_contradiction_auc", 0.005),
            "claim_pairs_corroboration_auc": ge("claim_pairs_corroboration_auc", 0.005),
            "summeval_dev_document_auc": ge("summeval_dev_document_auc", 0.005),
            "summeval_test_auc": ge("summeval_test_auc", 0.005),
            "mnli_mismatched": ge("mnli_mismatched"),
            "identity_not_entailed_pct": new["identity_not_entailed_pct"] <= old["identity_not_entailed_pct"] + 0.5,
        },
        "issue_11_targets": {
            "mnli_mismatched>=74": new["mnli_mismatched"] >= 74,
            "claimdiff_w_auc>=0.65": None if new["claimdiff_w_auc"] is None else new["claimdiff_w_auc"] >= 0.65,
            "summeval_test_auc>=0.78": None if new["summeval_test_auc"] is None else new["summeval_test_auc"] >= 0.78,
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", type=Path, help="a local Hugging Face NLI model folder")
    ap.add_argument("--workdir", type=Path, help="where the copy, its calibration and the logs go (default: a temp folder)")
    ap.add_argument("--no-harness", action="store_true", help="skip SummEval test / ClaimDiff-W (about 8 minutes)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", type=Path, default=RESULTS / "nli_candidate.json")
    a = ap.parse_args()

    work = a.workdir or Path(tempfile.mkdtemp(prefix="nli_candidate_"))
    work.mkdir(parents=True, exist_ok=True)
    m = work / "model"
    if m.exists():
        shutil.rmtree(m)
    shutil.copytree(a.model, m, ignore=shutil.ignore_patterns("checker_calibration.json", "eval.json"))
    env = dict(os.environ, HF_HUB_OFFLINE="1", CHECKER_THREADS=str(a.threads), CHECKER_NLI_MODEL=str(m))
    py = sys.executable
    _run([py, "models/evaluate_nli.py", "--model", str(m), "--shared", str(ROOT.parent / "shared")], env, work / "nli.log")
    ident = identity_failures(m)  # cheap, and a model failing it fails the real-news gates too
    print(f"real news sentences not entailed by themselves: {ident}%", flush=True)
    _run([py, "-m", "checker", "calibrate", "--nli-model", str(m)], env, work / "calibrate.log")
    _run([py, "-m", "checker", "calibrate", "--realnews", "--nli-model", str(m)], env, work / "calibrate_realnews.log")
    _run([py, "benchmarks/realnews_bench.py", "--json", str(work / "realnews.json")], env, work / "realnews.log")
    _run([py, "-m", "checker", "calibrate", "--document", "--nli-model", str(m)], env, work / "calibrate_document.log")
    harness = {}
    if not a.no_harness:
        _run([py, "benchmarks/eval_harness.py", "--nli-model", str(m), "--sets", "summeval", "claimdiff_w",
              "--threads", str(a.threads), "--json", str(work / "harness.json")], env, work / "harness.log")
        harness = json.loads((work / "harness.json").read_text())
    ev = json.loads((m / "eval.json").read_text())
    new = summary(json.loads((m / "checker_calibration.json").read_text()), json.loads((work / "realnews.json").read_text()),
                  ev, harness, ev.get("news_heldout", {}).get("accuracy"), ev.get("news_compat_heldout", {}).get("accuracy"))
    new["identity_not_entailed_pct"] = ident
    old = shipped_numbers()
    g = gates(old, new)
    ship = all(v for v in g["no_regression"].values() if v is not None)
    print("\n| measure | shipped | candidate |\n|---|---|---|")
    for k in new:
        print(f"| {k} | {old.get(k)} | {new[k]} |")
    print(f"\nno-regression gates: {g['no_regression']}\nissue 11 targets: {g['issue_11_targets']}\nship: {ship}")
    write_results(a.json, {"model": str(a.model), "workdir": str(work), "shipped": old, "candidate": new,
                           "gates": g, "ship": ship})


if __name__ == "__main__":
    main()
