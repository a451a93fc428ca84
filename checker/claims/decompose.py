"""Atomic-claim decomposition from a spaCy dependency parse (no LLM).

Rules, applied to one sentence:

* attribution — "X said (that) Y", "Y, X said", "according to X, Y": claim Y with
  speaker X (pronoun subjects of Y that refer to X are replaced by X);
* coordinated clauses — "A did P and B did Q" -> two claims;
* adverbial clauses with their own subject — "Although A did P, B did Q" -> two;
* appositives — "Wang Yi, China's top diplomat, met ..." -> "Wang Yi is China's
  top diplomat" + the sentence without the appositive;
* relative clauses — "X, which did Y" -> "X did Y";
* participle modifiers — "a warrant issued by the ICC" -> "A warrant was issued by the ICC";
* coordinated named entities — "sent weapons to Russia and Hamas" -> one claim per entity.

Each claim points back to its source sentence; the sentence keeps its offsets.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

REPORTING = {
    "say", "tell", "add", "state", "report", "announce", "maintain", "allege", "contend",
    "reveal", "claim", "note", "insist", "warn", "stress", "emphasize", "emphasise", "argue",
    "confirm", "explain", "write", "declare", "reiterate", "assert", "believe", "quote",
}
PRONOUNS = {"he", "she", "it", "they", "him", "her", "them"}
# relations that hold between the conjuncts jointly: never split "between A and B"
SYMMETRIC = {"between", "among", "both", "together", "jointly", "mutual", "each", "bilateral"}
ENTITY_TYPES = {"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC"}
# heads of noun phrases that name a body, not a person: "it" may refer to them, "he"/"she" may not
INSTITUTIONS = {"government", "ministry", "department", "agency", "court", "company", "firm", "office", "police",
                "army", "military", "party", "committee", "council", "commission", "administration", "group",
                "organization", "organisation", "union", "bank", "university", "school", "state", "country",
                "embassy", "parliament", "congress", "senate", "house", "team", "club", "board", "network"}


@dataclass(frozen=True)
class RawClaim:
    text: str
    kind: str
    speaker: str | None = None


def _join(toks, replace=None) -> str:
    toks = sorted(toks, key=lambda t: t.i)
    parts = []
    for k, t in enumerate(toks):
        word = replace.get(t.i, t.text) if replace else t.text
        gap = t.whitespace_ or (k + 1 < len(toks) and toks[k + 1].i != t.i + 1)
        parts.append(word + (" " if gap else ""))
    return _tidy("".join(parts))


def _tidy(out: str) -> str:
    out = re.sub(r"\s+", " ", out).strip()
    out = re.sub(r"\s+([,.;:!?])", r"\1", out)
    out = re.sub(r"[,;:]+\s*([.!?])", r"\1", out)  # "partners, ." after a clause was removed
    out = re.sub(r"[,;:]+\s*['\"’”]+\s*$", "", out)  # "… risen 240%,'" (the quote's closing mark)
    out = re.sub(r"^[\s,;:—–\-\"“”'’]+|[\s,;:—–\-]+$", "", out)
    for _ in range(2):
        out = re.sub(r"(,?\s+(and|but|or))+[.]?$", "", out)
        out = re.sub(r"[\s,;:—–\-]+$", "", out)
    out = re.sub(r"^(that|and|but)\s+", "", out, flags=re.IGNORECASE)
    if out.count("“") + out.count("”") == 1 or out.count('"') == 1:
        out = out.replace("“", "").replace("”", "").replace('"', "")
    return out.strip()


def _text(tokens) -> str:
    return _join(tokens)


def _finish(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    if not re.search(r"[.!?\"”’]$", text):
        text += "."
    return text


def _subtree(tok) -> set:
    return set(tok.subtree)


def lemma(tok) -> str:
    """The token's lemma. Documents are parsed without spaCy's lemmatizer (a fifth of the parse
    time; :func:`checker.claims.sentence_spans`): the lemma of the few tokens asked about is
    computed here by the same rule lemmatizer."""
    if tok.lemma_:
        return tok.lemma_
    from . import load_nlp

    return load_nlp().get_pipe("lemmatizer").rule_lemmatize(tok)[0]


def _reports(verb) -> bool:
    """A reporting verb that actually reports something ("said that ...", not "maintains ties")."""
    return lemma(verb) in REPORTING and any(c.dep_ in ("ccomp", "xcomp", "parataxis") for c in verb.children)


def _subject(head):
    for c in head.children:
        if c.dep_ in ("nsubj", "nsubjpass", "csubj", "expl"):
            return c
    return None


# modifiers that are not part of a name: "Sanders, who ...", "the man accompanied by ...", "X, the minister,"
NOT_NAME = {"relcl", "acl", "appos", "advcl", "punct"}


def _noun_phrase(tok) -> set:
    """The tokens of a noun phrase without its relative clauses, participle modifiers and
    appositives ("Warmbier, who was arrested ..." -> "Warmbier")."""
    drop = set()
    for c in tok.children:
        if c.dep_ in NOT_NAME:
            drop |= _subtree(c)
    return _subtree(tok) - drop


def _plural(tok) -> bool:
    return tok.tag_ in ("NNS", "NNPS") or any(c.dep_ == "conj" for c in tok.children)


def _speaker_of(verb) -> str | None:
    subj = _subject(verb)
    if subj is None:
        return None
    return _text(_noun_phrase(subj))


def _clause_tokens(head, exclude: set) -> set:
    return _subtree(head) - exclude


@dataclass(frozen=True)
class Antecedent:
    """The proper-noun subject a later "he" / "she" / "it" of the same sentence may refer to."""
    text: str
    i: int  # token index of its head (a pronoun is only resolved when it comes later)
    person: bool | None  # a PERSON entity (True), another named entity (False), unknown (None)


def _main_subject(sent) -> Antecedent | None:
    for t in sent:
        if t.dep_ in ("nsubj", "nsubjpass") and t.pos_ == "PROPN":
            return Antecedent(_text(_noun_phrase(t)), t.i, _person(t))
    return None


def _appos_tokens(tok) -> set:
    out = set()
    for c in tok.children:
        if c.dep_ == "appos":
            out |= _subtree(c)
    return out


def _entity_conjunct_variants(tokens: set, sent, limit: int = 4) -> list[set]:
    """Split coordinated named entities ("Russia and Hamas") into one variant each.

    Names that merely contain "and" ("Belt and Road Initiative") are one entity
    and are not split.
    """
    groups = []
    for t in sorted(tokens, key=lambda t: t.i):
        if t.dep_ == "conj" or t.pos_ in ("VERB", "AUX"):
            continue
        members = [t]
        stack = [t]
        while stack:
            x = stack.pop()
            for c in x.children:
                if c.dep_ == "conj" and c in tokens:
                    members.append(c)
                    stack.append(c)
        if len(members) < 2:
            continue
        if not all(m.ent_type_ in ENTITY_TYPES for m in members):
            continue
        ent_of = {e.start + k: e.start for e in sent.doc.ents for k in range(len(e))}
        if len({ent_of.get(m.i, -1 - m.i) for m in members}) < len(members):  # one name
            continue
        if any(c.dep_ == "cc" and c.lower_ in ("or", "nor") for m in members for c in m.children):
            continue  # "Russia or Hamas": neither alternative is asserted
        if t.head.lower_ in SYMMETRIC or any(x.lower_ in SYMMETRIC for x in sent):
            continue
        groups.append(members)
    if not groups:
        return [tokens]
    variants = []
    for choice in itertools.product(*groups):
        keep = set(tokens)
        for members, chosen in zip(groups, choice):
            subs = {m: _subtree(m) for m in members}
            for m in members:
                own = set(subs[m])
                for c in m.children:
                    if c in subs:
                        own -= subs[c]
                own = {x for x in own if not (x.dep_ in ("cc", "preconj", "punct") and x.head in subs)}
                if m != chosen:
                    keep -= own
                for c in m.children:
                    if c.dep_ in ("cc", "preconj") or (c.dep_ == "punct" and c.text == ","):
                        keep.discard(c)
        variants.append(keep)
        if len(variants) >= limit:
            break
    return variants


def decompose(sent) -> list[RawClaim]:
    """Decompose one spaCy sentence Span into atomic claims."""
    root = sent.root
    antecedent = _main_subject(sent)
    speaker = None
    speaker_tok = None  # the speaker's head token (is it a person?)
    content_heads = [root]
    exclude: set = set()

    # --- attribution
    if lemma(root) in REPORTING:
        comps = [c for c in root.children if c.dep_ in ("ccomp", "xcomp")]
        if comps:
            speaker, speaker_tok = _speaker_of(root), _subject(root)
            content_heads = comps
        else:  # "…," he said.  — quoted content attached as parataxis / other
            para = [c for c in root.children if c.dep_ in ("parataxis", "dobj") and c.pos_ in ("VERB", "AUX")]
            if para:
                speaker, speaker_tok = _speaker_of(root), _subject(root)
                content_heads = para
    else:
        # parataxis "X did Y, Z reported"
        for c in root.children:
            if c.dep_ in ("parataxis",) and lemma(c) in REPORTING and _subject(c) is not None:
                speaker, speaker_tok = _speaker_of(c), _subject(c)
                exclude |= _subtree(c)
    for t in sent:
        if t.lower_ == "according" and t.head is not None and t.dep_ == "prep":
            pobj = [x for c in t.children for x in ([c] + [g for g in c.children if g.dep_ == "pobj"]) if x.dep_ == "pobj"]
            if pobj:
                speaker, speaker_tok = _text(_noun_phrase(pobj[0])), pobj[0]
                exclude |= _subtree(t)
                # swallow the comma after "according to X,"
                nxt = t.doc[max(x.i for x in _subtree(t)) + 1] if max(x.i for x in _subtree(t)) + 1 < len(t.doc) else None
                if nxt is not None and nxt.text == ",":
                    exclude.add(nxt)

    # --- clause heads inside the content: coordinated and adverbial clauses with a subject
    heads = []
    for h in content_heads:
        heads.append(h)
        stack = [h]
        while stack:
            x = stack.pop()
            for c in x.children:
                if c.dep_ == "conj" and c.pos_ in ("VERB", "AUX") and _subject(c) is not None and not _alternative(x):
                    heads.append(c)
                    stack.append(c)
                elif c.dep_ == "advcl" and _subject(c) is not None and not _reports(c) and not _conditional(c):
                    heads.append(c)
                    stack.append(c)
    sub_heads = set(heads[1:]) | {h for h in heads if h not in content_heads}

    # --- "X did Y, saying Z": Z is X's claim, not the article's
    claims: list[RawClaim] = []
    said_claims: list[RawClaim] = []
    inner_speaker: dict[int, str] = {}
    for h in heads:
        for c in h.children:
            if not (c.dep_ == "advcl" and c.tag_ == "VBG" and lemma(c) in REPORTING):
                continue
            said = [x for x in c.children if x.dep_ == "ccomp"]
            who = _speaker_of(h) if said else None  # only here: a head may have thousands of children
            if not who:
                continue
            exclude |= _subtree(c)
            if c.i > 0 and c.doc[c.i - 1].text == ",":
                exclude.add(c.doc[c.i - 1])
            inner_speaker.update((x.i, who) for x in _subtree(c))
            said_claims.append(RawClaim(_finish(_text_resolved(_subtree(said[0]), who, None, _person(_subject(h)))),
                                        "attribution", who))

    extra: list[RawClaim] = []
    side: set = set()
    for t in sent:
        if t.dep_ == "appos" and t.head.pos_ == "PROPN" and _set_off(t) and _description(t, sent):
            noun = _text({x for x in t.head.subtree if x not in _subtree(t) and x.dep_ != "punct" and x.i < t.i})
            be = "are" if _plural(t.head) else "is"
            extra.append(RawClaim(_finish(f"{noun} {be} {_text(_subtree(t))}"), "appositive", inner_speaker.get(t.i, _says(t, speaker, speaker_tok))))
            side |= _subtree(t)
            # commas around the appositive
            for k in (t.left_edge.i - 1, t.right_edge.i + 1):
                if 0 <= k < len(t.doc) and t.doc[k].text == ",":
                    side.add(t.doc[k])
        elif t.dep_ == "relcl" and lemma(t) not in REPORTING and any(c.dep_ in ("nsubj", "nsubjpass") and c.lower_ in ("who", "which", "that") for c in t.children):
            rel = {c for c in t.children if c.dep_ in ("nsubj", "nsubjpass")}
            noun_toks = {x for x in t.head.subtree if x not in _subtree(t) and x.i <= t.head.i and x.dep_ != "punct"}
            body = _subtree(t) - set().union(*[_subtree(r) for r in rel])
            extra.append(RawClaim(_finish(_text(noun_toks) + " " + _text(body)), "relative", inner_speaker.get(t.i, _says(t, speaker, speaker_tok))))
            if any(x.text == "," for x in t.doc[t.left_edge.i - 1 : t.left_edge.i]):
                side |= _subtree(t) | {t.doc[t.left_edge.i - 1]}
        elif t.dep_ == "acl" and t.tag_ == "VBN" and t.head.pos_ in ("NOUN", "PROPN") and any(c.dep_ == "agent" for c in t.children):
            noun_toks = {x for x in t.head.subtree if x not in _subtree(t) and x.i <= t.head.i}
            be = " were " if _plural(t.head) else " was "
            extra.append(RawClaim(_finish(_text(noun_toks) + be + _text(_subtree(t))), "participle",
                                  inner_speaker.get(t.i, speaker)))

    for h in heads:
        toks = _clause_tokens(h, exclude | side)
        for other in sub_heads:
            if other != h and other in _subtree(h):
                toks -= _subtree(other)
        # drop the coordinator / subordinator linking to the removed clause
        marks = {t.i for t in h.children if t.dep_ == "mark"} if h in sub_heads else set()
        toks = {t for t in toks if not (t.dep_ in ("cc", "mark") and t.head == h and t.i < h.i and h in sub_heads)}
        toks = {t for t in toks if not (t.dep_ == "advmod" and t.head == h and t.i + 1 in marks)}  # "even though"
        if any(c.dep_ == "conj" and c in sub_heads for c in h.children):
            toks = {t for t in toks if not (t.dep_ == "cc" and t.head == h and t.i > h.i)}
        toks = {t for t in toks if not (t.dep_ == "mark" and t.head == h and t.lower_ in ("that",))}
        if h == root and lemma(root) in REPORTING and speaker:
            continue
        kind = "attribution" if speaker else ("clause" if len(heads) > 1 else "sentence")
        for variant in _entity_conjunct_variants(toks, sent):
            v_kind = kind if variant == toks else "conjunct"
            claims.append(RawClaim(_finish(_text_resolved(variant, speaker, antecedent, _person(speaker_tok))), v_kind, speaker))
    claims += said_claims + extra
    # de-duplicate, keep order; drop fragments
    seen, out = set(), []
    for c in claims:
        key = c.text.lower()
        if key in seen or len(c.text.split()) < 3:
            continue
        seen.add(key)
        out.append(c)
    if not out:
        txt = _finish(_text(set(sent)))
        if len(txt.split()) >= 3:
            out.append(RawClaim(txt, "sentence", None))
    return out


CONDITIONAL = {"if", "unless", "whether", "provided", "lest"}


def _conditional(clause) -> bool:
    """"If reports are accurate, he should resign": the condition is not a claim of its own,
    and the main clause without it is not either (it stays one claim)."""
    return any(c.dep_ == "mark" and c.lower_ in CONDITIONAL for c in clause.children) or \
        any(t.lower_ == "as" and t.i + 2 < len(t.doc) and t.doc[t.i + 1].lower_ == "long" for t in clause.children)


def _alternative(head) -> bool:
    """"He took them out or he has taken ..." asserts neither alternative: never split an "or"."""
    return any(c.dep_ == "cc" and c.lower_ in ("or", "nor") for c in head.children)


def _says(tok, speaker: str | None, speaker_tok) -> str | None:
    """An appositive or relative clause on the speaker's own name ("Erica Mauter, a resident
    who ..., said") is the article's description of the speaker, not what the speaker says."""
    if speaker_tok is not None and tok in set(speaker_tok.subtree):
        return None
    return speaker


