import pytest

from checker.claims import decompose


def texts(nlp, sentence):
    doc = nlp(sentence)
    return [(c.text, c.speaker, c.kind) for c in decompose(list(doc.sents)[0])]


def test_attribution_with_pronoun_resolution(nlp):
    out = texts(nlp, "China has also said it does not provide weapons or military assistance to Russia.")
    assert ("China does not provide weapons or military assistance to Russia.", "China", "attribution") in out


def test_coordinated_entities_split(nlp):
    out = [t for t, _, _ in texts(nlp, "China and North Korea have been sending weapons to Russia and Hamas.")]
    assert "China have been sending weapons to Russia." in out
    assert "North Korea have been sending weapons to Hamas." in out
    assert len(out) == 4


def test_entity_names_with_and_not_split(nlp):
    out = [t for t, _, _ in texts(nlp, "Lavrov said China's Belt and Road Initiative would help promote cooperation.")]
    assert out == ["China's Belt and Road Initiative would help promote cooperation."]


def test_participle_and_appositive(nlp):
    out = [t for t, _, _ in texts(nlp, "Owing to an arrest warrant issued by the International Court of Justice against Putin, he has missed a few global events.")]
    assert "An arrest warrant was issued by the International Court of Justice against Putin." in out
    out = [t for t, _, _ in texts(nlp, "Wang Yi, China's top diplomat, met with Sergei Lavrov on Monday.")]
    assert "Wang Yi is China's top diplomat." in out
    assert "Wang Yi met with Sergei Lavrov on Monday." in out
    # ages and descriptions stay appositive claims (the guards against list and citation fields
    # must not take them: "one" is a number word, "16" an age)
    out = [t for t, _, _ in texts(nlp, "Her younger sister Nujeen, 16, fled Syria in a wheelchair.")]
    assert "Her younger sister Nujeen is 16." in out
    out = [t for t, _, _ in texts(nlp, "He studied at The Liverpool Institute, one of the city's leading grammar schools.")]
    assert "The Liverpool Institute is one of the city's leading grammar schools." in out


def test_adverbial_clause_split(nlp):
    out = [t for t, _, _ in texts(nlp, "Although China has not provided direct military support to Russia, it has supported it diplomatically.")]
    assert "China has not provided direct military support to Russia." in out
    assert any(t.startswith("China has supported it diplomatically") for t in out)


def test_according_to(nlp):
    out = texts(nlp, "According to TASS news agency, the duo on Monday discussed the conflict in the Middle East.")
    assert out[0][0] == "The duo on Monday discussed the conflict in the Middle East."
    assert out[0][1] == "TASS news agency"


@pytest.mark.parametrize("sentence", ["Russia and China are each other's most important partners.",
                                      "Putin's visit aims at a partnership between Russia and China."])
def test_symmetric_relations_not_split(nlp, sentence):
    assert len(texts(nlp, sentence)) == 1


def test_plural_pronoun_not_resolved_to_speaker_and_no_stray_comma(nlp):
    out = [t for t, _, _ in texts(nlp, "“We are pleased with these successes, because they are successes of friends,” Lavrov said.")]
    assert not any(t.startswith("Lavrov are") for t in out)
    out = [t for t, _, _ in texts(nlp, "China and Russia are each other’s most important partners, both holding permanent seats on the Council.")]
    assert all(",." not in t for t in out)


@pytest.mark.parametrize("sentence, bad", [
    # an expletive "it" refers to nothing, and never to a name that comes later in the sentence
    ("It's almost certain that 19 Republicans won't vote to convict Trump.", "19 Republicans's"),
    ("It was defeated by a 55-45 vote, with five Republicans joining all 50 Senate Democrats.", "Five Republicans was"),
    # a compound name is not an appositive ("an Ethiopian Airlines 737 MAX 8")
    ("The crash of an Ethiopian Airlines 737 MAX 8 bound for Nairobi killed all 157 on board.", "Airlines is 737"),
    # "it" never stands for a person
    ("Sergei Lavrov said it was a mistake.", "Lavrov was a mistake"),
    # fields of lists, tables and citations are not appositives (scale corpus: flagged as
    # contradictions "Bayern munich is 13" vs "... is 16", "Biography is Volume 8" vs "Volume 6")
    ("Thomas muller, bayern munich ( 13 ).", "munich is 13"),
    ("This article was first published in Australian Dictionary of Biography, Volume 8, (MUP), 1981.", "Biography is Volume"),
    ("The entry was written by G. Walsh, Australian National University, http://adb.anu.edu.au/biography/tooth-robert-4731.",
     "University is http"),
    # a pronoun with a rival name between it and the sentence's first subject stays a pronoun
    ("A Quinnipiac Poll this week showed that 46% of Americans approve of removal of Mr. Trump, compared to 48% who "
     "say he should not be removed from office.", "Poll should not be removed"),
])
def test_no_garbled_claims(nlp, sentence, bad):
    assert not any(bad.lower() in t.lower() for t, _, _ in texts(nlp, sentence))


