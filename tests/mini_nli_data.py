"""A miniature NLI data folder with the layout ``checker calibrate --data`` reads (SNLI dev,
CAD dev, CommitmentBank dev, QNLI dev), built from templates: enough aligned pairs of each
label for the calibration to run end to end in seconds."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

SUBJECTS = ["The city council", "The health ministry", "The football club", "The central bank", "The airline",
            "The school board", "The union", "The museum"]
ACTS = [("approved", "rejected"), ("opened", "closed"), ("raised", "cut"), ("won", "lost"), ("bought", "sold")]
OBJECTS = ["the new bridge plan", "the northern office", "the annual budget", "the regional contract",
           "the harbour project"]
DAYS = ["Monday", "Tuesday", "Friday"]
PLACES = ["Paris", "Berlin", "Madrid", "Lisbon", "Vienna", "Prague", "Dublin", "Oslo"]


def _pairs():
    for k, (s, (v, anti), o, d) in enumerate(itertools.product(SUBJECTS, ACTS, OBJECTS, DAYS)):
        if k % 10:
            continue
        p = f"{s} {v} {o} on {d} after a long debate."
        yield p, f"{s} {v} {o} on {d}.", "entailment"
        yield p, f"{s} {anti} {o} on {d} after a long debate.", "contradiction"
        yield p, f"{s} {v} {o} on {d} to please its critics in the press.", "neutral"


def write_mini_nli_data(root: Path) -> Path:
    root = Path(root)
    rows = list(_pairs())
    for rel, cols, delim, part in (("snli/snli_1.0_dev.csv", ("sentence1", "sentence2", "label"), ",", rows[0::3] + rows[1::3]),
                                   ("cad/all_combined/dev.tsv", ("sentence1", "sentence2", "gold_label"), "\t", rows[2::3]),
                                   ("nli_datasets/commitment_bank/dev.csv", ("premise", "hypothesis", "label"), ",", rows[:12])):
        f = root / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        with open(f, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, delimiter=delim)
            w.writerow(cols)
            w.writerows(part)
    f = root / "nli_datasets/qnli/dev.csv"
    f.parent.mkdir(parents=True, exist_ok=True)
    with open(f, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(("question", "hypothesis", "label"))
        for k, (s, place, d) in enumerate(itertools.product(SUBJECTS[:3], PLACES[:5], DAYS)):
            w.writerow(("q", f"{s} of {place} met the mayor of {PLACES[k % len(PLACES)]} on {d}, "
                             f"and the talks lasted {k + 2} hours.", "entailment"))
    return root
