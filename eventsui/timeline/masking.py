"""A message as its template: the variable parts masked, the words kept.

Used by the patterns page (patterns.py) and by folding (folding.py), so two
messages that fold together are one pattern and the other way round.

The choices made here:

- Our own table of rules, not drain3. drain3 (MIT, last released in 2022)
  learns templates online with a parse tree whose result depends on the
  order in which lines arrive and on tuning (similarity threshold, tree
  depth, its own masking list); its persistence is built on jsonpickle,
  which eventsui must not load. Training-job events are short lines written
  by a handful of programs (ModelArts, Kubernetes, the training script), so
  masking the known kinds of variable text with a table of regular
  expressions finds the same templates, deterministically (the same message
  always gives the same template, in any order, in any process), in a few
  microseconds a line, and every rule is a row a reader can scan with its
  example and its test (tests/test_timeline_masking.py). What it cannot do
  that drain3 can: group lines whose variable part is an unmarked word
  ("user alice logged in" / "user bob logged in"). Such lines stay apart.
- Rules apply in the table's order, each where the earlier ones took
  nothing (quoted strings first, since a quoted path or number is one value; ids
  before numbers, since a UUID or a pod's hash holds digits).
- The worker prefix is masked like any number: "[worker-3] Pre-check
  passed." is "[worker-<n>] Pre-check passed.", so one line printed by every
  worker is one template, which is what a reader of a many-node job wants;
  the workers are kept as the template's values ("worker 0-7").
- Digits inside a word stay ("fp16", "ResNet50", "sha256", "v2"): they name
  a thing, not a measurement. A number with a unit ("12ms", "3.5GB",
  "1.3 GiB" is a number and a word) is one value, its unit included, so
  "took 12ms" and "took 3s" are one template.
- What is masked is kept as the template's values, in order, so folding can
  say what varied and the patterns page can show an example.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Kubernetes' "safe" alphabet for generated name suffixes (no vowels, so no words).
_K8S = "[bcdfghjklmnpqrstvwxz2456789]"
_UNITS = r"(?:ns|us|µs|ms|s|sec|min|h|d|[KMGTP]i?B|[KMGTP]i|B|b|%|x|it/s)"


@dataclass(frozen=True)
class Rule:
    name: str  # the placeholder: <name>
    pattern: re.Pattern[str]
    example: str  # a message
    masked: str  # what the table makes of it (tested)


RULES: tuple[Rule, ...] = (
    Rule(
        "str",
        re.compile(r'"[^"\n]*"|(?<![\w\'])\'[^\'\n]*\'(?![\w])'),
        """Pulling image "swr.example.com/pytorch:train" as 'root'""",
        "Pulling image <str> as <str>",
    ),
    Rule(
        "time",
        re.compile(
            r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
            r"(?:Z|[+-]\d{2}:?\d{2})?)?(?![\w])"
            r"|\b\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\b"
        ),
        "checkpoint at 2026-11-20T02:22:25.123+08:00, next 02:52:25",
        "checkpoint at <time>, next <time>",
    ),
    Rule(
        "uuid",
        re.compile(
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
        ),
        "job 3faf5c03-aaa1-4cbe-879d-24b05d997347 created",
        "job <uuid> created",
    ),
    Rule(
        "path",
        re.compile(
            r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>]+"  # obs://bucket/key, s3://..., https://...
            r"|(?<![\w/.:~<-])(?:~|\.{1,2})?(?:/[\w.@+~-]+)+/?"  # /a/b/c, ./x, ~/x
        ),
        "saved obs://runs/epoch-3.pt and /cache/ckpt/last.pt",
        "saved <path> and <path>",
    ),
    Rule(
        "ip",
        re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?![\w.])"),
        "assigned to 192.168.0.11, master at 10.0.0.2:29500",
        "assigned to <ip>, master at <ip>",
    ),
    Rule(
        "pod",
        # A Deployment's pod: <name>-<ReplicaSet hash>-<5 characters>, the
        # two generated parts from Kubernetes' alphabet, one holding a digit.
        re.compile(
            rf"(?<=[a-z0-9]-)(?=[a-z0-9]*\d|[a-z0-9]*-[a-z0-9]*\d){_K8S}{{5,10}}-{_K8S}{{5}}\b"
        ),
        "[Pod: trainer-5d8c7-x2k4q] Started container",
        "[Pod: trainer-<pod>] Started container",
    ),
    Rule(
        "hex",
        # 8 or more hex digits holding a digit and a letter (a pure number
        # is a number, a word of a-f is a word), or 0x and any.
        re.compile(r"\b0x[0-9a-fA-F]+\b|\b(?=[a-fA-F]*\d)(?=\d*[a-fA-F])[0-9a-fA-F]{8,}\b"),
        "commit 3faf5c03e1 at 0x7f3a",
        "commit <hex> at <hex>",
    ),
    Rule(
        "n",
        re.compile(
            rf"(?<![A-Za-z0-9_.])\d+(?:\.\d+)*(?:[eE][-+]?\d+)?(?:\s?{_UNITS}(?![A-Za-z0-9_])"
            r"|(?![A-Za-z0-9_]))"
        ),
        "[worker-3] step 200: loss=1.25e-3 took 12ms, 3.5GB of 61.2Gi (95%), fp16",
        "[worker-<n>] step <n>: loss=<n> took <n>, <n> of <n> (<n>), fp16",
    ),
)


@dataclass(frozen=True)
class Masked:
    """A message cut into its literal parts and the masked values between them.

    parts has one more item than kinds and values: parts[0] kinds[0]
    parts[1] ... kinds[-1] parts[-1].
    """

    parts: tuple[str, ...]
    kinds: tuple[str, ...]
    values: tuple[str, ...]

    @property
    def key(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """What two messages share when they differ only in masked values."""
        return self.parts, self.kinds

    @property
    def template(self) -> str:
        pieces = [self.parts[0]]
        for kind, part in zip(self.kinds, self.parts[1:], strict=True):
            pieces += [f"<{kind}>", part]
        return "".join(pieces)

    @property
    def pieces(self) -> list[tuple[str, str]]:
        """(literal, kind of the value after it or ""), for templates that style the slots."""
        return list(zip(self.parts, (*self.kinds, ""), strict=True))

    def longest_literal(self) -> str:
        """The longest unmasked run, trimmed: a substring of every message of the template.

        Taken after a leading "[Pod: ...]" or "[worker-N]" prefix when the
        rest has any words: the prefix is shared by many templates, so its
        text selects little even when it is the longest.
        """
        runs = list(self.parts)
        if runs[0].startswith("["):
            for n, part in enumerate(runs):
                if "]" in part:
                    rest = [part.split("]", 1)[1], *runs[n + 1 :]]
                    if any(_trim(run) for run in rest):
                        runs = rest
                    break
        return max((_trim(run) for run in runs), key=len, default="")


def _trim(part: str) -> str:
    # Trimming either end keeps it a substring; brackets and separators
    # left by masked values say nothing.
    return part.strip(" \t\n[](){}:;,=|")


def mask(message: str) -> Masked:
    """The message's template and the values masked out of it (see the module docstring)."""
    # Spans of the original text taken by a rule, as (start, end, kind).
    taken: list[tuple[int, int, str]] = []
    for rule in RULES:
        for match in rule.pattern.finditer(message):
            start, end = match.span()
            if start == end or any(s < end and start < e for s, e, _ in taken):
                continue
            taken.append((start, end, rule.name))
    taken.sort()
    parts, kinds, values = [], [], []
    at = 0
    for start, end, kind in taken:
        parts.append(message[at:start])
        kinds.append(kind)
        values.append(message[start:end])
        at = end
    parts.append(message[at:])
    return Masked(tuple(parts), tuple(kinds), tuple(values))


__all__ = ["RULES", "Masked", "Rule", "mask"]
