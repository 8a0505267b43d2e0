"""Request-wide settings the service layer reads without seeing the request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from eventsui.core.views import page_not_found
from eventsui.modelarts.language import (
    DEFAULT_LANGUAGE,
    Language,
    iterate_in_language,
    use_language,
)


def language_for(ui_language: str | None) -> Language:
    """X-Language for the page's language (translation.get_language()): Chinese or English.

    LocaleMiddleware has already chosen it from the django_language cookie
    (the header's switch), else Accept-Language, else LANGUAGE_CODE; ModelArts
    answers in the same language as the page around its texts.
    """
    if ui_language and (ui_language == "zh" or ui_language.startswith("zh-")):
        return "zh-cn"
    return DEFAULT_LANGUAGE


def modelarts_language(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Calls to ModelArts during a request ask for the viewer's language."""

    def middleware(request: HttpRequest) -> HttpResponse:
        language = language_for(translation.get_language())
        with use_language(language):
            response = get_response(request)
        if isinstance(response, StreamingHttpResponse) and not response.is_async:
            # An export reads ModelArts while it streams, after this returns.
            response.streaming_content = iterate_in_language(response.streaming_content, language)
        # The same URL shows another language for another cookie or header.
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
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
