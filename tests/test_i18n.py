"""The pages in English and Simplified Chinese: catalogs, marked templates, the switch, caches."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from eventsui.sandbox.data import DEFAULT_PROJECT_ID, FAILED_JOB_ID, LONG_JOB_ID
from tests.html_tree import html
from tests.i18n_check import ROOT, template_files, unmarked

LOCALE = ROOT / "locale"
CATALOGS = sorted(LOCALE.glob("*/LC_MESSAGES/django.po"))
MSGFMT = shutil.which("msgfmt")
needs_msgfmt = pytest.mark.skipif(
    MSGFMT is None, reason="GNU gettext's msgfmt (scripts/ensure-system-packages installs it)"
)


def test_there_is_a_catalog_for_every_language() -> None:
    languages = {path.parent.parent.name for path in CATALOGS}
    assert languages == {"en", "zh_Hans"}
    assert [code for code, _name in settings.LANGUAGES] == ["en", "zh-hans"]


@needs_msgfmt
@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_every_message_is_translated_and_none_is_fuzzy(po: Path) -> None:
    result = subprocess.run(
        [MSGFMT, "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=True,
    )
    statistics = result.stderr.strip().splitlines()[-1]
    assert "untranslated" not in statistics, statistics
    assert "fuzzy" not in statistics, statistics
    assert statistics.endswith("translated messages."), statistics


@needs_msgfmt
@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: p.parent.parent.name)
def test_the_committed_mo_file_matches_its_source(po: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "django.mo"
    subprocess.run([MSGFMT, "--check", "-o", str(fresh), str(po)], check=True)

    with fresh.open("rb") as f:
        expected = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]
    with po.with_suffix(".mo").open("rb") as f:
        committed = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]
    assert committed == expected, f"run msgfmt on {po} (README, How to add a language)"


@pytest.mark.parametrize("path", template_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_shows_an_unmarked_word(path: Path) -> None:
    assert unmarked(path.read_text()) == []


@pytest.mark.parametrize(
    "source",
    [
        "<p>Hello</p>",
        '<a href="/" title="Open it">x</a>',
        '<input placeholder="Name">',
        '<nav aria-label="Pages"></nav>',
        '<img alt="A chart" src="x.png">',
        "<p>{{ count }} events</p>",
        "{% if x %}Project{% endif %}",
    ],
)
def test_the_checker_finds_unmarked_words(source: str) -> None:
    assert unmarked(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "{% load i18n %}<p>{% translate 'Hello' %}</p>",
        "{% load i18n %}<p>{% blocktranslate %}{{ n }} events{% endblocktranslate %}</p>",
        "{% load i18n %}<a title=\"{% translate 'Open it' %}\">{{ name }}</a>",
        "<p>{{ count }} · – ×</p><code>MODELARTS_ENDPOINT</code>",
        "<strong>eventsui</strong> <a>CSV</a> / <a>JSON</a> (UTC)",
        "{# A comment #}<!-- a note -->",
    ],
)
def test_the_checker_lets_marked_text_symbols_and_names_pass(source: str) -> None:
    assert unmarked(source) == []


def test_a_chinese_reader_gets_the_page_in_chinese() -> None:
    response = Client().get("/failures/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "失败作业" in html
    assert "Failures" not in html.split("<main", 1)[1]


def test_an_english_reader_gets_english_and_the_default_is_english() -> None:
    for headers in ({"Accept-Language": "en-GB"}, {}, {"Accept-Language": "fr"}):
        response = Client().get("/failures/", headers=headers)
        html = response.content.decode()
        assert '<html lang="en">' in html
        assert "<h1>Failures" in html


def test_the_switch_sets_the_cookie_and_comes_back_to_the_same_url() -> None:
    client = Client()
    page = "/failures/?within=30d"

    response = client.get("/language/", {"language": "zh-hans", "next": page})

    assert response.status_code == 302
    assert response["Location"] == page
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    # The cookie wins over the header: the same URL, now in Chinese.
    html = client.get(page, headers={"Accept-Language": "en"}).content.decode()
    assert '<html lang="zh-hans">' in html
    # And back.
    client.get("/language/", {"language": "en", "next": page})
    assert '<html lang="en">' in client.get(page).content.decode()


def test_the_header_links_to_each_language_with_the_current_url() -> None:
    html = Client().get("/failures/?within=30d").content.decode()

    assert 'href="/language/?language=zh-hans&amp;next=/failures/%3Fwithin%3D30d"' in html
    assert 'lang="zh-hans" hreflang="zh-hans">简体中文</a>' in html
    assert 'aria-current="true">English</a>' in html


@pytest.mark.parametrize(
    "query",
    [
        {"language": "fr", "next": "/"},
        {"language": "", "next": "/"},
        {"next": "/"},
    ],
)
def test_the_switch_refuses_a_language_it_does_not_have(query: dict[str, str]) -> None:
    response = Client().get("/language/", query)

    assert response.status_code == 400
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"]
)
def test_the_switch_never_sends_the_reader_to_another_site(next_url: str) -> None:
    response = Client().get("/language/", {"language": "en", "next": next_url})

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_switch_follows_the_referer_when_htmx_changed_the_address() -> None:
    response = Client().get(
        "/language/",
        {"language": "zh-hans", "next": "/failures/"},
        headers={"Referer": "http://testserver/failures/?within=24h"},
    )

    assert response["Location"] == "/failures/?within=24h"


def test_pages_vary_on_the_cookie_and_the_accept_language_header() -> None:
    response = Client().get("/failures/")

    vary = {v.strip() for v in response["Vary"].split(",")}
    assert {"Cookie", "Accept-Language"} <= vary


def test_error_pages_are_translated_too() -> None:
    response = Client().get("/no-such-page/", headers={"Accept-Language": "zh-CN"})

    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


# -- words and numbers built in Python ---------------------------------------------------------

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
FAILED_JOB = f"/projects/{DEFAULT_PROJECT_ID}/jobs/{FAILED_JOB_ID}"


def test_the_histogram_names_levels_and_counts_in_chinese() -> None:
    response = Client().get(f"{FAILED_JOB}/events/histogram/", headers=ZH)

    chart = html(response)
    legend = [li.text for li in chart.find("ul", class_="histogram-legend").find_all("li")]
    assert [item.split()[0] for item in legend] == ["信息", "警告", "错误"]
    titles = [t.text for t in chart.find_all("title")]
    assert titles and all("条事件（错误 " in t and "时间为 UTC 时间" in t for t in titles)
    strip = [t.text for t in chart.find_all("text", class_="hist-strip-label")]
    assert strip == ["错误", "警告"]


def test_the_histograms_counts_have_separators_in_english() -> None:
    response = Client().get(f"/projects/{DEFAULT_PROJECT_ID}/jobs/{LONG_JOB_ID}/events/histogram/")

    chart = html(response)
    counts = [span.text for span in chart.find("ul", class_="histogram-legend").find_all("span")]
    assert any("," in count for count in counts), counts
    assert re.search(r"^\d{1,3}(,\d{3})+$", chart.find("strong").text)


def test_the_live_tail_says_it_stopped_in_chinese() -> None:
    response = Client().get(f"{FAILED_JOB}/events/", {"live": "1"}, headers=ZH)

    status = html(response).find("p", id="live-tail-status")
    assert status.text.strip() == "实时：已停止。作业已结束（Failed）。"


def test_a_level_filter_is_named_in_chinese() -> None:
    response = Client().get(f"{FAILED_JOB}/events/", {"level": "Warning,Error"}, headers=ZH)

    page = html(response)
    options = [o.text for o in page.find("select", id="id_level").find_all("option")]
    assert options == ["全部级别", "信息", "警告", "错误", "警告和错误"]
    assert "条警告和错误事件" in page.find("p", class_="summary").text
