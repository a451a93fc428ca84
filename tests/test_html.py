"""HTML report: escaping unit checks, and a real headless Chromium (Debian's chromium +
chromedriver, installed by .ci/run) that checks what a reader sees."""

import html as htmllib
import json
import shutil
import threading
import time
from pathlib import Path

import pytest

import checker
from checker.report import HTMLReport, render_html
from tests.test_pipeline import found

INJECT = ('<script>document.title="pwned";window.pwned=1</script> The mayor opened the new bridge on Monday. '
          '<img src=x onerror="document.title=\'pwned\';window.pwned=1"> Officials said it cost 40 million dollars.\n')


@pytest.fixture(scope="module")
def injected_result(tmp_path_factory, nlp, embedder, nli):
    d = tmp_path_factory.mktemp("inject")
    (d / "evil.txt").write_text(INJECT)
    (d / "plain.txt").write_text("The mayor opened the new bridge on Friday. Officials said it cost 60 million dollars.\n")
    return checker.run([d], config=checker.Config.default(progress=False))


def test_html_escapes_article_text(injected_result):
    page = render_html(injected_result)
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;" in page and "onerror=" in page  # shown as text
    assert "Content-Security-Policy" in page and "script-src" not in page  # default-src 'none' forbids scripts
    assert "http://" not in page and "https://" not in page  # self-contained
    assert HTMLReport(injected_result)._repr_html_().startswith("<style>")


def _chrome():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = shutil.which("chromium") or "/usr/bin/chromium"
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not (Path(binary).exists() and Path(driver).exists()):
        pytest.fail("Debian chromium/chromium-driver not installed (.ci/run installs them)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--window-size=1280,2000"):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service(driver), options=opts)


def test_report_in_real_browser(seeds_result, injected_result, gold, tmp_path):
    from selenium.webdriver.common.by import By

    seeds_page = tmp_path / "seeds_report.html"
    HTMLReport(seeds_result).save(seeds_page)
    evil_page = tmp_path / "inject_report.html"
    HTMLReport(injected_result).save(evil_page)
    drv = _chrome()
    try:
        drv.get(seeds_page.as_uri())
        cards = drv.find_elements(By.CSS_SELECTOR, ".card")
        assert cards and all(c.is_displayed() for c in cards[:2])
        visible = [{"a": _side(c, 0), "b": _side(c, 1)} for c in cards]
        for g in gold["must_flag"]:
            assert found(visible, g), f"{g['id']} not visible in the browser"
        marks = drv.find_elements(By.CSS_SELECTOR, ".art mark.contradicted")
        assert marks and marks[0].get_attribute("title")  # hover text with the other side
        drv.save_screenshot(str(tmp_path / "seeds_report.png"))

        drv.get(evil_page.as_uri())
        assert drv.title == "checker report"
        assert drv.execute_script("return window.pwned === undefined") is True
        body = drv.find_element(By.TAG_NAME, "body").text
        assert '<script>document.title="pwned"' in body and "onerror=" in body
        assert not drv.find_elements(By.CSS_SELECTOR, ".art img, .art script")
        drv.save_screenshot(str(tmp_path / "inject_report.png"))
    finally:
        drv.quit()
    assert (tmp_path / "seeds_report.png").stat().st_size > 10_000


def _side(card, k):
    side = card.find_elements("css selector", ".side")[k]
    who = side.find_element("css selector", ".who").text.split("·", 1)[1].strip()
    sentence = side.find_elements("css selector", "div")[0].text
    return {"article": who, "role": "reference" if who == "reference" else "article",
            "sentence": htmllib.unescape(sentence)}


# ---- the Markdown report, rendered as a site would render it, in the same browser ------------------

MD_ARTICLES = {
    "evil.txt": "The mayor opened the new bridge on Monday <script>window.pwned=1;document.title='pwned'</script> "
                "with <img src={srv}/img.png onerror=\"window.pwned=1\"> ten ministers ![x]({srv}/md.png) "
                "[click](javascript:window.pwned=1) present, officials said.\n"
                "Officials said the bridge cost 40 million dollars <iframe src=\"{srv}/frame\"></iframe> "
                "<b onmouseover=\"window.pwned=1\">raw html</b> &lt;script&gt; &#60;img&#62; <{srv}/auto> "
                "| a | b | `code` **bold** _em_ ~~strike~~ according to the city.\n"
                "<style>@import url({srv}/css.css); body {{ background: url({srv}/bg.png) }}</style>\n",
    "plain.txt": "The mayor opened the new bridge on Friday with twelve ministers present, officials said.\n"
                 "Officials said the bridge cost 60 million dollars according to the city.\n",
    "feed.jsonl": json.dumps({"id": "wire\n# Injected heading <img src={srv}/id.png>",
                              "title": "<script>window.pwned=1</script> ![t]({srv}/title.png)",
                              "text": "The mayor opened the new bridge on Sunday with nine ministers present, officials "
                                      "said. Officials said the bridge cost 50 million dollars according to the city."}) + "\n",
}


