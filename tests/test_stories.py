"""Story grouping, same-text agreement, different events, same-role signals, attribution and
deduplication — through the real models."""

from __future__ import annotations

import json
import shutil

import pytest

from checker.config import Config
from checker.records import Claim, Document, Sentence
from checker.records import Document as _Doc
from checker.signals import compare_facts, event_relation, facts
from checker.textnorm import same_statement

from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _run(paths, **kw):
    import checker

    return checker.run([str(p) for p in paths], config=Config.default(progress=False), **kw)


def _jsonl(path, rid, title, text, date="2021-03-01", outlet=None):
    rec = {"id": rid, "title": title, "date": date, "text": text}
    if outlet:
        rec["outlet"] = outlet
    path.write_text(json.dumps(rec) + "\n", encoding="utf-8")


def test_identical_files_are_agreement_not_contradiction(tmp_path, nlp, embedder, nli):
    src = SEEDS / "000_33bc446e1b2c18c0.txt"
    shutil.copy(src, tmp_path / "one.txt")
    shutil.copy(src, tmp_path / "two.txt")
    res = _run([tmp_path])
    assert res.contradictions() == []
    assert len(res.stories) == 1 and res.stories[0].duplicates == (("two.txt", "one.txt"),)


def test_same_statement_normalisation():
    assert same_statement("China’s top diplomat meets Lavrov", "China\u2019s  top diplomat meets Lavrov.")
    assert same_statement("Chinaâ€™s top diplomat Wang Yi meets Lavrov", "China's top diplomat Wang Yi meets Lavrov")
    assert same_statement("The vote was\u200b 56-44.", "The vote was 56-44")
    assert not same_statement("The vote was 56-44.", "The vote was 44-56.")


