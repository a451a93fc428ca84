"""Typed records that flow one way through the pipeline.

ingest -> :class:`Document` -> claims -> :class:`Sentence`, :class:`Claim`
-> embed/cluster -> :class:`Cluster` -> compare -> :class:`Judgement`
-> report -> :class:`Result`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    """One article (or the reference file) after boilerplate removal.

    ``text`` is the cleaned text; ``offsets[i]`` is the character offset in the
    original file (``raw``) of ``text[i]``. For JSONL records the "original file"
    is the record's text field (``line`` gives the JSONL line number).
    """

    name: str  # display name: file name, or "file.jsonl#id"
    path: str
    role: str  # "article" | "reference"
    fmt: str  # txt | md | html | jsonl
    raw: str
    text: str
    offsets: tuple[int, ...]
    title: str | None = None
    line: int | None = None
    removed: tuple[tuple[int, int, str], ...] = ()  # (start, end, reason) in raw
    outlet: str | None = None  # publisher: HTML site name / JSONL "outlet"/"source"/URL host
    date: str | None = None  # publication date, ISO "YYYY-MM-DD" (HTML meta, JSONL field, or dateline)
    date_source: str | None = None  # where ``date`` came from: "metadata" | "field" | "dateline"

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of ``text`` to the original file."""
        if end <= start:
            s = self.offsets[start] if start < len(self.offsets) else len(self.raw)
            return s, s
        return self.offsets[start], self.offsets[end - 1] + 1


@dataclass(frozen=True)
class Sentence:
    id: str  # "<doc index>:<sentence index>"
    doc: str  # Document.name
    text: str  # verbatim sentence as in the cleaned text
    start: int  # offsets in the original file
    end: int


@dataclass(frozen=True)
class Claim:
    id: str  # "<sentence id>:<claim index>"
    doc: str
    role: str
    text: str  # the atomic claim (may be rewritten: attribution removed, pronoun resolved)
    sentence: Sentence
    speaker: str | None = None  # "Lavrov" for "Lavrov said X"
    kind: str = "sentence"  # sentence | clause | conjunct | appositive | relative | participle | attribution | fragment (cut at max_claim_chars)


@dataclass(frozen=True)
class Story:
    """Articles about one story (grouped by :mod:`checker.stories`). Claims are compared
    only within a story, and against the reference."""

    id: int
    docs: tuple[str, ...]
    title: str | None = None  # the title of its first article that has one
    duplicates: tuple[tuple[str, str], ...] = ()  # (document, the document it repeats)


@dataclass(frozen=True)
class Cluster:
    id: int
    claim_ids: tuple[str, ...]
    docs: tuple[str, ...]


@dataclass(frozen=True)
class Signal:
    name: str  # entity_mismatch | number_mismatch | date_mismatch | negation_mismatch | different_event | fragment
    detail: str


@dataclass(frozen=True)
class Judgement:
    """NLI + signals for one cross-source claim pair (a = premise side, b = other)."""

    a: str  # claim id
    b: str
    similarity: float
    p_entail_ab: float
    p_neutral_ab: float
    p_contra_ab: float
    p_entail_ba: float
    p_neutral_ba: float
    p_contra_ba: float
    signals: tuple[Signal, ...]
    contradiction: float  # calibrated P(contradiction)
    corroboration: float  # calibrated P(mutual support)
    # "fact": the sources disagree on a fact; "disputed": one side reports a party's own
    # assertion or denial of what the other states (who asserts, who denies: the claims' speakers);
    # "views": both sides report what two *different* parties say (A says X, B says not X): the
    # sources agree on who said what, so this is a debate they report, never a contradiction
    # between them (listed apart: :meth:`Result.opposing_views`)
    kind: str = "fact"
    # "same" | "different": the two claims are about different events (different meetings,
    # dates); such a pair is never a contradiction | "same_text": the same statement
    event: str = "same"
    story: int | None = None

    @property
    def label(self) -> str:
        return "contradiction" if self.contradiction >= self.corroboration else "corroboration"

    @property
    def between_sources(self) -> bool:
        """Can this pair be a contradiction between the sources? Not for claims about
        different events or identical statements (``event``), nor for two parties' views."""
        return self.event == "same" and self.kind != "views"

    def is_contradiction(self, threshold: float) -> bool:
        """Is this pair on the contradiction list at ``threshold``?"""
        return self.contradiction >= threshold and self.label == "contradiction" and self.between_sources


@dataclass
class Result:
    """Everything a report needs. Built by :func:`checker.pipeline.run`."""

    documents: list[Document]
    sentences: list[Sentence]
    claims: list[Claim]
    clusters: list[Cluster]
    judgements: list[Judgement]
    thresholds: dict[str, float]
    problems: list[Any] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    embeddings: Any = None  # numpy array, one unit vector per claim (same order as claims)
    stories: list[Story] = field(default_factory=list)
    stats: dict = field(default_factory=dict)  # counts: claims checked for faithfulness, pairs judged, ...

    def _repr_html_(self) -> str:  # inline in Jupyter
        from .report.html import render_html

        return render_html(self, full_page=False)

    def claim(self, claim_id: str) -> Claim:
        return self._claims[claim_id]

    def __post_init__(self) -> None:
        self._claims = {c.id: c for c in self.claims}
        self._docs = {d.name: d for d in self.documents}
        self._cluster_of = {cid: cl.id for cl in self.clusters for cid in cl.claim_ids}

    def document(self, name: str) -> Document | None:
        return self._docs.get(name)

    def cluster_of(self, claim_id: str) -> int | None:
        return self._cluster_of.get(claim_id)

    def _best_per_sentence_pair(self, found: list[Judgement], key) -> list[Judgement]:
        """One finding per pair of sentences: the strongest of its claim pairs."""
        best: dict[tuple[str, str], Judgement] = {}
        for j in sorted(found, key=lambda j: (-key(j), j.a, j.b)):
            k = (self._claims[j.a].sentence.id, self._claims[j.b].sentence.id)
            best.setdefault(k, j)
        return sorted(best.values(), key=lambda j: (-key(j), j.a, j.b))

    def contradictions(self, threshold: float | None = None) -> list[Judgement]:
        """Contradicting claim pairs at ``threshold`` (default: calibrated), strongest
        first, one per pair of sentences."""
        t = self.thresholds["contradiction"] if threshold is None else threshold
        found = [j for j in self.judgements if j.is_contradiction(t)]
        return self._best_per_sentence_pair(found, lambda j: j.contradiction)

    def opposing_views(self, threshold: float | None = None) -> list[Judgement]:
        """Pairs where two sources report two different parties saying incompatible things
        (``kind == "views"``): a debate the sources report, not a contradiction between them."""
        t = self.thresholds["contradiction"] if threshold is None else threshold
        found = [j for j in self.judgements if j.contradiction >= t and j.label == "contradiction"
                 and j.event == "same" and not j.between_sources]
        return self._best_per_sentence_pair(found, lambda j: j.contradiction)

    def corroborations(self, threshold: float | None = None) -> list[Judgement]:
        t = self.thresholds["corroboration"] if threshold is None else threshold
        found = [j for j in self.judgements if j.corroboration >= t and j.label == "corroboration"]
        return self._best_per_sentence_pair(found, lambda j: j.corroboration)


def to_dict(obj: Any) -> dict:
    return asdict(obj)