def _set_off(app) -> bool:
    """A real appositive is set off by a comma, dash or bracket ("Wang Yi, China's top
    diplomat,"); "an Ethiopian Airlines 737 MAX 8" is a compound name, not "Airlines is 737 MAX 8"."""
    k = app.left_edge.i - 1
    return k >= 0 and app.doc[k].text in (",", "(", "—", "–", "-")


def _description(app, sent) -> bool:
    """An appositive that describes its noun ("Wang Yi, China's top diplomat"), not a field of a
    list, table or citation line read as one: "Thomas muller, bayern munich ( 13 )." (no verb in
    the sentence: a list), "..., Australian National University, http://adb.anu.edu.au/..." (a URL),
    "Biography, Volume 8, (MUP)" (a locator; or a bracket it does not close), "Watford ( 3 - 5 - 2 )"
    (a number)."""
    toks = sorted(_subtree(app), key=lambda x: x.i)
    if not any(x.pos_ in ("VERB", "AUX") for x in sent):
        return False
    if any(x.like_url or x.like_email for x in toks):
        return False
    if app.text[:1].isdigit():  # a number: only an age ("Nujeen, 16, ...": set off by commas)
        return len(toks) == 1 and app.text.isdigit() and 1 <= int(app.text) <= 120 and \
            app.doc[app.i - 1].text == ","
    # a locator, "Volume 8", "page 12": a bare common noun numbered ("age 40" is an age)
    if app.pos_ == "NOUN" and app.lower_ != "age" and any(c.dep_ == "nummod" for c in app.children) and \
            not any(c.dep_ in ("det", "poss") for c in app.children):
        return False
    text = "".join(x.text for x in toks)
    return all(text.count(o) == text.count(c) for o, c in ("()", "[]", "{}"))


