"""The pages in English and Simplified Chinese: catalogs, marked templates, the switch, caches."""

from __future__ import annotations

import gettext
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

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
