"""Finds the text of a template a reader would see in English whatever their language.

Django's template Lexer splits a template into text, variables, block tags
and comments. Variables and tags become placeholders, everything between
{% blocktranslate %} and its end tag one placeholder, so what is left of the
text is markup and the words the template writes itself. Those words, in a
text node or in a title, aria-label, placeholder or alt attribute, must be
marked for translation; what is not language (symbols, numbers, the names in
ALLOWED, identifiers inside <code>, <kbd> and <pre>) may stay.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.template.base import Lexer, TokenType

ROOT = Path(__file__).resolve().parent.parent

# Names that read the same in every language.
ALLOWED = {"eventsui", "ModelArts", "htmx", "CSV", "NDJSON", "JSON", "UTC"}

_PLACEHOLDER = "\x00"
_ATTRIBUTE = re.compile(r"""\b(title|aria-label|placeholder|alt)\s*=\s*(["'])(.*?)\2""", re.S)
_NOT_LANGUAGE = re.compile(r"<(code|kbd|pre|script|style)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_COMMENT = re.compile(r"<!--.*?-->|<!doctype[^>]*>", re.S | re.I)
_TAG = re.compile(r"<[^>]*>", re.S)
_ENTITY = re.compile(r"&#?\w+;")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def template_files() -> list[Path]:
    """Every template: the project's templates/ and each app's templates folder."""
    folders = [ROOT / "templates", *sorted((ROOT / "eventsui").glob("*/templates"))]
    return sorted(p for folder in folders for p in folder.rglob("*.html"))


def _flatten(source: str) -> str:
    """The template with its variables, tags and translated blocks as placeholders."""
    out: list[str] = []
    depth = 0  # inside {% blocktranslate %} … {% endblocktranslate %}
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.COMMENT:
            continue
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if name in {"blocktranslate", "blocktrans"}:
                depth += 1
            elif name in {"endblocktranslate", "endblocktrans"}:
                depth -= 1
            out.append(_PLACEHOLDER)
            continue
        if depth:
            continue
        out.append(token.contents if token.token_type == TokenType.TEXT else _PLACEHOLDER)
    return "".join(out)


def _words(text: str) -> list[str]:
    text = _ENTITY.sub(" ", text)
    return [w for w in _WORD.findall(text) if w not in ALLOWED]


def unmarked(source: str) -> list[str]:
    """The snippets of a template's own text that are not marked for translation."""
    flat = _COMMENT.sub(" ", _flatten(source))
    found: list[str] = []
    for _name, _quote, value in _ATTRIBUTE.findall(flat):
        if _words(value):
            found.append(value.replace(_PLACEHOLDER, "…").strip())
    text = _TAG.sub(_PLACEHOLDER, _NOT_LANGUAGE.sub(_PLACEHOLDER, flat))
    for node in text.split(_PLACEHOLDER):
        if _words(node):
            found.append(" ".join(node.split()))
    return found