def _expletive(t) -> bool:
    """"It's hard to imagine that ...", "it seems ...", "it was reported that ...": "it" refers to nothing."""
    head = t.head
    return t.dep_ == "expl" or any(c.dep_ in ("ccomp", "xcomp", "csubj") for c in head.children) and \
        (lemma(head) in ("be", "seem", "appear", "remain", "become") or head.tag_ == "VBN")


def _person(tok) -> bool | None:
    """A person (PERSON entity, or a he/she), another named thing (an organisation, a place: "it"), or unknown."""
    if tok is None:
        return None
    if tok.lower_ in ("he", "she", "him", "her"):
        return True
    if tok.lower_ == "it" or lemma(tok).lower() in INSTITUTIONS:
        return False
    if tok.ent_type_ == "PERSON":
        return True
    if tok.ent_type_ in ("GPE", "NORP", "LOC", "FAC"):
        return False
    if tok.ent_type_ == "ORG":  # the small model tags many one-word surnames ORG ("Lavrov", "Trump")
        doc = tok.doc  # a multi-word ORG entity is an organisation; one word may be a surname
        multi = tok.ent_iob_ == "I" or (tok.i + 1 < len(doc) and doc[tok.i + 1].ent_iob_ == "I")
        return False if multi else None
    return None


def _agrees(pronoun, person: bool | None) -> bool:
    """"he"/"she" may stand for a person or a name of unknown type, "it" only for a non-person name."""
    return person is False if pronoun.lower_ == "it" else person is not False


