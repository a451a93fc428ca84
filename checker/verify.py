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

from .compare import combine, feature_vector
from .config import Config
from .signals import compare_facts, facts, overlap


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
    support: float  # P(the source entails the claim), best window
    contradiction: float  # calibrated P(contradiction)
    verdict: str  # supported | contradicted | not in source
    best_support: Span | None = None
    best_contradiction: Span | None = None
    signals: list = field(default_factory=list)


def source_sentences(text: str, nlp) -> list[Span]:
    from .claims import sentence_spans

    return [Span(st, a, b) for a, b, st, _ in sentence_spans(text, nlp)]


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


def text_claims(text: str, nlp) -> list[tuple[str, Span]]:
    from .claims import decompose, sentence_spans

    out = []
    for a, b, st, s in sentence_spans(text, nlp):
        span = Span(st, a, b)
        out += [(c, span) for c in ([c.text for c in decompose(s)] or [st])]
    return out


class Verifier:
    """Holds the models; ``check(source, text)`` and ``consistency(pairs)``."""

    def __init__(self, config: Config | None = None, nlp=None, embedder=None, nli=None, top_k: int = 6,
                 chunk_tokens: int = 180):
        from .claims import load_nlp
        from .embed import load_embedder
        from .nli import load_nli

        self.config = config or Config.default(progress=False)
        self.nlp = nlp or load_nlp()
        self.embedder = embedder or load_embedder()
        self.nli = nli or load_nli(max_length=512)
        self.top_k, self.chunk_tokens = top_k, chunk_tokens

    def check_many(self, pairs: list[tuple[str, str]]) -> list[list[ClaimCheck]]:
        from .embed import embed

        prepared = []
        nli_in: list[tuple[str, str]] = []
        for source, text in pairs:
            sents = source_sentences(source, self.nlp)
            wins = windows(sents, source, self.nli.tokenizer, self.chunk_tokens) or [Span(source, 0, len(source))]
            claims = text_claims(text, self.nlp)
            if not claims:
                prepared.append((sents, wins, [], None, None))
                continue
            wv = embed([w.text for w in wins], self.embedder)
            sv = embed([s.text for s in sents], self.embedder) if sents else np.zeros((0, wv.shape[1]))
            cv = embed([c for c, _ in claims], self.embedder)
            sim_w = cv @ wv.T
            sim_s = cv @ sv.T if len(sents) else np.zeros((len(claims), 0))
            top = np.argsort(-sim_w, axis=1, kind="stable")[:, : self.top_k]
            base = len(nli_in)
            for ci, (c, _) in enumerate(claims):
                for wi in top[ci]:
                    nli_in.append((wins[wi].text, c))
            prepared.append((sents, wins, claims, top, (base, sim_s, sim_w)))
        probs = self.nli.predict(nli_in, batch_size=self.config.nli_batch_size)
        results = []
        for (sents, wins, claims, top, extra) in prepared:
            if not claims:
                results.append([])
                continue
            base, sim_s, sim_w = extra
            checks = []
            k = base
            cfacts = [facts(d) for d in self.nlp.pipe([c for c, _ in claims])]
            sfacts: dict[int, object] = {}  # source sentence index -> facts, parsed once
            for ci, (c, span) in enumerate(claims):
                p = probs[k : k + len(top[ci])]
                k += len(top[ci])
                e_best = int(np.argmax(p[:, 0]))
                c_best = int(np.argmax(p[:, 2]))
                support = float(p[e_best, 0])
                sig, sim, ov = (), float(sim_w[ci, top[ci][c_best]]), 0.0
                best_sent = None
                if sim_s.shape[1]:
                    si = int(np.argmax(sim_s[ci]))
                    best_sent = sents[si]
                    if si not in sfacts:
                        sfacts[si] = facts(self.nlp(best_sent.text))
                    sig = compare_facts(cfacts[ci], sfacts[si])
                    ov = overlap(cfacts[ci], sfacts[si])
                    sim = float(sim_s[ci, si])
                # one direction only (window -> claim): reuse it for both slots of the combiner
                x = feature_vector(p[c_best], p[c_best], sim, sig, ov)
                pc, _ = combine(self.config.combiner, x, sig, int(np.argmax(p[c_best])) == 1)
                t = self.config.thresholds
                if support >= t["corroboration"] and support >= pc:
                    verdict = "supported"
                elif pc >= t["contradiction"]:
                    verdict = "contradicted"
                else:
                    verdict = "not in source"
                w_sup, w_con = wins[top[ci][e_best]], wins[top[ci][c_best]]
                checks.append(ClaimCheck(claim=c, sentence=span.text, start=span.start, end=span.end,
                                         support=round(support, 4), contradiction=round(pc, 4), verdict=verdict,
                                         best_support=w_sup, best_contradiction=best_sent or w_con,
                                         signals=[{"name": s.name, "detail": s.detail} for s in sig]))
            results.append(checks)
        return results

    def check(self, source: str, text: str) -> list[ClaimCheck]:
        return self.check_many([(source, text)])[0]

    def consistency(self, pairs: list[tuple[str, str]]) -> list[float]:
        out = []
        for checks in self.check_many(pairs):
            out.append(min((c.support for c in checks), default=1.0))
        return out


_DEFAULT: Verifier | None = None


def consistency(pairs: list[tuple[str, str]]) -> list[float]:
    """For each ``(document, text)``: the probability that the text is consistent with the
    document, taken as the support of the text's least-supported claim."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Verifier()
    return _DEFAULT.consistency(list(pairs))
