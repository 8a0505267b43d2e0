"""The viewer's language, sent to ModelArts as X-Language.

A context variable, so the service layer needs no request: middleware
(eventsui.core.middleware) sets it for each request and the client reads it
when it builds headers. The cache keys include it, since ModelArts may
translate messages. Code that calls the client from another thread carries
it there with contextvars.copy_context().run.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Literal, TypeVar

Language = Literal["zh-cn", "en-us"]
# The values of the Go SDK's X-Language enum.
LANGUAGES: tuple[Language, ...] = ("zh-cn", "en-us")
DEFAULT_LANGUAGE: Language = "en-us"

_language: contextvars.ContextVar[Language] = contextvars.ContextVar(
    "eventsui_modelarts_language", default=DEFAULT_LANGUAGE
)

T = TypeVar("T")


def current_language() -> Language:
    """The X-Language of calls made now (en-us outside a request)."""
    return _language.get()


@contextmanager
def use_language(language: Language) -> Iterator[None]:
    """Calls made inside the block ask ModelArts for this language."""
    if language not in LANGUAGES:
        raise ValueError(f"X-Language must be one of {', '.join(LANGUAGES)}")
    token = _language.set(language)
    try:
        yield
    finally:
        _language.reset(token)


def iterate_in_language(items: Iterable[T], language: Language) -> Iterator[T]:
    """Each step of items run with this language set.

    For a streaming response, whose generator runs after the view (and the
    middleware's block) has returned. The steps run in a context of their
    own, so nothing is set in, or reset from, the server's thread.
    """
    if language not in LANGUAGES:
        raise ValueError(f"X-Language must be one of {', '.join(LANGUAGES)}")
    context = contextvars.copy_context()
    context.run(_language.set, language)
    iterator = iter(items)
    while True:
        try:
            item = context.run(next, iterator)
        except StopIteration:
            return
        yield item


__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "Language",
    "current_language",
    "iterate_in_language",
    "use_language",
]
