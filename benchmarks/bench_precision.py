"""Which precision should the models run in? Against the fp32 NLI model, in one run:
bf16 autocast (``Config.precision``, ``$CHECKER_PRECISION``: matrix products in bf16 with fp32
accumulation, weights kept) and dynamic int8 quantization of the Linear layers
(``torch.ao.quantization.quantize_dynamic``, per tensor and per channel, and per channel on the
encoder's Linear layers except the feed-forward output projections, kept in fp32):

* argmax agreement and the largest probability change on NLI pairs the model never trained on
  (MNLI mismatched dev, SNLI test: the first ``--n`` of each) and on real news claim pairs
  (the aligned cross-outlet claim pairs of the real-news **dev** stories, as the pipeline builds them);
* how many contradiction / corroboration decisions at the calibrated thresholds would flip
  (on the raw P(contradiction) / P(entailment) of the news pairs);
* speed: pairs per second, fp32 vs int8, same pairs, same thread count.

* the embedder (all-MiniLM-L6-v2) in bf16: cosine of each claim vector to its fp32 vector, the
  largest change of a pairwise similarity, and how many candidate pairs (cosine >= the pipeline's
  ``pair_min_similarity``) appear or vanish; claims per second.

A precision ships (is the default) only if its argmax agreement is at least 99% on every set
(issue 12); otherwise fp32 stays. bf16 needs a CPU with native bf16 (AVX512-BF16 or AMX): the
run says when this one has none (bf16 is then emulated and slow: not measured).

    python benchmarks/bench_precision.py --json benchmarks/results/precision.json

(``benchmarks/results/int8.json`` is the earlier int8-only run.)
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402


def nli_pairs(data: Path, n: int) -> dict[str, list[tuple[str, str]]]:
    out = {}
    with open(data / "mnli" / "multinli_1.0_dev_mismatched.csv", newline="", encoding="utf-8") as fh:
        out["mnli_mismatched"] = [(r["sentence1"], r["sentence2"]) for r, _ in zip(csv.DictReader(fh), range(n))]
    rows = []
    with open(data / "snli" / "snli_1.0_test.jsonl", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if r["gold_label"] != "-":
                rows.append((r["sentence1"], r["sentence2"]))
            if len(rows) == n:
                break
    out["snli_test"] = rows
    return out


def news_pairs(eval_dir: Path) -> list[tuple[str, str]]:
    """Both directions of every aligned candidate claim pair of the real-news dev stories."""
    import tempfile

    import checker.pipeline as P
    import checker.store.add as A
    from checker.config import Config
    from checker.realnews import load_cnndm_stories, load_stories, write_corpus

    stories = [s for s in load_stories(eval_dir) + load_cnndm_stories(eval_dir) if s.split == "dev"]
    got = []
    orig = A.judge  # the one-shot run is the store path: judge is called from checker.store.add

    def spy(claims, pairs, nli, nlp, config, **kw):
        from checker.compare import align_gate
        from checker.signals import aligned, facts

        used = sorted({i for i, _, _ in pairs} | {j for _, j, _ in pairs})
        fx = {i: facts(d) for i, d in zip(used, nlp.pipe([claims[i].text for i in used]))}
        gate = align_gate(config)
        for i, j, s in pairs:
            if aligned(fx[i], fx[j], s, **gate):
                got.extend([(claims[i].text, claims[j].text), (claims[j].text, claims[i].text)])
        return orig(claims, pairs, nli, nlp, config, **kw)

    A.judge = spy
    try:
        with tempfile.TemporaryDirectory() as tmp:
            write_corpus(stories, tmp, layout="mixed")
            P.run([tmp], config=Config.default(progress=False))
        if not got:
            raise SystemExit("no claim pairs reached the spy: checker.store.add no longer calls judge as A.judge")
    finally:
        A.judge = orig
    return got


def timed_predict(model, pairs, batch_size=32, precision="fp32"):
    from checker.config import Config, apply_precision

    apply_precision(Config(precision=precision))
    t = time.perf_counter()
    p = model.predict(pairs, batch_size=batch_size)
    return p, time.perf_counter() - t


def embedder_row(texts: list[str], min_sim: float) -> dict:
    from checker.config import Config, apply_precision
    from checker.embed import embed, load_embedder

    m = load_embedder()
    out = {}
    for p in ("fp32", "bf16", "fp32"):  # fp32 twice: the second timing is warm, like bf16's
        apply_precision(Config(precision=p))
        t = time.perf_counter()
        out[p] = (embed(texts, m), time.perf_counter() - t)
    (a, ta), (b, tb) = out["fp32"], out["bf16"]
    sa, sb = a @ a.T, b @ b.T
    iu = np.triu_indices(len(texts), 1)
    pa, pb = sa[iu] >= min_sim, sb[iu] >= min_sim
    return {"claims": len(texts), "fp32_claims_per_s": round(len(texts) / ta, 1),
            "bf16_claims_per_s": round(len(texts) / tb, 1), "speedup_vs_fp32": round(ta / tb, 2),
            "min_cosine_to_fp32": round(float((a * b).sum(1).min()), 6),
            "max_abs_similarity_change": round(float(np.abs(sa - sb).max()), 5),
            f"pairs_at_or_over_{min_sim}_fp32": int(pa.sum()),
            "pairs_appearing_in_bf16": int((pb & ~pa).sum()), "pairs_vanishing_in_bf16": int((pa & ~pb).sum())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "nli")
    ap.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "data" / "eval")
    ap.add_argument("--n", type=int, default=1000, help="pairs per NLI set")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    import copy

    import torch

    from checker.config import Config
    from checker.nli import NLIModel

    torch.set_num_threads(args.threads)
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    from checker.config import cpu_has_bf16

    fp32 = NLIModel()
    variants = {}
    if cpu_has_bf16():
        variants["bf16_autocast"] = fp32
    # selective: the FFN output projections (input: GELU activations, the widest range) kept in fp32
    keep_fp32 = re.compile(r"encoder\.layer\.\d+\.output\.dense$")
    selective = {n: per_channel_dynamic_qconfig for n, mod in fp32.model.named_modules()
                 if isinstance(mod, torch.nn.Linear) and ".encoder." in f".{n}" and not keep_fp32.search(n)}
    for name, spec in (("int8_per_tensor", {torch.nn.Linear}), ("int8_per_channel", {torch.nn.Linear: per_channel_dynamic_qconfig}),
                       ("int8_per_channel_ffn_out_fp32", selective)):
        variants[name] = copy.copy(fp32)
        variants[name].model = quantize_dynamic(copy.deepcopy(fp32.model), spec, dtype=torch.qint8)
    sets = nli_pairs(args.data, args.n)
    print("collecting the real-news dev claim pairs (one pipeline run) ...", file=sys.stderr, flush=True)
    sets["news_dev_claim_pairs"] = news_pairs(args.eval_dir)
    cfg = Config.default()
    res = {"threads": args.threads, "torch": torch.__version__, "sets": {}}
    res["cpu_has_native_bf16"] = cpu_has_bf16()
    for name, pairs in sets.items():
        a, ta = timed_predict(fp32, pairs)
        res["sets"][name] = {"pairs": len(pairs), "fp32_pairs_per_s": round(len(pairs) / ta, 1)}
        for vname, model in variants.items():
            b, tb = timed_predict(model, pairs, precision="bf16" if vname.startswith("bf16") else "fp32")
            row = {"argmax_agreement": round(float((a.argmax(1) == b.argmax(1)).mean()), 4),
                   "max_abs_prob_change": round(float(np.abs(a - b).max()), 4),
                   "mean_abs_prob_change": round(float(np.abs(a - b).mean()), 4),
                   "pairs_per_s": round(len(pairs) / tb, 1), "speedup_vs_fp32": round(ta / tb, 2)}
            if name == "news_dev_claim_pairs":
                for lab, col, t in (("contradiction", 2, cfg.thresholds["contradiction"]), ("corroboration", 0, cfg.thresholds["corroboration"])):
                    row[f"{lab}_decisions_flipped_at_raw_{t}"] = int(((a[:, col] >= t) != (b[:, col] >= t)).sum())
            res["sets"][name][vname] = row
        print(name, res["sets"][name], flush=True)
    if cpu_has_bf16():
        texts = sorted({t for pair in sets["news_dev_claim_pairs"] for t in pair})
        res["embedder_news_dev_claims"] = embedder_row(texts, cfg.pair_min_similarity)
        print("embedder", res["embedder_news_dev_claims"], flush=True)
    best = {v: min(r[v]["argmax_agreement"] for r in res["sets"].values()) for v in variants}
    ok = [v for v, w in best.items() if w >= 0.99]
    res["worst_agreement"] = best
    res["decision"] = {v: ("ships: agreement >= 99% on every set" if v in ok else
                           "does not ship: agrees with fp32 on fewer than 99% of argmax labels on some set")
                       for v in variants}
    print(json.dumps(res["decision"]))
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
