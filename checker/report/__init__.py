"""Stage 6 — report: terminal text, Markdown and JSON (one data model behind all)."""

from .html import HTMLReport, render_html
from .model import BRIEF_ARTICLE, REPORT_KEYS, article_reports, claim_statuses, contradiction_list, report_dict, report_stream
from .render import (contradictions_markdown, contradictions_text, report_markdown, report_text,
                     json_chunks, to_json)

__all__ = ["HTMLReport", "render_html", "report_dict", "report_stream", "REPORT_KEYS", "article_reports", "claim_statuses", "contradiction_list", "to_json", "json_chunks",
           "report_text", "report_markdown", "contradictions_text", "contradictions_markdown", "render", "render_data", "json_view"]


def render(result, kind: str = "report", fmt: str = "text", threshold: float | None = None, color: bool = False) -> str:
    """Render a :class:`~checker.records.Result` as ``text``, ``markdown``, ``json`` or ``html``."""
    if fmt == "html":
        return render_html(result, threshold)
    return render_data(report_dict(result, threshold), kind, fmt, color)


def render_data(data: dict, kind: str = "report", fmt: str = "text", color: bool = False) -> str:
    """Render a report dict (:func:`report_dict`, :func:`report_stream`) as ``text``,
    ``markdown`` or ``json``."""
    if fmt == "json":
        return to_json(json_view(data, kind))
    if fmt == "markdown":
        return contradictions_markdown(data) if kind == "contradictions" else report_markdown(data)
    return contradictions_text(data, color) if kind == "contradictions" else report_text(data, color)


def json_view(data: dict, kind: str = "report") -> dict:
    """What the JSON output of ``kind`` holds: everything for a report; for the contradiction
    list, the list, each article's counts, the clusters, thresholds and problems."""
    if kind != "contradictions":
        return data
    out = {k: data[k] for k in ("contradictions", "articles", "clusters", "thresholds", "problems")}
    out["articles"] = [{k: a[k] for k in BRIEF_ARTICLE} for a in data["articles"]]
    return out