@pytest.fixture(scope="module")
def resource_server():
    """A local HTTP server standing in for "remote": every request it gets is recorded."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            requests.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}", requests
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture(scope="module")
def hostile_markdown(tmp_path_factory, resource_server, nlp, embedder, nli):
    """The Markdown report (``checker report --format markdown -o``) of hostile articles, and
    the JSON report of the same run."""
    from typer.testing import CliRunner

    from checker.cli import app

    srv, _ = resource_server
    d = tmp_path_factory.mktemp("mdhostile")
    src = d / "in"
    src.mkdir()
    for name, text in MD_ARTICLES.items():
        (src / name).write_text(text.replace("{srv}", srv).replace("{{", "{").replace("}}", "}"), encoding="utf-8")
    out = {}
    for fmt in ("markdown", "json"):
        path = d / f"report.{fmt}"
        r = CliRunner().invoke(app, ["report", str(src), "--format", fmt, "-o", str(path), "-q"])
        assert r.exit_code == 0, r.output
        out[fmt] = path.read_text(encoding="utf-8")
    return out["markdown"], json.loads(out["json"])


def test_markdown_report_rendered_in_real_browser(hostile_markdown, resource_server, tmp_path):
    """A CommonMark renderer with raw HTML allowed (markdown-it-py, tables on, as a wiki or a
    static site would) turns the report into a page with no script, no remote request, no
    injected heading or link, and the hostile text shown as text. A control script and image
    outside the report prove the page would run scripts and make requests if any got through."""
    from markdown_it import MarkdownIt
    from selenium.webdriver.common.by import By

    from checker.errors import show_path

    md, data = hostile_markdown
    srv, requests = resource_server
    assert data["contradictions"], "the hostile article should be in a finding (its sentence shown whole)"
    body = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(md)
    page = tmp_path / "md_report.html"
    page.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'><title>md report</title></head><body>"
                    "<script>window.controlRan = 1</script>"
                    f"<img id='control' src='{srv}/control.png' alt=''>"
                    f"<main>{body}</main></body></html>", encoding="utf-8")
    drv = _chrome()
    try:
        drv.get(page.as_uri())
        time.sleep(1.0)  # let any late request arrive
        assert drv.execute_script("return window.controlRan") == 1  # scripts do run on this page
        assert drv.execute_script("return window.pwned === undefined") is True
        assert drv.title == "md report"
        main = drv.find_element(By.TAG_NAME, "main")
        for tag in ("script", "img", "iframe", "style", "link", "object", "embed", "a", "b", "svg"):
            assert not main.find_elements(By.TAG_NAME, tag), f"<{tag}> in the rendered report"
        assert drv.execute_script("return document.images.length") == 1  # the control only
        assert drv.execute_script("return document.links.length") == 0
        resources = drv.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert resources == [f"{srv}/control.png"], resources
        assert requests == ["/control.png"], requests
        # headings: exactly the report's own, in order; the id's "# Injected heading" is inside one
        heads = [(h.tag_name, h.text) for h in main.find_elements(By.CSS_SELECTOR, "h1, h2, h3, h4, h5, h6")]
        want = [("h1", "Cross-source contradictions")]
        want += [("h2", f"{k}. P(contradiction)") for k in range(1, len(data["contradictions"]) + 1)]
        want += [("h1", "Per-article report")] + [("h2", show_path(a["article"])) for a in data["articles"]]
        want += [("h2", "Input problems")] if data["problems"] else []
        assert [t for t, _ in heads] == [t for t, _ in want]
        for (_, got), (_, prefix) in zip(heads, want):
            assert got.startswith(prefix), (got, prefix)
        assert not any(text.startswith("Injected") for _, text in heads)
        text = main.text
        for shown in ("<script>window.pwned=1;document.title='pwned'</script>",
                      f'<img src={srv}/img.png onerror="window.pwned=1">',
                      f"<script>window.pwned=1</script> ![t]({srv}/title.png)", "# Injected heading"):
            assert shown in text, shown
        # every sentence and claim of the run, hostile or not, is on the page as the literal text
        values = [f[s][k] for f in data["contradictions"] for s in ("a", "b") for k in ("sentence", "claim")]
        values += [row["claim"] for a in data["articles"] for row in a["claims"]]
        assert any("<iframe" in v for v in values) and any("<style>" in v for v in values)
        for v in values:
            assert " ".join(v.split()) in text, v
        assert "number\\_mismatch" not in text  # identifiers in code spans carry no visible escapes
        drv.save_screenshot(str(tmp_path / "md_report.png"))
    finally:
        drv.quit()
    assert (tmp_path / "md_report.png").stat().st_size > 10_000
