"""Self-contained HTML report (no network, no scripts, no external fonts).

* the contradiction list at the top, both sides with article, offsets and scores;
* then every article with each claim sentence highlighted by status;
  hovering shows the claim(s) and the other side's sentence (``title``), clicking
  jumps to the evidence entry below the article (plain anchors, no JavaScript);
* a Content-Security-Policy forbids every script, and all article text is escaped,
  so an article containing ``<script>`` or ``<img onerror=...>`` shows as text.

``HTMLReport(result)`` renders inline in Jupyter (``_repr_html_``).
"""

from __future__ import annotations

import html
import re

from ..errors import printable, show_path
from ..records import Result
from .model import STATUSES, evidence_line, relation_label, report_dict, who

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
RANK = {s: i for i, s in enumerate(STATUSES)}
CSS = """
.ckr{font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;max-width:1100px;margin:0 auto;padding:12px}
.ckr h1{font-size:1.5em;margin:.2em 0}.ckr h2{font-size:1.2em;margin:1.4em 0 .4em;border-bottom:1px solid #dde}
.ckr .legend span{margin-right:1em}.ckr .sum{color:#556}
.ckr mark{padding:1px 2px;border-radius:3px;color:inherit}
.ckr mark.contradicted{background:#ffd2d2;border-bottom:2px solid #d33}
.ckr mark.corroborated{background:#d6f5d6;border-bottom:2px solid #2a2}
.ckr mark.unresolved{background:#fff2c2}
.ckr mark.single-source{background:#eef0f4}
.ckr a.m{color:inherit;text-decoration:none}
.ckr .card{border:1px solid #e3c2c2;border-left:5px solid #d33;border-radius:6px;padding:8px 12px;margin:10px 0;background:#fffafa}
.ckr .side{margin:6px 0 6px 4px}.ckr .who{font-weight:600}.ckr .off{color:#889;font-size:.85em}
.ckr .claim{color:#445;font-size:.92em;margin-left:1em}
.ckr .score{font-weight:700;color:#b22}.ckr .sig{display:inline-block;background:#f3e3e3;border-radius:10px;padding:0 8px;margin-right:4px;font-size:.85em}
.ckr .art p{margin:.5em 0}.ckr .ev{font-size:.9em;border-left:3px solid #ccd;padding-left:8px;margin:4px 0}
.ckr .ev:target{background:#fff6d6}.ckr .ev.contradicted{border-color:#d33}.ckr .ev.corroborated{border-color:#2a2}
.ckr table{border-collapse:collapse}.ckr td{padding:2px 8px}
"""


def e(s) -> str:
    return html.escape("" if s is None else str(s), quote=True)


def _side(tag: str, s: dict) -> str:
    claim = "" if s["claim"] == s["sentence"] else (
        f'<div class="claim">claim: {e(s["claim"])}' + (f' (speaker: {e(s["speaker"])})' if s["speaker"] else "") + "</div>")
    return (f'<div class="side"><span class="who">{tag} · {e(show_path(who(s)))}</span> '
            f'<span class="off">[{s["start"]}:{s["end"]}]</span><div>{e(s["sentence"])}</div>{claim}</div>')


def _article_html(doc, rows: list[dict], art_id: int) -> tuple[str, str]:
    """Highlighted article text and its evidence list."""
    by_sentence: dict[tuple[int, int], list[dict]] = {}
    for r in rows:
        by_sentence.setdefault((r["start"], r["end"]), []).append(r)
    text = doc.text
    spans = []
    cursor = 0
    for (start, end), rs in sorted(by_sentence.items()):
        sent = rs[0]["sentence"]
        i = text.find(sent, cursor)
        if i < 0:
            i = text.find(sent)
        if i < 0:
            continue
        spans.append((i, i + len(sent), rs))
        cursor = i + len(sent)
    out, ev_html, pos = [], [], 0
    for k, (s, t, rs) in enumerate(spans):
        if s < pos:
            continue
        status = min((r["status"] for r in rs), key=RANK.get)
        tips = []
        for r in rs:
            tips.append(f"[{r['status']}] {r['claim']}")
            for ev in r["evidence"][:2]:
                tips.append(f"   {evidence_line(ev)}")
        anchor = f"a{art_id}s{k}"
        out.append(e(text[pos:s]))
        inner = e(text[s:t])
        if any(r["evidence"] for r in rs):
            inner = f'<a class="m" href="#{anchor}">{inner}</a>'
            items = []
            for r in rs:
                for ev in r["evidence"]:
                    o = ev["other"]
                    items.append(f'<div>“{e(r["claim"])}” <b>{relation_label(ev)}</b> {e(show_path(who(o)))} '
                                 f'<span class="off">[{o["start"]}:{o["end"]}]</span> '
                                 f'(score {ev["score"]:.2f}): {e(o["sentence"])}</div>')
            ev_html.append(f'<div class="ev {status}" id="{anchor}">{"".join(items)}</div>')
        out.append(f'<mark class="{status}" title="{e(chr(10).join(tips))}">{inner}</mark>')
        pos = t
    out.append(e(text[pos:]))
    body = "".join(out)
    paras = "".join(f"<p>{p}</p>" for p in re.split(r"\n\s*\n", body) if p.strip())
    return paras, "".join(ev_html)


