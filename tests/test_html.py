"""HTML report: escaping unit checks, and a real headless Chromium (Debian's chromium +
chromedriver, installed by .ci/run) that checks what a reader sees."""

import html as htmllib
import shutil
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
