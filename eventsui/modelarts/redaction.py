"""Masking our own credentials in upstream text (error bodies, headers, request ids).

A gateway that echoes a header may echo it whole, cut, or wrapped in other
text, so any run of RUN or more characters of a secret is masked, not only the
whole secret: every RUN-character window of each secret goes in a set, and the
characters of every window of the text found in it are masked together.
"""

from __future__ import annotations

from collections.abc import Iterable

RUN = 8
MASK = "[redacted]"


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every run of RUN or more characters of a secret (or a shorter secret) masked."""
    windows: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        if len(secret) < RUN:
            # Too short for a window: only the whole secret is recognisable.
            text = text.replace(secret, MASK)
            continue
        windows.update(secret[i : i + RUN] for i in range(len(secret) - RUN + 1))
    if not windows or len(text) < RUN:
        return text
    masked = [False] * len(text)
    for start in range(len(text) - RUN + 1):
        if text[start : start + RUN] in windows:
            masked[start : start + RUN] = [True] * RUN
    if not any(masked):
        return text
    parts: list[str] = []
    for index, char in enumerate(text):
        if not masked[index]:
            parts.append(char)
        elif index == 0 or not masked[index - 1]:
            parts.append(MASK)
    return "".join(parts)