def render_html(result: Result, threshold: float | None = None, full_page: bool = True) -> str:
    data = report_dict(result, threshold)
    docs = {d.name: d for d in result.documents}
    parts = ['<div class="ckr">', "<h1>Fact-consistency report</h1>"]
    n_art = len(data["articles"])
    parts.append(f'<p class="sum">{n_art} article(s), {sum(len(a["claims"]) for a in data["articles"])} claims, '
                 f'{len(data["contradictions"])} cross-source contradiction(s) at threshold '
                 f'{data["thresholds"]["contradiction"]:.2f}. Scores are calibrated probabilities.</p>')
    parts.append('<p class="legend"><span><mark class="contradicted">contradicted</mark></span>'
                 '<span><mark class="corroborated">corroborated</mark></span>'
                 '<span><mark class="unresolved">related, unresolved</mark></span>'
                 '<span><mark class="single-source">only this source</mark></span></p>')
    parts.append("<h2>Cross-source contradictions</h2>")
    if not data["contradictions"]:
        parts.append("<p>None above the threshold.</p>")
    for k, f in enumerate(data["contradictions"], 1):
        sigs = "".join(f'<span class="sig" title="{e(s["detail"])}">{e(s["name"])}</span>' for s in f["signals"]) or \
            '<span class="sig">NLI only</span>'
        parts.append(f'<div class="card" id="c{k}"><div>#{k} <span class="score">P(contradiction) = {f["score"]:.2f}</span> '
                     f'{sigs}</div>{_side("A", f["a"])}{_side("B", f["b"])}</div>')
    for n, art in enumerate(data["articles"]):
        c = art["counts"]
        parts.append(f'<h2 id="art{n}">{e(show_path(art["article"]))}</h2><p class="sum">{len(art["claims"])} claims: '
                     f'{c["contradicted"]} contradicted, {c["corroborated"]} corroborated, {c["unresolved"]} unresolved, '
                     f'{c["single-source"]} only this source</p>')
        body, evidence = _article_html(docs[art["article"]], art["claims"], n)
        parts.append(f'<div class="art">{body}</div>')
        if evidence:
            parts.append(f"<h3>Evidence</h3>{evidence}")
    if data["problems"]:
        parts.append("<h2>Input problems</h2><ul>" + "".join(
            f'<li>{e(p["level"])} <code>{e(p["code"])}</code> {e(show_path(p["path"]))}: {e(printable(p["message"]))}</li>' for p in data["problems"]) + "</ul>")
    parts.append("</div>")
    body = "\n".join(parts)
    style = f"<style>{CSS}</style>"
    if not full_page:
        return style + body
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>checker report</title>{style}</head><body>{body}</body></html>\n")


class HTMLReport:
    """Shows inline in Jupyter; ``str()`` / ``.html`` is the standalone page."""

    def __init__(self, result: Result, threshold: float | None = None):
        self.result, self.threshold = result, threshold
        self.html = render_html(result, threshold)

    def _repr_html_(self) -> str:
        return render_html(self.result, self.threshold, full_page=False)

    def __str__(self) -> str:
        return self.html

    def save(self, path) -> None:
        from pathlib import Path

        Path(path).write_text(self.html, encoding="utf-8")
