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
