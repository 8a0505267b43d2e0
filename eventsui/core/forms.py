"""Form pieces shared by every page whose state is its query string."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.http import QueryDict
from django_stubs_ext import StrOrPromise


class SpellingChoiceField(forms.ChoiceField):
    """A choice that accepts any letter case and keeps the upstream's spelling."""

    def __init__(self, *, spellings: tuple[str, ...], empty_label: StrOrPromise) -> None:
        super().__init__(choices=[("", empty_label), *((s, s) for s in spellings)], required=False)
        self.valid_spellings = spellings

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        for choice in self.valid_spellings:
            if choice.casefold() == text.casefold():
                return choice
        return text


def encode(params: Mapping[str, str | list[str]]) -> str:
    """A query string of these parameters, in their order (a list: one per value)."""
    qd = QueryDict(mutable=True)
    for key, value in params.items():
        if isinstance(value, list):
            qd.setlist(key, value)
        else:
            qd[key] = value
    # A comma is kept as it is, so the combined level reads level=Warning,Error.
    return qd.urlencode(safe=",")


def with_query(path: str, params: Mapping[str, str | list[str]]) -> str:
    """path with these parameters as its query string; path alone when there are none."""
    return f"{path}?{encode(params)}" if params else path


def is_canonical(given: QueryDict, params: Mapping[str, str | list[str]]) -> bool:
    """Whether a request's query string says exactly these parameters."""
    wanted = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    return {k: given.getlist(k) for k in given} == wanted
