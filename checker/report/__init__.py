"""Stage 6 — report: terminal text, Markdown and JSON (one data model behind all)."""

from .html import HTMLReport, render_html
from .model import BRIEF_ARTICLE, REPORT_KEYS, article_reports, claim_statuses, contradiction_list, report_dict, report_stream
from .render import (contradictions_markdown, contradictions_text, report_markdown, report_text,
                     to_json)

__all__ = ["HTMLReport", "render_html", "report_dict", "report_stream", "REPORT_KEYS", "article_reports", "claim_statuses", "contradiction_list", "to_json",
           "report_text", "report_markdown", "contradictions_text", "contradictions_markdown", "render", "render_data"]


def render(result, kind: str = "report", fmt: str = "text", threshold: float | None = None, color: bool = False) -> str:
    """Render a :class:`~checker.records.Result` as ``text``, ``markdown``, ``json`` or ``html``."""
    if fmt == "html":
        return render_html(result, threshold)
    return render_data(report_dict(result, threshold), kind, fmt, color)


def render_data(data: dict, kind: str = "report", fmt: str = "text", color: bool = False) -> str:
    """Render a report dict (:func:`report_dict`, :func:`report_stream`) as ``text``,
    ``markdown`` or ``json``."""
    if fmt == "json":
        if kind == "contradictions":
            data = {k: data[k] for k in ("contradictions", "articles", "clusters", "thresholds", "problems")}
            data["articles"] = [{k: a[k] for k in BRIEF_ARTICLE} for a in data["articles"]]
        return to_json(data)
    if fmt == "markdown":
        return contradictions_markdown(data) if kind == "contradictions" else report_markdown(data)
    return contradictions_text(data, color) if kind == "contradictions" else report_text(data, color)
