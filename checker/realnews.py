"""The real-news cross-outlet evaluation set (ClaimDiff train stories).

ClaimDiff (Ko et al. 2022) pairs sentences of two news outlets' articles on the same
story. Its files hold the sentences and the article titles, not whole articles. This
module rebuilds each story as two articles (one per outlet): every sentence of an
outlet's article that ClaimDiff quotes, in the order ClaimDiff first quotes it. The
article's title is ClaimDiff's title, and its date the pair's date.

Labels of cross-outlet sentence pairs live in ``benchmarks/realnews/labels.jsonl``:
one JSON object per pair, keyed by the story id and the two sentences' hashes, with
one of :data:`LABELS` and the reason. ``benchmarks/realnews/README.md`` says how each
label was obtained. The sentences themselves are never copied into this repository;
they are read from ``shared/data/eval/claimdiff`` (ClaimDiff states no licence).

Split: a story is ``dev`` or ``test`` by its id (sha1 of the topic). Thresholds and
weights may be chosen on ``dev`` only; ``test`` is reported, never tuned on.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

LABELS = ("contradiction", "compatible", "different_event", "unrelated")
CLAIMDIFF_W = "claimdiff/ClaimDiff-W/ClaimDiff-weak-train.json"
CLAIMDIFF_S = "claimdiff/ClaimDiff-S/ClaimDiff-strength-train.json"
LABELS_FILE = Path(__file__).resolve().parent.parent / "benchmarks" / "realnews" / "labels.jsonl"


def norm_sentence(s: str) -> str:
    """Unicode-normalised, whitespace-folded, invisible characters removed."""
    s = unicodedata.normalize("NFKC", s)
    s = "".join(ch for ch in s if unicodedata.category(ch) not in ("Cf", "Cc") or ch in "\n\t ")
    return re.sub(r"\s+", " ", s).strip()


def sentence_hash(s: str) -> str:
    return hashlib.sha1(norm_sentence(s).encode("utf-8")).hexdigest()[:12]


def story_id(topic: str) -> str:
    return hashlib.sha1(topic.encode("utf-8")).hexdigest()[:8]


def split_of(sid: str) -> str:
    """Half the stories are dev, half test, decided by the id alone (no peeking)."""
    return "dev" if int(sid, 16) % 2 == 0 else "test"


@dataclass
class Article:
    id: str  # "<story id>-a" / "<story id>-b"
    title: str
    date: str
    sentences: list[str] = field(default_factory=list)

    def record(self) -> dict:
        return {"id": self.id, "title": self.title, "date": self.date, "outlet": f"outlet-{self.id[-1]}",
                "text": "\n\n".join(self.sentences)}


@dataclass
class Story:
    id: str
    topic: str
    split: str
    articles: list[Article]
    # ClaimDiff's own annotations, by unordered sentence-hash pair: {"weakens": 0/1, "strengthens": 0/1, "rationale": [...]}
    claimdiff: dict = field(default_factory=dict)


def load_stories(eval_dir: str | Path) -> list[Story]:
    """The 93 ClaimDiff train stories, two articles each, in a stable order."""
    eval_dir = Path(eval_dir)
    weak = json.loads((eval_dir / CLAIMDIFF_W).read_text(encoding="utf-8"))["data"]
    strong = {x["pair_id"]: x for x in json.loads((eval_dir / CLAIMDIFF_S).read_text(encoding="utf-8"))["data"]}
    stories: dict[str, Story] = {}
    titles: dict[str, dict[str, Article]] = {}
    for x in weak:
        sid = story_id(x["topic"])
        if sid not in stories:
            stories[sid] = Story(sid, x["topic"], split_of(sid), [])
            titles[sid] = {}
        arts = titles[sid]
        for title in (x["article_a"], x["article_b"]):
            if title not in arts:
                a = Article(f"{sid}-{'ab'[len(arts)]}", title, x["date"])
                arts[title] = a
                stories[sid].articles.append(a)
        for sent, title in ((x["claim_a"], x["article_a"]), (x["claim_b"], x["article_b"])):
            if sent not in arts[title].sentences:
                arts[title].sentences.append(sent)
        key = pair_key(x["claim_a"], x["claim_b"])
        s = strong.get(x["pair_id"], {})
        ann = stories[sid].claimdiff.setdefault(key, {"weakens": 0, "strengthens": 0, "rationale": []})
        ann["weakens"] = max(ann["weakens"], int(x["relation"]))
        ann["strengthens"] = max(ann["strengthens"], int(s.get("relation", 0)))
        ann["rationale"] += [r for r in x.get("rationale", []) if r not in ann["rationale"]]
    return sorted(stories.values(), key=lambda s: s.id)


def pair_key(a: str, b: str) -> tuple[str, str]:
    """Unordered pair of sentence hashes."""
    ha, hb = sentence_hash(a), sentence_hash(b)
    return (ha, hb) if ha <= hb else (hb, ha)


def write_corpus(stories: list[Story], out: str | Path, layout: str = "stories") -> list[Path]:
    """Write the stories as JSONL articles (fields id, title, date, outlet, text).

    ``layout="stories"``: one folder per story (``out/<story id>/<article id>.jsonl``);
    ``layout="mixed"``: every article of every story in one folder (the mixed-story run)."""
    out = Path(out)
    written = []
    for st in stories:
        for a in st.articles:
            d = out / st.id if layout == "stories" else out
            d.mkdir(parents=True, exist_ok=True)
            p = d / f"{a.id}.jsonl"
            p.write_text(json.dumps(a.record(), ensure_ascii=False) + "\n", encoding="utf-8")
            written.append(p)
    return written


def load_labels(path: str | Path = LABELS_FILE) -> dict[tuple[str, str, str], dict]:
    """(story id, hash, hash) -> {"label", "reason", ...}."""
    out = {}
    p = Path(path)
    if not p.exists():
        return out
    for line in p.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            ha, hb = sorted((r["a"], r["b"]))
            out[(r["story"], ha, hb)] = r
    return out


def load_cnndm_stories(eval_dir: str | Path, min_sim: float = 0.3, max_sim: float = 0.9, nlp=None) -> list[Story]:
    """Same-story article pairs among the CNN/DailyMail source documents of SummEval and
    QAGS-CNNDM: TF-IDF cosine between ``min_sim`` and ``max_sim`` (above it, the same
    article stored twice). Sentences by the claims stage's splitter; date unknown."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    eval_dir = Path(eval_dir)
    docs: dict[str, str] = {}
    for line in (eval_dir / "summeval/summeval_consistency.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        docs.setdefault(r["doc_id"], r["document"])
    for line in (eval_dir / "qags/mturk_cnndm.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        docs.setdefault("qags-" + hashlib.sha1(r["article"].encode("utf-8")).hexdigest()[:12], r["article"])
    ids = sorted(docs)
    X = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform([docs[i] for i in ids])
    S = (X @ X.T).toarray()
    from .claims import load_nlp, sentence_spans

    nlp = nlp or load_nlp()
    out = []
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            if min_sim <= S[i, j] < max_sim:
                sid = story_id(ids[i] + "|" + ids[j])
                arts = []
                for k, did in enumerate((ids[i], ids[j])):
                    sents = [s for _, _, s, _ in sentence_spans(docs[did], nlp) if len(s.split()) >= 4]
                    arts.append(Article(f"{sid}-{'ab'[k]}", docs[did][:80], "", list(dict.fromkeys(sents))))
                out.append(Story(sid, f"CNN/DM: {ids[i]} + {ids[j]}", split_of(sid), arts))
    return sorted(out, key=lambda s: s.id)


PLANTED_FILE = LABELS_FILE.parent / "planted.jsonl"


def load_planted(path: str | Path = PLANTED_FILE) -> list[dict]:
    p = Path(path)
    return [json.loads(x) for x in p.read_text(encoding="utf-8").splitlines() if x.strip()] if p.exists() else []


def apply_planted(stories: list[Story], planted: list[dict]) -> tuple[list[Story], dict]:
    """Copies of the stories with each planted edit replacing its sentence, and the labels
    that follow: (story, new hash, other hash) -> contradiction; the edited sentence keeps
    the labels of the sentence it replaced for every other pair."""
    import copy

    stories = copy.deepcopy(stories)
    by_story = {s.id: s for s in stories}
    extra: dict[tuple[str, str, str], dict] = {}
    renamed: dict[tuple[str, str], str] = {}
    for e in planted:
        st = by_story.get(e["story"])
        if st is None:
            continue
        for art in st.articles:
            for k, t in enumerate(art.sentences):
                if sentence_hash(t) == e["edited"]:
                    art.sentences[k] = e["new_text"]
                    new = sentence_hash(e["new_text"])
                    renamed[(st.id, e["edited"])] = new
                    ha, hb = sorted((new, e["other"]))
                    extra[(st.id, ha, hb)] = {"story": st.id, "a": ha, "b": hb, "label": "contradiction",
                                              "reason": f"planted {e['type']}: {e['why']}", "source": "planted"}
    return stories, {"renamed": renamed, "labels": extra}


def article_sentences(stories: list[Story]) -> dict[str, list[tuple[str, str]]]:
    """article id -> [(hash, normalised sentence)]."""
    return {a.id: [(sentence_hash(t), norm_sentence(t)) for t in a.sentences] for s in stories for a in s.articles}


def locate(article_id: str, sentence: str, index: dict) -> str | None:
    """The hash of the set sentence that holds a reported sentence (spaCy may split one)."""
    s = norm_sentence(sentence)
    for h, t in index.get(article_id, []):
        if s == t or (len(s) >= 20 and s in t):
            return h
    return None


def article_id_of(name: str) -> str:
    """"<story>-a.jsonl#<story>-a" -> "<story>-a"."""
    return name.split("#", 1)[-1]


def score_findings(findings: list[dict], stories: list[Story], labels: dict, renamed: dict | None = None) -> dict:
    """Precision / recall of a contradiction list (``report_dict(...)["contradictions"]``)
    against the labelled pairs. A finding between two stories is a cross-story flag (false);
    a finding on a pair nobody labelled is counted as false (conservative) and listed."""
    renamed = renamed or {}
    index = article_sentences(stories)
    story_ids = {s.id for s in stories}
    rev = {(sid, new): old for (sid, old), new in renamed.items()}

    def label_of(sid, ha, hb):
        for x, y in ((ha, hb), (rev.get((sid, ha), ha), hb), (ha, rev.get((sid, hb), hb)),
                     (rev.get((sid, ha), ha), rev.get((sid, hb), hb))):
            k = (sid,) + tuple(sorted((x, y)))
            if k in labels:
                return labels[k]
        return None

    tp, false, cross, unlabelled, hits = 0, [], 0, [], set()
    for f in findings:
        aa, ab = article_id_of(f["a"]["article"]), article_id_of(f["b"]["article"])
        sa, sb = aa.rsplit("-", 1)[0], ab.rsplit("-", 1)[0]
        if sa != sb:
            cross += 1
            false.append({"why": "cross-story", "a": f["a"]["sentence"], "b": f["b"]["sentence"]})
            continue
        ha, hb = locate(aa, f["a"]["sentence"], index), locate(ab, f["b"]["sentence"], index)
        lab = label_of(sa, ha, hb) if ha and hb else None
        if lab is None:
            unlabelled.append({"story": sa, "a": f["a"]["sentence"], "b": f["b"]["sentence"], "score": f["score"]})
            false.append({"why": "unlabelled", "a": f["a"]["sentence"], "b": f["b"]["sentence"]})
        elif lab["label"] == "contradiction":
            tp += 1
            hits.add((sa,) + tuple(sorted((lab["a"], lab["b"]))))
        else:
            false.append({"why": lab["label"], "reason": lab.get("reason"), "a": f["a"]["sentence"], "b": f["b"]["sentence"]})
    positives = {k for k, r in labels.items() if r["label"] == "contradiction" and k[0] in story_ids}
    n = len(findings)
    return {"flags": n, "true": tp, "false": len(false), "cross_story": cross, "unlabelled": len(unlabelled),
            "precision": round(tp / n, 4) if n else None,
            "positives": len(positives), "found": len(hits & positives),
            "recall": round(len(hits & positives) / len(positives), 4) if positives else None,
            "false_flags": false, "unlabelled_flags": unlabelled}


def evaluate(eval_dir: str | Path, split: str, config=None, planted: bool = True, say=print,
             include_cnndm: bool = True) -> dict:
    """Run the checker end to end on one split's stories, mixed in one folder (story grouping
    included), and score its contradiction list. With ``planted``, the split's planted
    errors are applied first (recall on realistic errors); without, only real text."""
    import tempfile

    from .config import Config
    from .pipeline import run
    from .report.model import report_dict

    stories = [s for s in load_stories(eval_dir) if s.split == split]
    if include_cnndm:
        stories += [s for s in load_cnndm_stories(eval_dir) if s.split == split]
    labels = {k: v for k, v in load_labels().items()}
    renamed = {}
    if planted:
        stories, pl = apply_planted(stories, [e for e in load_planted() if e["story"] in {s.id for s in stories}])
        labels.update(pl["labels"])
        renamed = pl["renamed"]
    config = config or Config.default(progress=False)
    with tempfile.TemporaryDirectory() as tmp:
        write_corpus(stories, tmp, layout="mixed")
        result = run([tmp], config=config)
    data = report_dict(result)
    out = score_findings(data["contradictions"], stories, labels, renamed)
    out.update(split=split, planted=planted, stories=len(stories), articles=len(result.documents),
               story_groups=len(result.stories))
    return out
