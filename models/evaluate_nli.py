"""Measure the shipped NLI model: 3-way accuracy on MNLI mismatched dev, SNLI test and
ANLI dev R1-R3 (none of them seen in training). Writes models/<model>/eval.json.

    python models/evaluate_nli.py --model models/nli-minilm-l6 --shared ../shared
"""

from __future__ import annotations


import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parent.parent))  # run from a checkout
_sys.path.insert(0, str(_Path(__file__).resolve().parent))  # train_nli



import argparse
import csv
import json
import time
from pathlib import Path

LABELS = ["entailment", "neutral", "contradiction"]
ANLI = {"e": "entailment", "n": "neutral", "c": "contradiction"}


def sets(shared: Path):
    nli, ev = shared / "data/nli", shared / "data/eval"
    with open(nli / "mnli/multinli_1.0_dev_mismatched.csv", newline="", encoding="utf-8") as fh:
        yield "mnli_mismatched_dev", [(r["sentence1"], r["sentence2"], r["label"]) for r in csv.DictReader(fh)
                                      if r["label"] in LABELS]
    rows = [json.loads(line) for line in open(nli / "snli/snli_1.0_test.jsonl", encoding="utf-8")]
    yield "snli_test", [(r["sentence1"], r["sentence2"], r["gold_label"]) for r in rows if r["gold_label"] in LABELS]
    for rnd in ("R1", "R2", "R3"):
        rows = [json.loads(line) for line in open(ev / f"anli/{rnd}_dev.jsonl", encoding="utf-8")]
        yield f"anli_{rnd.lower()}_dev", [(r["context"], r["hypothesis"], ANLI[r["label"]]) for r in rows]


NEWS_HELDOUT = [Path(__file__).resolve().parent / "data" / "news_claim_pairs" / f
                for f in ("08_society_local.jsonl", "16_public_health.jsonl")]
# held out from the PROMPT3 round (two outlets' sentences that agree while differing in details)
NEWS_COMPAT_HELDOUT = [NEWS_HELDOUT[0].parent / "24_people_culture_local.jsonl"]


def genre_heldout() -> list[tuple[str, str, str]]:
    """The held-out premises (group number ending in 0) of models/data/genre_nli_pairs."""
    import train_nli

    rows = train_nli.genre_pairs(sorted(train_nli.GENRE_DIR.glob("*.jsonl")), held_out=True)
    return [(p, h, LABELS[lab]) for p, h, lab in rows]


def news_set(paths) -> list[tuple[str, str, str]]:
    """(premise, hypothesis, label) of news-claim pair files (models/data/README.md)."""
    rows = [json.loads(line) for f in paths for line in open(f, encoding="utf-8")]
    return [(r["premise"], r["hypothesis"], r["label"]) for r in rows]


def accuracy(model, data, batch_size: int = 64) -> tuple[float, float]:
    """(3-way argmax accuracy in %, examples per second) of ``model`` on (premise, hypothesis, label)."""
    t0 = time.perf_counter()
    pred = model.predict([(p, h) for p, h, _ in data], batch_size=batch_size).argmax(1)
    dt = time.perf_counter() - t0
    return 100 * sum(LABELS[k] == lab for k, (_, _, lab) in zip(pred, data)) / len(data), len(data) / dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, default=Path("models/nli-minilm-l6"))
    ap.add_argument("--shared", type=Path, default=Path("../shared"))
    ap.add_argument("--limit", type=int, default=0, help="first N examples per set (0 = all)")
    ap.add_argument("--news", type=Path, nargs="*", default=NEWS_HELDOUT,
                    help="held-out news-claim pairs (models/data/README.md), reported as 'news_heldout'")
    ap.add_argument("--news-compat", type=Path, nargs="*", default=NEWS_COMPAT_HELDOUT,
                    help="held-out PROMPT3 pairs (models/data/README.md), reported as 'news_compat_heldout'")
    args = ap.parse_args()
    from checker.nli import NLIModel

    model = NLIModel(args.model, max_length=256)
    results = {}
    extra = [(name, news_set(paths)) for name, paths in (("news_heldout", args.news),
                                                          ("news_compat_heldout", args.news_compat)) if paths]
    genre = genre_heldout()
    if genre:
        extra.append(("genre_heldout", genre))
    for name, data in [*sets(args.shared), *extra]:
        if args.limit:
            data = data[: args.limit]
        acc, rate = accuracy(model, data)
        results[name] = {"accuracy": round(acc, 2), "n": len(data), "examples_per_s": round(rate, 1)}
        print(f"{name:22s} acc {acc:5.2f}  n={len(data)}  {rate:.0f} ex/s", flush=True)
    (args.model / "eval.json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
