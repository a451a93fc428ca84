"""Document-vs-claim checking: is a text (summary, post, another outlet's story) supported
by one trusted source document?

The source is split into sentences and then into overlapping windows of whole sentences
that fit the NLI model (``chunk_tokens``, default 180 word pieces, so a window plus a claim
never exceeds the model's input and nothing is truncated silently; a single sentence longer
than the window is split on word boundaries). The text is decomposed into atomic claims.
For each claim the ``top_k`` most similar windows (embedding retrieval) go through NLI
(window -> claim); the claim's support is the best window's entailment probability, and
its contradiction score is the calibrated combiner over the most contradicting window plus
the mismatch signals against the most similar source sentence.

``consistency(pairs)`` aggregates per text: the support of its least-supported claim
(a text is consistent only if every claim is).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .compare import _logistic, combine, feature_vector
from .config import Config
from .signals import aligned, compare_facts, facts, overlap


@dataclass(frozen=True)
class Span:
    text: str
    start: int
    end: int


@dataclass
class ClaimCheck:
    claim: str
    sentence: str  # the claim's sentence in the checked text
    start: int
    end: int
    support: float  # calibrated P(the best retrieved source sentence entails the claim)
    contradiction: float  # calibrated P(contradiction), best aligned premise (0 if none is aligned)
    verdict: str  # supported | contradicted | not in source
    best_support: Span | None = None
    best_contradiction: Span | None = None
    signals: list = field(default_factory=list)


def source_sentences(text: str, nlp) -> list[Span]:
    from .claims import sentence_spans

    return [Span(st, a, b) for a, b, st, _ in sentence_spans(text, nlp)]


# pipes a sentence split needs: the boundaries come from the dependency parser, which reads only
# the shared tok2vec layer (en_core_web_sm: identical boundaries with and without the tagger,
# attribute ruler, lemmatizer and NER, checked on 120 QAGS/SummEval articles; 2.6x faster)
_SENTENCE_PIPES = ("tok2vec", "transformer", "parser", "senter", "sentencizer")


def _sentence_only_disable(nlp) -> list[str]:
    """The pipes to switch off when only sentence boundaries are needed (none for a pipeline
    without a parser: it may set boundaries some other way)."""
    names = list(getattr(nlp, "pipe_names", []))
    if "parser" not in names:
        return []
    return [n for n in names if n not in _SENTENCE_PIPES]


def sentence_spans_many(texts: list[str], nlp, sentences_only: bool = True):
    """:func:`checker.claims.sentence_spans` for many texts in one batched ``nlp.pipe``: yields
    ``(text index, start, end, sentence, spaCy Span)`` in text order. Same paragraphs, pieces
    and batch limits as ``sentence_spans`` (parses do not depend on the batching); with
    ``sentences_only`` only the pipes sentence boundaries need run, so the spaCy Spans carry
    no entities, tags or lemmas (without it, no lemmas: see ``checker.claims.DOC_PIPE_DISABLE``)."""
    from .claims import DOC_PIPE_DISABLE, _parsed, _pieces, paragraph_spans

    pieces = [(ti, base, piece) for ti, t in enumerate(texts) for b, p in paragraph_spans(t) for base, piece in _pieces(b, p)]
    disable = _sentence_only_disable(nlp) if sentences_only else DOC_PIPE_DISABLE
    for (ti, base, _), pdoc in zip(pieces, _parsed([t for _, _, t in pieces], nlp, disable)):
        for s in pdoc.sents:
            st = s.text.strip()
            if st:
                start = base + s.start_char + len(s.text) - len(s.text.lstrip())
                yield ti, start, start + len(st), st, s


def windows(sents: list[Span], source: str, tokenizer, max_tokens: int = 180) -> list[Span]:
    """Overlapping windows of whole sentences, each <= max_tokens word pieces."""
    pieces: list[Span] = []
    lens: list[int] = []
    for s in sents:  # split over-long sentences on word boundaries
        n = len(tokenizer.tokenize(s.text))
        if n <= max_tokens:
            pieces.append(s)
            lens.append(n)
            continue
        words = s.text.split(" ")
        step = max(1, int(len(words) * max_tokens / n * 0.9))
        pos = s.start
        for k in range(0, len(words), step):
            part = " ".join(words[k : k + step])
            a = source.find(part, pos)
            a = pos if a < 0 else a
            pieces.append(Span(part, a, a + len(part)))
            lens.append(len(tokenizer.tokenize(part)))
            pos = a + len(part)
    out, i = [], 0
    while i < len(pieces):
        j, total = i, 0
        while j < len(pieces) and total + lens[j] <= max_tokens:
            total += lens[j]
            j += 1
        j = max(j, i + 1)
        out.append(Span(source[pieces[i].start : pieces[j - 1].end], pieces[i].start, pieces[j - 1].end))
        if j >= len(pieces):
            break
        i = max(i + 1, (i + j) // 2)  # ~50% overlap
    return out


def windows_per_sentence(sents: list[Span], source: str, tokenizer, max_tokens: int = 180) -> list[Span]:
    """One premise per sentence; a sentence longer than ``max_tokens`` word pieces is cut
    into word-boundary pieces (so nothing is truncated by the model)."""
    out: list[Span] = []
    for s in sents:
        if len(tokenizer.tokenize(s.text)) <= max_tokens:
            out.append(s)
        else:
            out += windows([s], source, tokenizer, max_tokens)
    return out


def text_claims(text: str, nlp) -> list[tuple[str, Span]]:
    from .claims import decompose, sentence_spans

    out = []
    for a, b, st, s in sentence_spans(text, nlp):
        span = Span(st, a, b)
        out += [(c, span) for c in ([c.text for c in decompose(s)] or [st])]
    return out


def _platt(pl: dict, x: float) -> float:
    """Platt scaling: the one-feature logistic regression ``{"coef", "intercept"}`` at ``x``."""
    return _logistic({"coef": [pl["coef"]], "intercept": pl["intercept"]}, [x])


@dataclass
class _Source:
    premises: list[Span]  # the NLI premises: sentences or windows (Config.verify_premise)
    prem_vecs: np.ndarray
    prem_facts: dict = field(default_factory=dict)  # premise index -> facts, parsed lazily


@dataclass
class _Unit:
    text: str
    span: Span  # the sentence of the checked text it comes from
    top: np.ndarray  # indices of the retrieved premises
    sims: np.ndarray  # cosine similarity to every premise of the source
    probs: np.ndarray | None = None  # (len(top), 3) NLI window -> unit


class Verifier:
    """Holds the models; ``check(source, text)``, ``raw_scores(pairs)`` and ``consistency(pairs)``.

    Scoring (all knobs in :class:`~checker.config.Config`, chosen on SummEval dev by
    ``benchmarks/doc_levers.py``): the source is cut into premises (``verify_premise``:
    single sentences, or windows of whole sentences up to ``verify_chunk_tokens`` word
    pieces); each unit of the text (``verify_unit``: its sentences, or its atomic claims)
    is scored against its ``verify_top_k`` most similar premises; a unit's score is the
    best premise's P(entailment) - P(contradiction); the text's raw score is the
    ``verify_aggregate`` (mean or min) over its units, and ``consistency`` maps it to a
    probability with the Platt scaling fitted by ``checker calibrate --document``.

    Speed (issue 11, part 3): pairs are processed in blocks of ``block`` pairs; in a block
    every distinct source is split into sentences and embedded once (one batched spaCy pass
    running only the pipes sentence boundaries need, one embedding call for the premises of
    all its sources; sources stay cached across calls), every distinct unit text is embedded
    once, and every distinct (premise, unit) pair goes through one batched NLI call. The
    straightforward path this replaced (one spaCy pass and one embedding call per source, the
    full spaCy pipeline) is kept as :meth:`raw_scores_reference` / :meth:`check_many_reference`:
    the tests check both give the same scores."""

    block = 256  # pairs prepared and judged together
    cache_sources = 256  # prepared sources kept between calls (oldest dropped first)

    def __init__(self, config: Config | None = None, nlp=None, embedder=None, nli=None, top_k: int | None = None,
                 chunk_tokens: int | None = None, document_calibration: dict | None = None):
        from .claims import load_nlp
        from .embed import load_embedder
        from .nli import load_nli

        self.config = config or Config.default(progress=False)
        import torch

        from .config import apply_precision

        apply_precision(self.config)
        if self.config.threads:  # torch's intra-op threads (process-wide), as the pipeline's NLI does
            torch.set_num_threads(int(self.config.threads))
        # the batched path runs its forward passes on this many threads of one torch thread each
        # (checker.nli.torch_workers): as many cores as torch would use, without its per-op barrier
        self.workers = max(1, int(self.config.threads or torch.get_num_threads()))
        self.nlp = nlp or load_nlp()
        self.embedder = embedder or load_embedder()
        self.nli = nli or load_nli(self.config.nli_model, max_length=512, allow_download=self.config.allow_download)
        # warnings when the NLI model in use has no calibration fitted for it (W109/W110)
        self.problems = []
        if getattr(self.nli, "ref", None) is not None:
            import warnings

            from .nli_models import NLIModelWarning, calibration_problems

            uses = ("claims", "document") if document_calibration is None else ("claims",)
            self.problems = calibration_problems(self.config, self.nli.ref, uses)
            for p in self.problems:
                warnings.warn(str(p), NLIModelWarning, stacklevel=2)
        self.top_k = top_k or self.config.verify_top_k
        self.chunk_tokens = chunk_tokens or self.config.verify_chunk_tokens
        self.doc_cal = self.config.document if document_calibration is None else document_calibration
        self._sources: dict[str, _Source] = {}
        self._ref_sources: dict[str, _Source] = {}  # the reference path's own cache

    def scoring(self) -> dict:
        c = self.config
        return {"unit": c.verify_unit, "premise": c.verify_premise, "top_k": self.top_k,
                "chunk_tokens": self.chunk_tokens, "aggregate": c.verify_aggregate,
                "unit_score": "max over retrieved premises of P(entailment) - P(contradiction)"}

    # ------------------------------------------------------------------ preparation
    def _premises(self, sents: list[Span], source: str) -> list[Span]:
        sents = sents or [Span(source, 0, len(source))]
        if self.config.verify_premise == "window":
            return windows(sents, source, self.nli.tokenizer, self.chunk_tokens) or [Span(source, 0, len(source))]
        return windows_per_sentence(sents, source, self.nli.tokenizer, self.chunk_tokens)

    def _embed(self, texts: list[str]) -> np.ndarray:
        """:func:`checker.embed.embed` (unit vectors, batches of ``embed_batch_size`` texts of
        similar length), the forward passes spread over ``self.workers`` threads."""
        import torch

        from .config import compute
        from .embed import embed, length_batches
        from .nli import run_batches

        m, bs = self.embedder, self.config.embed_batch_size
        prep = getattr(m, "preprocess", None) or getattr(m, "tokenize", None)
        if self.workers <= 1 or len(texts) <= bs or prep is None:
            return embed(texts, m, batch_size=bs)
        batches = length_batches(texts, m, bs)
        if batches is None:
            order = np.argsort([-len(t) for t in texts], kind="stable")
            batches = [order[s : s + bs] for s in range(0, len(order), bs)]

        def forward(features):
            with torch.inference_mode(), compute():
                v = m(features)["sentence_embedding"]
                return torch.nn.functional.normalize(v, p=2, dim=1).float().numpy()

        outs = run_batches(batches, lambda b: prep([texts[i] for i in b]), forward, self.workers)
        vecs = np.zeros((len(texts), outs[0].shape[1]), dtype=np.float32)
        for b, v in zip(batches, outs):
            vecs[b] = v
        return vecs

    def _prepare(self, sources: list[str]) -> dict[str, _Source]:
        """Every distinct source, prepared: the ones not cached are split in one batched spaCy
        pass (sentence boundaries only) and their premises embedded in one call."""
        got, new = {}, []
        for s in dict.fromkeys(sources):
            hit = self._sources.get(s)
            if hit is None:
                new.append(s)
            else:
                got[s] = hit
        if not new:
            return got
        sents: list[list[Span]] = [[] for _ in new]
        for ti, a, b, st, _ in sentence_spans_many(new, self.nlp):
            sents[ti].append(Span(st, a, b))
        prems = [self._premises(sl, s) for s, sl in zip(new, sents)]
        texts = list(dict.fromkeys(w.text for p in prems for w in p))  # a repeated sentence embeds once
        vecs = self._embed(texts)
        idx = {t: i for i, t in enumerate(texts)}
        for s, p in zip(new, prems):
            got[s] = self._sources[s] = _Source(p, vecs[[idx[w.text] for w in p]])
        while len(self._sources) > self.cache_sources:
            self._sources.pop(next(iter(self._sources)))
        return got

    def _items_many(self, texts: list[str], unit: str) -> list[list[tuple[str, Span]]]:
        """The units of each text (its sentences, or its atomic claims), distinct texts parsed
        once in one batched spaCy pass (the full pipeline only for claims)."""
        from .claims import decompose

        uniq = list(dict.fromkeys(texts))
        out: list[list[tuple[str, Span]]] = [[] for _ in uniq]
        for ti, a, b, st, s in sentence_spans_many(uniq, self.nlp, sentences_only=unit != "claim"):
            span = Span(st, a, b)
            if unit == "claim":
                out[ti] += [(c, span) for c in ([c.text for c in decompose(s)] or [st])]
            else:
                out[ti].append((st, span))
        pos = {t: i for i, t in enumerate(uniq)}
        return [out[pos[t]] for t in texts]

    def _jobs(self, pairs: list[tuple[str, str]], unit: str) -> list[tuple[_Source, list[_Unit]]]:
        """(prepared source, retrieved units) per pair; each distinct unit text embedded once."""
        srcs = self._prepare([s for s, _ in pairs])
        items = self._items_many([t for _, t in pairs], unit)
        # a unit copied verbatim from a source (extractive summaries) reuses that premise's vector
        known = {w.text: v for src in srcs.values() for w, v in zip(src.premises, src.prem_vecs)}
        texts = [t for t in dict.fromkeys(t for its in items for t, _ in its) if t not in known]
        if texts:
            known.update(zip(texts, self._embed(texts)))
        jobs = []
        for (source, _), its in zip(pairs, items):
            src = srcs[source]
            if not its:
                jobs.append((src, []))
                continue
            sims = np.stack([known[t] for t, _ in its]) @ src.prem_vecs.T
            top = np.argsort(-sims, axis=1, kind="stable")[:, : self.top_k]
            jobs.append((src, [_Unit(t, span, top[i], sims[i]) for i, (t, span) in enumerate(its)]))
        return jobs

    def _judge(self, jobs: list[tuple[_Source, list[_Unit]]]) -> None:
        """One batched NLI pass over every distinct (premise, unit) pair of every job."""
        keys: dict[tuple[str, str], int] = {}
        refs = [[keys.setdefault((src.premises[w].text, u.text), len(keys)) for w in u.top]
                for src, units in jobs for u in units]
        if self.workers > 1 and hasattr(self.nli, "predict_parallel"):
            probs = self.nli.predict_parallel(list(keys), batch_size=self.config.nli_batch_size, workers=self.workers)
        else:
            probs = self.nli.predict(list(keys), batch_size=self.config.nli_batch_size)
        k = 0
        for _, units in jobs:
            for u in units:
                u.probs = probs[refs[k]]
                k += 1

    @staticmethod
    def _unit_score(u: _Unit) -> float:
        return float((u.probs[:, 0] - u.probs[:, 2]).max())

    def _aggregate(self, units: list[_Unit]) -> float:
        if not units:
            return 1.0
        s = [self._unit_score(u) for u in units]
        return float(min(s) if self.config.verify_aggregate == "min" else np.mean(s))

    # ------------------------------------------------------------------ public
    def raw_scores(self, pairs: list[tuple[str, str]]) -> list[float]:
        """The uncalibrated document score of each (document, text): in [-1, 1]."""
        pairs = list(pairs)
        out: list[float] = []
        for b in range(0, len(pairs), self.block):
            jobs = self._jobs(pairs[b : b + self.block], self.config.verify_unit)
            self._judge(jobs)
            out += [self._aggregate(units) for _, units in jobs]
        return out

    def probability(self, raw: float) -> float:
        """P(consistent) from a raw score (Platt scaling fitted on SummEval dev); without a
        document calibration, the raw score rescaled to [0, 1]."""
        pl = (self.doc_cal or {}).get("platt")
        return _platt(pl, raw) if pl else (raw + 1) / 2

    def support_probability(self, p_entail: float) -> float:
        """P(the source sentence entails the claim) from the raw NLI P(entailment), Platt
        scaling fitted by ``checker calibrate`` on the claim-pair dev set (all pairs, no
        alignment gate); without it, the raw probability."""
        pl = self.config.support.get("platt")
        return _platt(pl, p_entail) if pl else p_entail

    def consistency(self, pairs: list[tuple[str, str]]) -> list[float]:
        return [round(self.probability(r), 4) for r in self.raw_scores(pairs)]

    def check_many(self, pairs: list[tuple[str, str]]) -> list[list[ClaimCheck]]:
        pairs = list(pairs)
        out: list[list[ClaimCheck]] = []
        for b in range(0, len(pairs), self.block):
            jobs = self._jobs(pairs[b : b + self.block], "claim")
            self._judge(jobs)
            self._parse_premises(jobs)
            out += [self._checks(src, units) for src, units in jobs]
        return out

    def _parse_premises(self, jobs: list[tuple[_Source, list[_Unit]]]) -> None:
        """The facts of every retrieved premise not parsed yet, in one batched spaCy pass
        (the contradiction check needs them all: the alignment gate reads them)."""
        need: dict[tuple[int, int], tuple[_Source, int]] = {}
        for src, units in jobs:
            for u in units:
                for w in u.top:
                    if int(w) not in src.prem_facts:
                        need.setdefault((id(src), int(w)), (src, int(w)))
        todo = list(need.values())
        for (src, w), doc in zip(todo, self.nlp.pipe([src.premises[w].text for src, w in todo])):
            src.prem_facts[w] = facts(doc)

    def _premise_facts(self, src: _Source, w: int):
        if w not in src.prem_facts:
            src.prem_facts[w] = facts(self.nlp(src.premises[w].text))
        return src.prem_facts[w]

    def _contradictions(self, src: _Source, units: list[_Unit]) -> list[tuple[float, Span | None, tuple]]:
        """Per unit: (P(contradiction), the premise giving it, its fired signals) — the
        highest calibrated P(contradiction) (NLI premise -> unit combined with the mismatch
        signals, as in the cross-source comparison) over the retrieved premises that pass the
        alignment gate, i.e. talk about the same fact; (0, None, ()) when none does, so an
        unrelated sentence the NLI model calls "contradiction" is never shown as evidence."""
        cfacts = [facts(d) for d in self.nlp.pipe([u.text for u in units])]
        out = []
        for ci, u in enumerate(units):
            best = (0.0, None, ())
            for j, w in enumerate(u.top):
                pf = self._premise_facts(src, int(w))
                sim = float(u.sims[w])
                if not aligned(cfacts[ci], pf, sim):
                    continue
                sig = compare_facts(cfacts[ci], pf)
                # one direction only (premise -> unit): it fills both slots of the combiner
                x = feature_vector(u.probs[j], u.probs[j], sim, sig, overlap(cfacts[ci], pf))
                pc, _ = combine(self.config.combiner, x, sig, int(np.argmax(u.probs[j])) == 1)
                if pc > best[0]:
                    best = (pc, src.premises[w], sig)
            out.append(best)
        return out

    def _checks(self, src: _Source, units: list[_Unit]) -> list[ClaimCheck]:
        """Per unit: support = the best retrieved premise's P(entailment); contradiction and
        its evidence from :meth:`_contradictions`; the verdict from the claim-pair thresholds."""
        checks = []
        t = self.config.thresholds
        t_sup = self.config.support.get("threshold", t["corroboration"])
        for u, (pc, c_prem, c_sig) in zip(units, self._contradictions(src, units)):
            e_best = int(np.argmax(u.probs[:, 0]))
            support = self.support_probability(float(u.probs[e_best, 0]))
            if support >= t_sup and support >= pc:
                verdict = "supported"
            elif pc >= t["contradiction"]:
                verdict = "contradicted"
            else:
                verdict = "not in source"
            checks.append(ClaimCheck(claim=u.text, sentence=u.span.text, start=u.span.start, end=u.span.end,
                                     support=round(support, 4), contradiction=round(pc, 4), verdict=verdict,
                                     best_support=src.premises[u.top[e_best]], best_contradiction=c_prem,
                                     signals=[{"name": g.name, "detail": g.detail} for g in c_sig]))
        return checks

    def check(self, source: str, text: str) -> list[ClaimCheck]:
        return self.check_many([(source, text)])[0]

    # ------------------------------------------------------------------ reference path
    # The implementation before the batching above, kept verbatim as the reference the tests
    # compare against and benchmarks/bench_verify.py times ("old path"): per source one full
    # spaCy pass and one embedding call, per text one spaCy pass and one embedding call, one
    # NLI call for all pairs. It has its own source cache, so it never reuses the fast path's.
    def _ref_source(self, source: str) -> _Source:
        from .embed import embed

        hit = self._ref_sources.get(source)
        if hit is not None:
            return hit
        prem = self._premises(source_sentences(source, self.nlp), source)
        if len(self._ref_sources) > 64:
            self._ref_sources.clear()
        self._ref_sources[source] = out = _Source(prem, embed([w.text for w in prem], self.embedder))
        return out

    def _ref_units(self, src: _Source, items: list[tuple[str, Span]]) -> list[_Unit]:
        from .embed import embed

        if not items:
            return []
        sims = embed([t for t, _ in items], self.embedder) @ src.prem_vecs.T
        top = np.argsort(-sims, axis=1, kind="stable")[:, : self.top_k]
        return [_Unit(t, span, top[i], sims[i]) for i, (t, span) in enumerate(items)]

    def _ref_judge(self, jobs: list[tuple[_Source, list[_Unit]]]) -> None:
        nli_in = [(src.premises[w].text, u.text) for src, units in jobs for u in units for w in u.top]
        probs = self.nli.predict(nli_in, batch_size=self.config.nli_batch_size)
        k = 0
        for _, units in jobs:
            for u in units:
                u.probs = probs[k : k + len(u.top)]
                k += len(u.top)

    def _ref_text_units(self, text: str) -> list[tuple[str, Span]]:
        if self.config.verify_unit == "claim":
            return text_claims(text, self.nlp)
        return [(sp.text, sp) for sp in source_sentences(text, self.nlp)]

    def raw_scores_reference(self, pairs: list[tuple[str, str]]) -> list[float]:
        """:meth:`raw_scores` by the straightforward path (see above); same scores."""
        jobs = []
        for source, text in pairs:
            src = self._ref_source(source)
            jobs.append((src, self._ref_units(src, self._ref_text_units(text))))
        self._ref_judge(jobs)
        return [self._aggregate(units) for _, units in jobs]

    def check_many_reference(self, pairs: list[tuple[str, str]]) -> list[list[ClaimCheck]]:
        """:meth:`check_many` by the straightforward path (see above); same checks."""
        jobs = []
        for source, text in pairs:
            src = self._ref_source(source)
            jobs.append((src, self._ref_units(src, text_claims(text, self.nlp))))
        self._ref_judge(jobs)
        return [self._checks(src, units) for src, units in jobs]


_DEFAULT: Verifier | None = None


def consistency(pairs: list[tuple[str, str]]) -> list[float]:
    """For each ``(document, text)``: P(the text is consistent with the document), the
    calibrated probability described in :class:`Verifier` (fitted on SummEval dev: of
    texts scored p, about a fraction p were judged fully consistent by the experts)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Verifier()
    return _DEFAULT.consistency(list(pairs))
