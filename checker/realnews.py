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
