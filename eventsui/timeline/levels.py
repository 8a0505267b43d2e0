"""The timeline's Level choice: one upstream level, or Warning and Error together.

The combined choice is written `level=Warning,Error` in a URL. Any letter
case, either order and spaces after the comma are accepted and redirected to
that spelling; any other list (a level twice, Info with another) is refused.
The service layer merges the two levels (eventsui/modelarts/merge.py).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from eventsui.modelarts.merge import COMBINED_LEVEL, COMBINED_PARTS
from eventsui.modelarts.types import LEVELS

COMBINED_LABEL = _("Warnings and errors")
# A level as the pages name it; the events themselves keep ModelArts' word.
LEVEL_LABELS = {
    "Info": pgettext_lazy("event level", "Info"),
    "Warning": pgettext_lazy("event level", "Warning"),
    "Error": pgettext_lazy("event level", "Error"),
}


def level_spelling(text: str) -> str:
    """The canonical spelling of a level or of the combined level; text itself if neither."""
    if "," not in text:
        return next((level for level in LEVELS if level.casefold() == text.casefold()), text)
    # Spaces after the comma are forgiven; around the value, as for one level, not.
    parts = [part.strip().casefold() for part in text.split(",")]
    combined = sorted(level.casefold() for level in COMBINED_PARTS)
    return COMBINED_LEVEL if text == text.strip() and sorted(parts) == combined else text


def level_label(level: str) -> str:
    """One level in the reader's language ("Error", "错误"); an unknown one as it is."""
    return str(LEVEL_LABELS.get(level, level))


def level_words(level: str | None) -> str:
    """A level as a summary names it: "Warning and Error" for the combined one."""
    if level == COMBINED_LEVEL:
        first, second = (level_label(part) for part in COMBINED_PARTS)
        return gettext("%(first)s and %(second)s") % {"first": first, "second": second}
    return level_label(level) if level else ""


class LevelField(forms.ChoiceField):
    """Any level, then the combined one; letter case and order as level_spelling allows."""

    def __init__(self) -> None:
        choices = [("", _("Any level")), *((level, LEVEL_LABELS[level]) for level in LEVELS)]
        super().__init__(choices=[*choices, (COMBINED_LEVEL, COMBINED_LABEL)], required=False)

    def to_python(self, value: Any) -> str:
        return level_spelling(super().to_python(value))