def test_agreement_and_speaker_without_relative_clause(nlp):
    out = texts(nlp, "There seems a good chance that the challenge coins minted by the White House Communications "
                     "Agency may get left on the shelf.")
    assert "The challenge coins were minted by the White House Communications Agency." in [t for t, _, _ in out]
    out = texts(nlp, "Sanders, who spoke on Monday, said she had no knowledge of the coin.")
    assert ("Sanders had no knowledge of the coin.", "Sanders", "attribution") in out


def test_pronoun_speaker_resolved_across_sentences(nlp):
    from checker.claims import extract
    from checker.records import Document

    t = "Sergei Lavrov met Wang Yi in Beijing on Monday. He said the West was to blame."
    doc = Document(name="x.txt", path="x.txt", role="article", fmt="txt", raw=t, text=t, offsets=tuple(range(len(t))))
    claims = extract([doc], nlp)[1]
    said = next(c for c in claims if "West" in c.text)
    assert said.speaker == "Sergei Lavrov" and said.kind == "attribution"


@pytest.mark.parametrize("sentence, bad", [
    ("Schiff said that if reports are accurate, Flynn should no longer serve.", "reports are accurate"),
    ("He is taking their uteruses out or he has taken their tubes out.", "he is taking their uteruses out."),
    ("China may send weapons to Russia or Iran.", "china may send weapons to russia."),
])
def test_conditions_and_alternatives_are_not_asserted(nlp, sentence, bad):
    assert not any(t.lower() == bad.lower() or t.lower().startswith(bad.lower()) and len(t) < len(bad) + 3
                   for t, _, _ in texts(nlp, sentence))


def test_description_of_the_speaker_is_not_what_the_speaker_says(nlp):
    out = texts(nlp, "Erica Mauter, a Minneapolis resident, said the measure would pass.")
    assert ("Erica Mauter is a Minneapolis resident.", None, "appositive") in out


def test_saying_clause_is_the_subjects_claim(nlp):
    out = texts(nlp, "Blackwell rejected the findings, saying it was the officer's knee that killed him.")
    assert ("Blackwell rejected the findings.", None, "sentence") in out
    assert ("The officer's knee killed him.", "Blackwell", "relative") in out
    assert any(spk == "Blackwell" and kind == "attribution" and "knee" in t for t, spk, kind in out)


# ---------------------------------------------------------------- spaCy on several cores (issue 12)

def test_parse_pool_gives_the_claims_of_one_process(nlp):
    """checker.claims.workers: shards of documents parsed in worker processes give exactly the
    sentences and claims (ids, texts, kinds, speakers, offsets) of one process, in order."""
    from checker import ingest
    from checker.claims import extract
    from checker.claims.workers import ParsePool, maybe_pool, shards
    from checker.config import Config
    from tests.conftest import SEEDS

    cfg = Config.default(progress=False)
    docs, _ = ingest.load([SEEDS], "article", cfg, skip={(SEEDS / "reference.txt").resolve()})
    assert len(docs) >= 4
    parts = shards(docs, 3)
    assert [d for p in parts for d in p] == docs and len(parts) <= 3
    key = lambda cs: [(c.id, c.text, c.kind, c.speaker, c.sentence.start, c.sentence.end) for c in cs]  # noqa: E731
    s1, c1 = extract(docs, nlp, cfg.max_claim_chars)
    with ParsePool(2) as pool:
        s2, c2 = pool.extract(docs, cfg.max_claim_chars)
        s3, c3 = pool.extract(docs[:1], cfg.max_claim_chars)  # the pool serves several calls
    assert key(c2) == key(c1) and [(s.id, s.start, s.end) for s in s2] == [(s.id, s.start, s.end) for s in s1]
    assert key(c3) == [k for k in key(c1) if k[0].startswith(docs[0].name + ":")]
    # claims parsed for their facts on the workers: the facts of this process
    from checker.compare import compute_facts
    new = {c.text: {None, "2023-03-20"} for c in c1}
    assert len(new) >= 64
    with ParsePool(2) as pool:
        assert pool.facts(new) == compute_facts(nlp, new)
    # small inputs and one process: no pool (its start-up would cost more than it saves)
    assert maybe_pool(cfg, docs) is None
    assert maybe_pool(Config.default(progress=False, parse_processes=1), docs * 100) is None


