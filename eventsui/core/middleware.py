"""Request-wide settings the service layer reads without seeing the request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

from eventsui.core.views import page_not_found
from eventsui.modelarts.language import (
    DEFAULT_LANGUAGE,
    Language,
    iterate_in_language,
    use_language,
)


def language_for(accept_language: str) -> Language:
    """X-Language for an Accept-Language header: the viewer's best of Chinese and English.

    Languages ModelArts does not offer are skipped, so "fr, zh;q=0.8" asks
    for Chinese; with neither, English.
    """
    for tag, quality in parse_accept_lang_header(accept_language):
        if quality <= 0:
            continue  # q=0: "not this one"
        if tag == "zh" or tag.startswith("zh-"):
            return "zh-cn"
        if tag == "en" or tag.startswith("en-"):
            return "en-us"
    return DEFAULT_LANGUAGE


def modelarts_language(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Calls to ModelArts during a request ask for the viewer's language."""

    def middleware(request: HttpRequest) -> HttpResponse:
        language = language_for(request.headers.get("Accept-Language", ""))
        with use_language(language):
            response = get_response(request)
        if isinstance(response, StreamingHttpResponse) and not response.is_async:
            # An export reads ModelArts while it streams, after this returns.
            response.streaming_content = iterate_in_language(response.streaming_content, language)
        # The same URL may show messages ModelArts translated.
        patch_vary_headers(response, ("Accept-Language",))
        return response

    return middleware


class OwnNotFoundPage:
    """An Http404 raised in a view answers eventsui's own 404 page, DEBUG or not.

    With DEBUG=1 (`make run`) Django would show its technical 404 instead,
    listing every URL pattern, for an unknown project as for a typo. URLs that
    match no pattern still get that page under DEBUG: that list helps there.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None
