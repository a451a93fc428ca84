"""The scale corpus for issue 12's must-show runs: every real article we have, then documents
recombined from their paragraphs up to N (seeded, deterministic).

Real articles (867; written in a fixed seeded order, all of them before any recombined one):

* the **labelled real-news set** (benchmarks/realnews): the 93 ClaimDiff train stories (186
  articles, JSONL with outlet and date) and the CNN/DM same-story pairs, dev and test, with the
  planted errors of ``planted.jsonl`` applied -- the articles whose contradictions we know;
* the other CNN/DailyMail source documents of SummEval and QAGS-CNNDM (``.txt``);
* the web pages cited by WiCE dev claims (Common Crawl, boilerplate and all; ``.md``, one per
  distinct page): long, messy real pages.

Recombined documents (``r00000.txt`` ...), beyond the real ones: document ``i`` draws (with
``random.Random(seed * 1_000_003 + i)``) a *base* real article, keeps each of its paragraphs
with probability 0.75 (at least one, order kept) and inserts 1-3 paragraphs drawn from other
random real articles at random places. A paragraph is a blank-line block of the source, or
three sentences for sources without blank lines (ClaimDiff, WiCE). So a base and its
recombinations share most sentences -- like syndicated wire copy edited by each outlet -- and
every sentence in the corpus is real text: nothing is generated or planted beyond
``planted.jsonl``.

    python benchmarks/scale_corpus.py --eval-dir ../shared/data/eval --n 10000 --out /tmp/scale10k

The first ``N`` files of the order (``<out>.manifest.json``, beside the folder) are the corpus of size ``N``: the
corpus of 1,000 is all 867 real articles and the first 133 recombined ones.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEED = 20261125


def labelled_stories(eval_dir: Path):
    """(stories with planted edits applied, labels incl. planted, renamed) for dev + test."""
    from checker.realnews import apply_planted, load_cnndm_stories, load_labels, load_planted, load_stories

    stories = load_stories(eval_dir) + load_cnndm_stories(eval_dir)
    stories, pl = apply_planted(stories, load_planted())
    labels = dict(load_labels())
    labels.update(pl["labels"])
    return stories, labels, pl["renamed"]


def _cnndm_docs(eval_dir: Path) -> list[str]:
    docs: dict[str, str] = {}
    for line in (eval_dir / "summeval/summeval_consistency.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        docs.setdefault(r["document"][:300], r["document"])
    for line in (eval_dir / "qags/mturk_cnndm.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        docs.setdefault(r["article"][:300], r["article"])
    return list(docs.values())


def _wice_pages(eval_dir: Path) -> list[str]:
    pages: dict[str, str] = {}
    for line in (eval_dir / "wice/entailment_retrieval_claim/dev.jsonl").read_text(encoding="utf-8").splitlines():
        ev = json.loads(line)["evidence"]
        text = "\n".join(ev)
        pages.setdefault(text[:300], text)
    return list(pages.values())


def _paragraphs(text: str) -> list[str]:
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
    if len(blocks) >= 3:
        return blocks
    sents = [s for s in re.split(r"(?<=[.!?])\s+|\n", text) if s.strip()]
    return [" ".join(sents[k:k + 3]) for k in range(0, len(sents), 3)]


def manifest_path(out: Path) -> Path:
    """The manifest lies beside the corpus folder (inside it, it would be ingested)."""
    return out.parent / f"{out.name}.manifest.json"


def build(eval_dir: Path, n: int, out: Path, seed: int = SEED) -> dict:
    """Write the corpus of the first ``n`` documents of the order into ``out``; returns the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    stories, _, _ = labelled_stories(eval_dir)
    labelled_text = {" ".join(a.sentences)[:200] for s in stories for a in s.articles}
    real: list[tuple[str, str, str]] = []  # (file name, text for recombination, kind)
    for st in stories:
        for a in st.articles:
            real.append((f"{a.id}.jsonl", "\n\n".join(" ".join(a.sentences[k:k + 3])
                                                     for k in range(0, len(a.sentences), 3)), "labelled"))
    used_cnndm = set()
    for st in stories:
        for a in st.articles:
            used_cnndm.add(re.sub(r"\W+", " ", " ".join(a.sentences[:2]).lower())[:120])
    for t in _cnndm_docs(eval_dir):
        if re.sub(r"\W+", " ", t.lower())[:120] not in used_cnndm and t[:200] not in labelled_text:
            real.append((f"c{hashlib.sha1(t.encode()).hexdigest()[:10]}.txt", t, "cnndm"))
    for t in _wice_pages(eval_dir):
        real.append((f"w{hashlib.sha1(t.encode()).hexdigest()[:10]}.md", t, "wice"))
    rng = random.Random(seed)
    order = list(range(len(real)))
    rng.shuffle(order)
    real = [real[k] for k in order]
    paras = [_paragraphs(t) for _, t, _ in real]
    by_name = {f"{a.id}.jsonl": a for st in stories for a in st.articles}
    files = []
    for k, (name, text, kind) in enumerate(real[:n]):
        if kind == "labelled":
            (out / name).write_text(json.dumps(by_name[name].record(), ensure_ascii=False) + "\n", encoding="utf-8")
        else:
            (out / name).write_text(text, encoding="utf-8")
        files.append({"file": name, "kind": kind})
    for i in range(max(0, n - len(real))):
        r = random.Random(seed * 1_000_003 + i)
        b = r.randrange(len(real))
        kept = [p for p in paras[b] if r.random() < 0.75] or [paras[b][0]]
        for _ in range(r.randint(1, 3)):
            o = r.randrange(len(real))
            if o != b and paras[o]:
                kept.insert(r.randint(0, len(kept)), r.choice(paras[o]))
        name = f"r{i:05d}.txt"
        (out / name).write_text("\n\n".join(kept) + "\n", encoding="utf-8")
        files.append({"file": name, "kind": "recombined", "base": real[b][0]})
    manifest = {"seed": seed, "n": n, "real": min(n, len(real)), "recombined": max(0, n - len(real)),
                "real_available": len(real),
                "kinds": {k: sum(f["kind"] == k for f in files) for k in ("labelled", "cnndm", "wice", "recombined")},
                "files": files}
    manifest_path(out).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "data" / "eval")
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=SEED)
    a = ap.parse_args()
    m = build(a.eval_dir, a.n, a.out, a.seed)
    print(json.dumps({k: v for k, v in m.items() if k != "files"}))


if __name__ == "__main__":
    main()