def test_a_dead_parse_worker_does_not_end_the_run(nlp, nli):
    """A worker killed mid-run (out of memory, a signal): the claims are parsed in this process."""
    from checker import ingest
    from checker.claims import extract
    from checker.claims.workers import ParsePool
    from checker.config import Config
    from checker.pipeline import extract_claims
    from tests.conftest import SEEDS

    cfg = Config.default(progress=False)
    docs, _ = ingest.load([SEEDS], "article", cfg, skip={(SEEDS / "reference.txt").resolve()})
    pool = ParsePool(1)
    for p in pool.procs:
        p.kill()
        p.wait()
    try:
        sentences, claims, _ = extract_claims(docs, nlp, nli, cfg, pool)
        from checker.compare import _facts_cache, claim_facts

        items = [(c.text, "2023-03-20") for c in claims]
        assert len(set(items)) >= 64
        dead = ParsePool(1)
        for p in dead.procs:
            p.kill()
            p.wait()
        _facts_cache.pop(nlp, None)
        assert claim_facts(nlp, items, compute=dead.facts) == claim_facts(nlp, items)  # parsed here instead
        assert dead.failed
        dead.close()
    finally:
        pool.close()
    assert [c.id for c in claims] == [c.id for c in extract_claims(docs, nlp, nli, cfg)[1]]
    assert len(sentences) == len(extract(docs, nlp, cfg.max_claim_chars)[0])


def test_a_speaker_name_is_not_a_regex_template():
    """"He said ..." resolved to a name with a backslash ended a 10,000-article run (re.sub read
    the name as a replacement template)."""
    from checker.claims import RawClaim, resolve_speaker

    rc = resolve_speaker(RawClaim("He will resign next week.", "attribution", "He"), "Wa\\")
    assert rc.text == "Wa\\ will resign next week." and rc.speaker == "Wa\\"


def test_a_document_whose_extraction_fails_is_a_problem_not_the_end(tmp_path, monkeypatch, nlp, embedder, nli):
    """An unexpected error while extracting one document's claims: that document gets E021 and
    no claims; the others are checked."""
    import checker
    import checker.claims

    real = checker.claims.decompose

    def boom(span):
        if "Poisoned" in span.text:
            raise ValueError("unexpected")
        return real(span)
    monkeypatch.setattr("checker.claims.decompose", boom)
    (tmp_path / "a.txt").write_text("The mayor opened the new bridge on Monday, officials said.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Poisoned sentence about the bridge opening on Monday.\n", encoding="utf-8")
    (tmp_path / "c.txt").write_text("The mayor opened the new bridge on Tuesday, officials said.\n", encoding="utf-8")
    res = checker.run([tmp_path], config=checker.Config.default(progress=False, parse_processes=0))
    assert [(p.code, p.path) for p in res.problems if p.code == "E021"] == [("E021", "b.txt")]
    assert {c.doc for c in res.claims} == {"a.txt", "c.txt"}
    from checker import ingest
    from checker.claims import extract

    failed: list = []
    docs, _ = ingest.load([tmp_path], "article", checker.Config(progress=False))
    s, c = extract(docs, nlp, 400, failed)
    assert [n for n, _ in failed] == ["b.txt"] and {x.doc for x in c} == {"a.txt", "c.txt"}
    with pytest.raises(ValueError):
        extract(docs, nlp, 400)


def test_a_piece_spacy_cannot_parse_fails_alone(nlp):
    """An error inside spaCy's batch: the batch is parsed again one piece at a time, and only the
    piece that fails carries the error (the documents holding it get E021; the others go on)."""
    from checker.claims import parse_pieces

    class Picky:  # spaCy, except that it raises on one text
        pipe_names = nlp.pipe_names

        def pipe(self, batch, batch_size=None, disable=()):
            if any("BOOM" in t for t in batch):
                raise ValueError("cannot parse")
            return nlp.pipe(batch, batch_size=batch_size, disable=disable)

    out = parse_pieces(["The mayor opened the bridge on Monday.", "BOOM went the bridge.", "Rain fell."], Picky())
    assert isinstance(out[1], ValueError) and [type(x) for x in out[::2]] == [tuple, tuple]
    assert out[0] == parse_pieces(["The mayor opened the bridge on Monday."], nlp)[0]
