"""Does loosening the alignment gate (``Config.align_*``, :func:`checker.signals.aligned`) find
more real contradictions? Dev stories only (real ClaimDiff and CNN/DM pairs plus the dev planted
errors): one run with the gate open (every candidate pair judged by NLI), then, for each gate
setting and threshold, the contradiction list's labelled sentence pairs: flags, true, recall.

    python benchmarks/gate_sweep.py --json benchmarks/results/gate_sweep.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "data" / "eval")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()

    import checker
    from checker import realnews as R
    from checker.calibrate import labelled_judgements
    from checker.compare import claim_facts
    from checker.pipeline import load_models, run
    from checker.signals import overlap

    stories = [s for s in R.load_stories(a.eval_dir) + R.load_cnndm_stories(a.eval_dir) if s.split == "dev"]
    stories, pl = R.apply_planted(stories, [e for e in R.load_planted() if e["story"] in {s.id for s in stories}])
    labels = dict(R.load_labels())
    labels.update(pl["labels"])
    base = checker.Config.default(progress=False)
    opened = replace(base, align_min_overlap=0.0, align_min_shared=0, align_paraphrase_sim=0.0)
    with tempfile.TemporaryDirectory() as tmp:
        R.write_corpus(stories, tmp, layout="mixed")
        res = run([tmp], config=opened)
    label_of = {id(j): (lab, key) for j, lab, key in labelled_judgements(res, stories, labels, pl["renamed"])}
    nlp = load_models(base, [])[0]
    dates = {d.name: d.date for d in res.documents}
    ids = sorted({c for j in res.judgements for c in (j.a, j.b)})
    fx = dict(zip(ids, claim_facts(nlp, [(res.claim(c).text, dates.get(res.claim(c).doc)) for c in ids])))
    rows = []
    for j in res.judgements:
        lab, key = label_of.get(id(j), (None, None))
        fa, fb = fx[j.a], fx[j.b]
        rows.append({"contradiction": j.contradiction, "listed_kind": j.label == "contradiction" and j.between_sources,
                     "shared": len(fa.content & fb.content), "overlap": overlap(fa, fb), "sim": j.similarity,
                     "label": lab, "key": key or ("unlabelled", j.a, j.b)})
    positives = {r["key"] for r in rows if r["label"] == "contradiction"}
    shipped = (base.align_min_overlap, base.align_min_shared, base.align_paraphrase_sim)
    grid = []
    for ov in (0.0, 0.2, 0.3, 0.4, 0.5, 0.6):
        for sh in (1, 2):
            for t in sorted({base.thresholds["contradiction"], 0.3, 0.4, 0.5, 0.6, 0.7, 0.8}):
                flagged = {r["key"]: r["label"] for r in rows if r["listed_kind"] and r["contradiction"] >= t
                           and (r["sim"] >= shipped[2] or (r["shared"] >= sh and r["overlap"] >= ov))}
                tp = sum(v == "contradiction" for v in flagged.values())
                grid.append({"min_overlap": ov, "min_shared": sh, "threshold": t, "flags": len(flagged), "true": tp,
                             "recall": f"{tp}/{len(positives)}"})
                print(json.dumps(grid[-1]))
    out = {"judged_pairs_gate_open": len(rows), "labelled_contradictions_judged": len(positives),
           "shipped_gate": shipped, "shipped_threshold": base.thresholds["contradiction"], "grid": grid}
    if a.json:
        a.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