def test_same_statement_bound_changes_no_answer():
    """RapidFuzz's Indel similarity bounds difflib's ratio from above: every answer equals
    difflib's on sentences of the seeds and seeded edits of them (a stray word, a swapped
    character, a cut), near the 0.95 threshold and far from it."""
    import random
    import re
    from difflib import SequenceMatcher

    from checker.textnorm import statement_key

    sents = [s for p in sorted(SEEDS.glob("*.txt")) for s in re.split(r"(?<=[.!?])\s+", p.read_text(encoding="utf-8"))
             if len(s) > 40][:120]
    rng = random.Random(7)
    pairs = list(zip(sents, sents[1:]))
    for s in sents:
        w = s.split()
        k = rng.randrange(len(w))
        pairs += [(s, " ".join(w[:k] + ["really"] + w[k:])), (s, " ".join(w[:k] + w[k + 1:])), (s, s[: len(s) * 9 // 10]),
                  (s, s.replace(s[k % len(s)], "x", 1))]
    near = 0
    for a, b in pairs:
        ka, kb = statement_key(a), statement_key(b)
        ref = ka == kb or (bool(ka) and bool(kb) and min(len(ka), len(kb)) >= 20
                           and SequenceMatcher(None, ka, kb, autojunk=False).ratio() >= 0.95)
        assert same_statement(a, b) == ref, (a, b)
        near += ref and ka != kb
    assert near > 50 and len(pairs) - near > 150  # the bound was put to the test both ways


def test_identical_sentences_in_different_articles_corroborate(tmp_path, nlp, embedder, nli):
    common = "The Senate voted 56-44 to advance the bill on Tuesday, with six Republicans joining all Democrats."
    _jsonl(tmp_path / "a.jsonl", "a", "Senate advances bill", common + "\n\nThe bill now goes to a final vote.")
    _jsonl(tmp_path / "b.jsonl", "b", "Senate moves ahead on bill", "Lawmakers met late into the night.\n\n" + common)
    res = _run([tmp_path])
    assert res.contradictions() == []
    same = [j for j in res.judgements if j.event == "same_text"]
    assert same and all(j.corroboration == 1.0 and j.contradiction == 0.0 for j in same)


def test_stories_are_separated_and_never_compared(tmp_path, nlp, embedder, nli):
    _jsonl(tmp_path / "golf1.jsonl", "g1", "Palmer's course hosts open",
           "Arnold Palmer owns the Bay Hill course in Orlando.\n\nThe tournament starts on Thursday with 120 golfers.")
    _jsonl(tmp_path / "golf2.jsonl", "g2", "Golfers arrive at Bay Hill",
           "The Bay Hill course in Orlando is owned by Arnold Palmer.\n\nAbout 120 golfers will tee off on Thursday.")
    _jsonl(tmp_path / "senate.jsonl", "s1", "Senate rejects budget",
           "The Senate rejected the budget resolution by a vote of 48 to 52.\n\nDemocrats said the cuts went too far.")
    res = _run([tmp_path])
    story = {d: s.id for s in res.stories for d in s.docs}
    assert story["golf1.jsonl#g1"] == story["golf2.jsonl#g2"] != story["senate.jsonl#s1"]
    for j in res.judgements:
        assert story[res.claim(j.a).doc] == story[res.claim(j.b).doc]
    assert res.contradictions() == []  # "Palmer owns the course" vs "owned by Palmer" is agreement


def test_different_meetings_are_different_events(nlp):
    a = facts(nlp("China's top diplomat Wang Yi meets Russian Foreign Minister Sergei Lavrov."))
    b = facts(nlp("Chinese leader Xi Jinping met with Russian Foreign Minister Sergei Lavrov on Tuesday."))
    assert event_relation(a, b)[0] == "different"
    c = facts(nlp("An arrest warrant was issued by the International Court of Justice against Putin."))
    d = facts(nlp("The International Criminal Court issued an arrest warrant for Putin."))
    assert event_relation(c, d)[0] == "same"
    assert any(s.name == "entity_mismatch" for s in compare_facts(c, d))


def test_relative_dates_resolved_against_article_date(nlp):
    a = facts(nlp("The ship left San Juan on March 29."), "2015-03-31")
    b = facts(nlp("The ship left San Juan on Sunday."), "2015-03-31")  # Sunday = March 29, 2015
    assert not any(s.name == "date_mismatch" for s in compare_facts(a, b))
    c = facts(nlp("The ship left San Juan on Saturday."), "2015-03-31")
    assert any(s.name == "date_mismatch" for s in compare_facts(a, c))


def test_numbers_compared_only_in_the_same_role(nlp):
    age75 = facts(nlp("John Smith, 75, was found dead in his cabin."))
    age70 = facts(nlp("The 70-year-old man was found dead in his cabin."))
    hole = facts(nlp("Smith played the 11th hole before he was found dead in his cabin."))
    assert any(s.name == "number_mismatch" for s in compare_facts(age75, age70))
    assert not any(s.name == "number_mismatch" for s in compare_facts(age75, hole))
    bound = facts(nlp("At least 24 people were arrested on Thursday night."))
    count = facts(nlp("Police arrested 30 people on Thursday night."))
    assert not any(s.name == "number_mismatch" for s in compare_facts(bound, count))


def test_attribution_marks_disputed_claims(seeds_result):
    weapons = [j for j in seeds_result.contradictions()
               if "weapons" in seeds_result.claim(j.a).text and "weapons" in seeds_result.claim(j.b).text]
    assert weapons and all(j.kind == "disputed" for j in weapons)
    from checker.report.model import contradiction_list

    f = next(f for f in contradiction_list(seeds_result) if f["kind"] == "disputed")
    assert "China" in (f["disputed"]["a_asserted_by"] + f["disputed"]["b_asserted_by"])


def test_one_finding_per_disagreement_with_all_locations(seeds_result):
    from checker.report.model import contradiction_list

    found = contradiction_list(seeds_result)
    weapons = [f for f in found if "sending weapons" in f["a"]["sentence"] or "sending weapons" in f["b"]["sentence"]]
    assert len(weapons) == 1  # headline and body of 000 say the same thing: one finding
    assert len(weapons[0]["locations"]) == 2
    assert not any("Wang Yi" in f["a"]["sentence"] + f["b"]["sentence"] and "Xi" in f["a"]["sentence"] + f["b"]["sentence"]
                   for f in found)


def test_reference_definitions_are_not_corroboration_noise(seeds_result):
    from checker.report.model import corroboration_list

    assert not any(f["b"]["role"] == "reference" and f["b"]["claim"].startswith("Xi Jinping is the President")
                   for f in corroboration_list(seeds_result))


def test_article_metadata_in_reports(tmp_path, nlp, embedder, nli):
    _jsonl(tmp_path / "a.jsonl", "a", "Council approves bridge", "The council approved the bridge on Friday.",
           date="2024-05-03T10:00:00Z", outlet="Daily Example")
    res = _run([tmp_path])
    from checker.report.model import report_dict

    art = report_dict(res)["articles"][0]
    assert (art["outlet"], art["date"], art["title"]) == ("Daily Example", "2024-05-03", "Council approves bridge")


def test_unfaithful_decomposition_falls_back_to_the_sentence(nli):
    from checker.claims.faithful import keep_faithful

    s = Sentence(id="x:0", doc="x", text="The company would not close the plant if sales recover.", start=0, end=56)
    good = Claim(id="x:0:0", doc="x", role="article", text=s.text, sentence=s)
    bad = Claim(id="x:0:1", doc="x", role="article", text="The company closed the plant.", sentence=s, kind="clause")
    out, stats = keep_faithful([good, bad], nli, Config.default().support)
    assert stats["replaced_by_sentence"] == 1
    assert [c.text for c in out] == [s.text]
    # a run-on sentence that stands in for an unfaithful claim is cut like any claim
    out, _ = keep_faithful([bad], nli, Config.default().support, max_chars=30)
    assert [(c.text, c.kind) for c in out] == [("The company would not close …", "fragment")]


@pytest.mark.parametrize("text,expected", [("Seoul, October 16, 2023 | Reuters\n\nBody text here.", "2023-10-16"),
                                           ("Published 17 March 2023\n\nBody.", "2023-03-17")])
def test_dateline(text, expected):
    from checker.ingest.meta import enrich

    d = Document(name="x.txt", path="x.txt", role="article", fmt="txt", raw=text, text=text,
                 offsets=tuple(range(len(text))))
    assert enrich(d).date == expected


def test_two_parties_views_are_not_a_contradiction_between_sources():
    from checker.compare import pair_kind

    def claim(text, speaker):
        s = Sentence(id="d:0", doc="d", text=text, start=0, end=len(text))
        return Claim(id="d:0:0", doc="d", role="article", text=text, sentence=s, speaker=speaker)

    fact, denial = claim("China sends weapons to Russia.", None), claim("China does not send weapons.", "China")
    assert pair_kind(fact, denial) == "disputed"  # one source states as fact what a party denies
    assert pair_kind(claim("There is no limit.", "Biden"), claim("There is a limit.", "Senator Smith")) == "views"
    assert pair_kind(claim("X.", "the ministry"), claim("Y.", "The Ministry")) == "fact"


def test_opposing_views_are_listed_apart_not_as_contradictions(nli, nlp, embedder, tmp_path):
    """Two outlets each quote a different party: "A says there is no limit" / "B says there
    has always been a limit" is a debate both report, not the outlets contradicting each other."""
    _jsonl(tmp_path / "a.jsonl", "a", "Gun debate", "Senator Jane Smith said there has never been a limit on the "
           "type of weapons citizens may own.", outlet="Outlet A")
    _jsonl(tmp_path / "b.jsonl", "b", "Gun debate", "Governor Tom Brown said there has always been a limit on the "
           "type of weapons citizens may own.", outlet="Outlet B")
    res = _run([tmp_path])
    from checker.report.model import report_dict

    data = report_dict(res)
    views = [j for j in res.judgements if j.kind == "views"]
    assert views, "the two quoted statements were not judged as two parties' views"
    assert not any(j.kind == "views" for j in res.contradictions(0.0))
    assert all(f["kind"] == "views" for f in data["opposing_views"])
    assert all(f["kind"] != "views" for f in data["contradictions"])


@pytest.mark.parametrize("a, b, fires", [
    ("China does not provide weapons to Russia.", "China has been sending weapons to Russia.", True),  # same subject
    ("The coin is not something the White House has anything to do with.", "The challenge coins were minted by the White House.", True),
    ("The cheetahs did not approach the boy.", "The boy was rescued by his parents.", False),  # another subject and verb
    ("The Justice Department has yet to comment.", "A spokeswoman did not return a request for comment.", False),  # both negative
])
def test_negation_only_against_the_same_proposition(nlp, a, b, fires):
    fired = any(s.name == "negation_mismatch" for s in compare_facts(facts(nlp(a)), facts(nlp(b))))
    assert fired == fires


def test_story_similarity_does_not_depend_on_the_rest_of_the_run():
    from checker.stories import lexical_similarity

    def Document(name, path, role, text, title):  # noqa: N802 - the fields the similarity reads
        return _Doc(name=name, path=path, role=role, fmt="txt", raw=text, text=text, offsets=tuple(range(len(text))), title=title)

    a = Document(name="a", path="a", role="article", text="Tom Barrack stepped down as chairman of Colony Capital in March.",
                 title="Barrack steps down")
    b = Document(name="b", path="b", role="article", text="Colony Capital said Barrack resigned as its executive chairman.",
                 title="Colony chairman resigns")
    c = Document(name="c", path="c", role="article", text="The Senate rejected the budget resolution by 48 votes to 52.",
                 title="Senate rejects budget")
    alone = lexical_similarity([a, b])[0, 1]
    among = lexical_similarity([a, b, c])[0, 1]
    assert alone == pytest.approx(among, abs=1e-9)
    assert alone > lexical_similarity([a, c])[0, 1] + 0.1  # shared rare names weigh, shared stop words do not


def test_a_two_article_story_checked_alone_is_one_story(tmp_path, nlp, embedder, nli):
    _jsonl(tmp_path / "a.jsonl", "a", "Barrack leaves Colony Capital",
           "Tom Barrack stepped down as executive chairman of Colony Capital in March, the company said.\n\n"
           "Barrack, a longtime friend of Donald Trump, founded the real estate investment firm in 1991.")
    _jsonl(tmp_path / "b.jsonl", "b", "Trump ally Barrack resigns from Colony",
           "Thomas Barrack resigned in April as executive chairman of Colony Capital, the firm he founded.\n\n"
           "The billionaire chaired Trump's inaugural committee.")
    res = _run([tmp_path])
    assert len(res.stories) == 1


def test_a_claim_cut_at_max_chars_is_never_a_contradiction_side(tmp_path, nlp, embedder, nli):
    captions = ("Pietersen took his place on the right of the front row for the Surrey team photo shoot at the Oval "
                "Using his camera , Pietersen turned the tables to take pictures of photographers "
                "Team-mate Chris Tremlett flashes a smile as he and Pietersen share a joke during the event "
                "Photographers gather round Pietersen to get close-up pictures of the batsman "
                "Pietersen was all smiles as he joked with team-mates ahead of the new county championship season "
                "Pietersen looks on from inside the Oval as he hopes to work his way back into the England set-up")
    assert len(captions) > Config.default().max_claim_chars
    _jsonl(tmp_path / "a.jsonl", "a", "Pietersen at Surrey photocall", captions + ".")
    _jsonl(tmp_path / "b.jsonl", "b", "Pietersen back with Surrey",
           "Pietersen has never played for England and is not part of the England set-up.")
    res = _run([tmp_path])
    cut = [c for c in res.claims if c.kind == "fragment"]
    assert cut and all(c.text.endswith("…") for c in cut)
    ids = {c.id for c in cut}
    pairs = [j for j in res.judgements if j.a in ids or j.b in ids]
    assert all(j.contradiction == 0.0 and any(s.name == "fragment" for s in j.signals) for j in pairs if j.event == "same")
    assert not any(j.a in ids or j.b in ids for j in res.contradictions())


def test_one_story_puts_every_article_in_one_story(tmp_path, nlp, embedder, nli):
    """``--one-story`` / ``Config.one_story``: the user says the articles are one story; no
    grouping splits them (identical articles are still duplicates), and a store refuses it."""
    import checker
    from typer.testing import CliRunner

    from checker.cli import app

    _jsonl(tmp_path / "golf1.jsonl", "g1", "Palmer's course hosts open",
           "Arnold Palmer owns the Bay Hill course in Orlando.\n\nThe tournament starts on Thursday with 120 golfers.")
    _jsonl(tmp_path / "senate.jsonl", "s1", "Senate rejects budget",
           "The Senate rejected the budget resolution by a vote of 48 to 52.\n\nDemocrats said the cuts went too far.")
    shutil.copy(tmp_path / "senate.jsonl", tmp_path / "senate_copy.jsonl")
    assert len(_run([tmp_path]).stories) == 2
    res = checker.run([str(tmp_path)], config=Config.default(progress=False, one_story=True))
    assert len(res.stories) == 1 and len(res.stories[0].docs) == 3
    assert res.stories[0].duplicates == (("senate_copy.jsonl#s1", "senate.jsonl#s1"),)
    r = CliRunner().invoke(app, ["contradictions", "--store", str(tmp_path / "x.db"), "--one-story"])
    assert r.exit_code == 2 and "--one-story applies to a one-shot run" in r.output


def test_a_claim_the_other_article_states_too_is_no_disagreement():
    """Near-copies of one page (list items, syndicated copy edited): if B also states A's claim
    (or its sentence) itself, A-vs-B tension is within each article, not between sources. A
    claim B only reports ("officials said X") does not count as B stating it."""
    from checker.compare import stated_by_both, stated_keys

    def claim(doc, k, text, speaker=None, sentence=None):
        s = Sentence(id=f"{doc}:{k}", doc=doc, text=sentence or text, start=0, end=len(sentence or text))
        return Claim(id=f"{doc}:{k}:0", doc=doc, role="article", text=text, sentence=s, speaker=speaker)

    a1 = claim("A", 0, "8 April 1916: became 13th Reserve Bn.")
    b1 = claim("B", 0, "8 April 1916: became 9th, 11th and 12th Reserve Bns.")
    b2 = claim("B", 1, "8 April 1916: became 13th Reserve Bn.")
    keys = stated_keys([a1, b1, b2])
    assert stated_by_both(a1, b1, keys)  # B lists both items
    reported = claim("C", 0, "China sends weapons to Russia.", speaker="officials",
                     sentence="Officials said China sends weapons to Russia.")
    fact = claim("D", 0, "China sends weapons to Russia.")
    denial = claim("C", 1, "China does not send weapons to Russia.")
    assert not stated_by_both(fact, denial, stated_keys([reported, fact, denial]))
    # texts of stored documents come in through ``extra``
    assert stated_by_both(a1, b1, stated_keys([a1, b1], {"B": ["8 April 1916 : became 13th Reserve Bn"]}))


@pytest.mark.parametrize("text,has_verb", [
    ("The New York Times, 28 Nov. 1990.", False),
    ("1/15th (County of London) Battalion (Prince of Wales's Own Civil Service Rifles)", False),
    ("The court issued an arrest warrant for Putin.", True),
    ("Death toll rises to 45.", True),
    # a table row the parser reads with a verb ("cathcart"): two ratings tables of different
    # matches were flagged as contradicting each other (scale corpus)
    ("Watford: gomes 7; motta 3, cathcart 6. 5, angella 6, hoban 6; layun 6 ( anya 64' 5 ), watson 6.", False),
    ("Sales rose to 3,000 in 2019, 4,000 in 2020 and 5,000 in 2021, the company said.", True),
    ("The Senate voted 56-44 on Tuesday, with 6 Republicans, 50 Democrats and 2 independents in favour.", True),
])
def test_claims_without_a_verb_state_nothing(nlp, text, has_verb):
    assert facts(nlp(text)).has_verb is has_verb


def test_a_repeated_disagreement_is_one_finding_with_every_location():
    """Two articles repeat a sentence that a third contradicts: one finding, two locations (at
    10,000 articles of wire copies, 8,681 flags were 1,501 disagreements)."""
    from checker.records import Claim, Document, Judgement, Result, Sentence
    from checker.report.model import contradiction_list

    def claim(doc, text):
        s = Sentence(id=f"{doc}:0", doc=doc, text=text, start=0, end=len(text))
        return Claim(id=f"{doc}:0:0", doc=doc, role="article", text=text, sentence=s, speaker=None, kind="sentence")

    claims = [claim("a", "The bridge reopened on Monday."), claim("b", "The bridge reopened on Monday!"),
              claim("c", "The bridge reopened on Friday.")]
    docs = [Document(name=n, path=n, role="article", fmt="text", raw="", text=c.text, offsets=())
            for n, c in zip("abc", claims)]

    def j(x, y, p):
        return Judgement(a=x.id, b=y.id, similarity=0.9, p_entail_ab=0.0, p_neutral_ab=0.1, p_contra_ab=0.9,
                         p_entail_ba=0.0, p_neutral_ba=0.1, p_contra_ba=0.9, signals=(), contradiction=p,
                         corroboration=0.01, story=0)

    res = Result(documents=docs, sentences=[c.sentence for c in claims], claims=claims, clusters=[],
                 judgements=[j(claims[0], claims[2], 0.9), j(claims[1], claims[2], 0.95)],
                 thresholds={"contradiction": 0.5, "corroboration": 0.5})
    found = contradiction_list(res)
    assert len(found) == 1 and found[0]["score"] == 0.95 and found[0]["a"]["article"] == "b"
    assert [(loc["a"]["article"], loc["b"]["article"]) for loc in found[0]["locations"]] == [("b", "c"), ("a", "c")]