def _text_resolved(tokens: set, speaker: str | None, antecedent: Antecedent | None,
                   speaker_person: bool | None = None) -> str:
    """Join tokens; a pronoun subject is replaced by the speaker ("China said it ...") or by
    a proper-noun subject earlier in the sentence. "he"/"she" only stand for a person (or a
    name of unknown type), "it" only for an organisation or place, an expletive "it" for
    nothing; "they" is never resolved (the speaker is usually one person or body)."""
    for t in sorted(tokens, key=lambda t: t.i):
        if t.dep_ not in ("nsubj", "nsubjpass") or t.lower_ not in ("he", "she", "it") or _expletive(t):
            continue
        if speaker and speaker.split()[0].lower() not in PRONOUNS:
            if _agrees(t, speaker_person):
                return _join(tokens, {t.i: speaker})
            return _join(tokens)
        if antecedent and antecedent.i < t.i and _agrees(t, antecedent.person) and not _rival(t, antecedent):
            return _join(tokens, {t.i: antecedent.text})
        return _join(tokens)
    return _join(tokens)


def _rival(pronoun, antecedent: Antecedent) -> bool:
    """Another name between the antecedent and the pronoun that the pronoun could stand for (another
    subject; for "he"/"she", a person when the antecedent is not known to be one): then which one
    it means is a guess, and the pronoun stays ("... saying Washington would never allow Islamic
    State to re-establish itself - something experts say it will try to do": "it" is Islamic
    State, not Washington; "... removal of Mr. Trump, compared to 48% who say he should not be
    impeached": "he" is not "A Quinnipiac Poll")."""
    doc = pronoun.doc
    for x in doc[antecedent.i + 1 : pronoun.i]:
        if x.pos_ != "PROPN" or x.dep_ in ("compound", "flat") or not _agrees(pronoun, _person(x)):
            continue
        if x.dep_ in ("nsubj", "nsubjpass"):  # another subject: the pronoun may continue either
            return True
        # "he"/"she" after a known person, when the antecedent is not known to be one
        if pronoun.lower_ != "it" and _person(x) is True and antecedent.person is not True:
            return True
    return False
