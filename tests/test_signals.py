from checker.signals import compare_facts, facts


def fired(nlp, a, b):
    return {s.name for s in compare_facts(facts(nlp(a)), facts(nlp(b)))}


def test_entity_swap(nlp):
    assert "entity_mismatch" in fired(nlp, "An arrest warrant was issued by the International Court of Justice against Putin.",
                                      "The International Criminal Court issued an arrest warrant for Vladimir Putin.")


def test_same_entities_different_forms_do_not_fire(nlp):
    assert fired(nlp, "The ICC issued a warrant for Putin.", "The International Criminal Court issued a warrant for Vladimir Putin.") == set()


def test_numbers_dates_negation(nlp):
    assert "number_mismatch" in fired(nlp, "The strike killed 12 people.", "The strike killed 40 people.")
    assert "date_mismatch" in fired(nlp, "Lavrov arrived in Beijing on Monday.", "Lavrov arrived in Beijing on Tuesday.")
    assert "negation_mismatch" in fired(nlp, "China sends weapons to Russia.", "China does not send weapons to Russia.")
    assert fired(nlp, "China sends weapons to Russia.", "China sends weapons to Russia.") == set()


def test_without_negates_its_object_not_the_clause(nlp):
    """A false flag of the scale run: "without" read as a negation of the whole sentence."""
    assert "negation_mismatch" not in fired(nlp, "Van Gaal will be without Rojo and Shaw for the game.",
                                            "Van Gaal is pleased to have Van Persie back for the game.")
    assert "negation_mismatch" in fired(nlp, "The plane landed without its landing gear.",
                                        "The plane landed with its landing gear down.")
    assert "negation_mismatch" in fired(nlp, "Van Gaal will be without Shaw for the game.",
                                        "Shaw will play in the game, Van Gaal said.")


def test_entity_swap_needs_same_slot(nlp):
    # the two countries belong to different people: not a swap
    assert "entity_mismatch" not in fired(nlp, "Wang Yi met with Russia's Foreign Minister Sergei Lavrov on Monday.",
                                          "Wang Yi is China's Minister of Foreign Affairs.")
    assert "entity_mismatch" in fired(nlp, "The summit took place in Geneva.", "The summit took place in Vienna.")


def test_transliterations_and_demonyms_match(nlp):
    assert "entity_mismatch" not in fired(nlp, "Sergei Lavrov met Wang Yi in Beijing.", "Sergey Lavrov met Wang Yi in Beijing.")
    assert "entity_mismatch" not in fired(nlp, "The Russian minister arrived in Beijing.", "The minister of Russia arrived in Beijing.")


def test_claim_facts_same_as_parsing_each_claim(nlp):
    """compare.claim_facts (distinct texts parsed once, sorted by length, cached) gives exactly
    the facts of parsing each claim on its own, in order, for repeated texts and dates too."""
    from checker.compare import _facts_cache, claim_facts
    from checker.signals import facts

    texts = ["Lavrov arrived in Beijing on Monday.", "The strike killed 12 people.",
             "China does not send weapons to Russia, the ministry said on March 29.",
             "Lavrov arrived in Beijing on Monday.", "Scroll down for video."]
    items = [(t, d) for t in texts for d in (None, "2023-03-31")]
    want = [facts(nlp(t), d) for t, d in items]
    _facts_cache.pop(nlp, None)
    assert claim_facts(nlp, items) == want
    assert claim_facts(nlp, items[::-1]) == want[::-1]  # from the cache
    # a claim without a DATE or TIME entity is kept once, whatever the date of its article
    dated = {t for t in texts if any(e.label_ in ("DATE", "TIME") for e in nlp(t).ents)}
    assert 0 < len(dated) < len(set(texts))
    assert len(_facts_cache[nlp]) == len({(t, d if t in dated else "*") for t, d in items})
