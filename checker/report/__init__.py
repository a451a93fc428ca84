"""Stage 6 — report: terminal text, Markdown and JSON (one data model behind all)."""

from .html import HTMLReport, render_html
from .model import article_reports, claim_statuses, contradiction_list, report_dict
from .render import (contradictions_markdown, contradictions_text, report_markdown, report_text,
                     to_json)

__all__ = ["HTMLReport", "render_html", "report_dict", "article_reports", "claim_statuses", "contradiction_list", "to_json",
           "report_text", "report_markdown", "contradictions_text", "contradictions_markdown", "render"]


def render(result, kind: str = "report", fmt: str = "text", threshold: float | None = None, color: bool = False) -> str:
    """Render a :class:`~checker.records.Result` as ``text``, ``markdown``, ``json`` or ``html``."""
    if fmt == "html":
        return render_html(result, threshold)
    data = report_dict(result, threshold)
    if fmt == "json":
        if kind == "contradictions":
            data = {k: data[k] for k in ("contradictions", "articles", "clusters", "thresholds", "problems")}
            data["articles"] = [{k: a[k] for k in ("article", "path", "format", "title", "counts")} for a in data["articles"]]
        return to_json(data)
    if fmt == "markdown":
        return contradictions_markdown(data) if kind == "contradictions" else report_markdown(data)
    return contradictions_text(data, color) if kind == "contradictions" else report_text(data, color)
