"""Masking: every rule of the table with its example, and what stays a literal."""

from __future__ import annotations

import pytest

from eventsui.timeline.masking import RULES, Rule, mask


@pytest.mark.parametrize("rule", RULES, ids=[rule.name for rule in RULES])
def test_every_rule_masks_its_own_example(rule: Rule) -> None:
    masked = mask(rule.example)

    assert masked.template == rule.masked
    assert rule.name in masked.kinds


@pytest.mark.parametrize(
    ("message", "template"),
    [
        # Numbers: ints, floats, exponents, with a unit (glued or spaced), percentages.
        ("step 100 of 200", "step <n> of <n>"),
        ("loss=0.0312 lr=2e-5", "loss=<n> lr=<n>"),
        (
            "took 12ms, then 3.5GB, then 1.3 GiB, then 94 s",
            "took <n>, then <n>, then <n>, then <n>",
        ),
        (
            "Memory usage is above 95% of the limit (61.2Gi).",
            "Memory usage is above <n> of the limit (<n>).",
        ),
        ("共 1281167 张图片", "共 <n> 张图片"),
        # The worker prefix: every worker's line is one template.
        ("[worker-3] Pre-check passed.", "[worker-<n>] Pre-check passed."),
        # Digits inside a word name a thing and stay.
        ("fp16 on ResNet50 with sha256 v2", "fp16 on ResNet50 with sha256 v2"),
        # Ids.
        ("job 3faf5c03-aaa1-4cbe-879d-24b05d997347", "job <uuid>"),
        ("modelarts-job-3faf5c03-worker-3", "modelarts-job-<hex>-worker-<n>"),
        ("pod web-7f9c6d5b48-x2k4q ready", "pod web-<pod> ready"),
        ("pod trainer-5d8c7-x2k4q ready", "pod trainer-<pod> ready"),
        ("address 0xdeadbeef", "address <hex>"),
        # A word of a to f letters and a long pure number are not hex.
        ("deadbeefcafe", "deadbeefcafe"),
        ("count 12345678", "count <n>"),
        # Addresses.
        ("to 192.168.0.11", "to <ip>"),
        ("master 10.0.0.2:29500 and port 29500", "master <ip> and port <n>"),
        # Paths and URLs.
        ("from /cache/data/train.bin", "from <path>"),
        ("to obs://bucket/key/x.pt and s3://b/k", "to <path> and <path>"),
        ("epoch 1/90 at 10 tokens/s", "epoch <n>/<n> at <n> tokens/s"),
        ("0/12 nodes are available", "<n>/<n> nodes are available"),
        # Quoted strings: one value, whatever they hold; apostrophes are not quotes.
        ("image \"swr.example.com/a:1\" and 'x y'", "image <str> and <str>"),
        ("can't won't", "can't won't"),
        # Times.
        ("at 2026-11-20 02:22:25", "at <time>"),
        ("at 2026-11-20T02:22:25Z on 2026-11-20", "at <time> on <time>"),
        ("at 02:22:25.5", "at <time>"),
        # Nothing to mask.
        ("Training job failed.", "Training job failed."),
        ("", ""),
    ],
)
def test_it_masks_variable_parts_and_keeps_words(message: str, template: str) -> None:
    assert mask(message).template == template


def test_the_values_are_what_was_masked_in_order_and_rebuild_the_message() -> None:
    message = "[worker-2] epoch 1/90 saved to obs://b/k in 12ms"

    masked = mask(message)

    assert masked.values == ("2", "1", "90", "obs://b/k", "12ms")
    assert masked.kinds == ("n", "n", "n", "path", "n")
    rebuilt = "".join(p + v for p, v in zip(masked.parts, (*masked.values, ""), strict=True))
    assert rebuilt == message


def test_messages_that_differ_only_in_masked_values_share_a_key() -> None:
    a = mask("[worker-0] NCCL communicator was aborted on rank 0.")
    b = mask("[worker-7] NCCL communicator was aborted on rank 7.")
    c = mask("[worker-7] NCCL communicator was closed on rank 7.")

    assert a.key == b.key
    assert a.key != c.key


def test_a_literal_that_looks_like_a_placeholder_is_not_one() -> None:
    assert mask("value <n> here").key != mask("value 5 here").key


@pytest.mark.parametrize(
    ("message", "literal"),
    [
        ("[worker-3] Training finished. Exit code 137.", "Training finished. Exit code"),
        ("[worker-1] step 10: loss=9.98 tokens/s=10123", "tokens/s"),
        ("12 34", ""),
        # After a shared prefix, though the prefix's text is longer.
        ('[Pod: modelarts-job-3faf5c03-worker-3] Pulling image "x"', "Pulling image"),
        ("[Pod: modelarts-job-3faf5c03-worker-3]", "Pod: modelarts-job-"),
    ],
)
def test_the_longest_literal_is_a_trimmed_substring_of_the_message(
    message: str, literal: str
) -> None:
    found = mask(message).longest_literal()

    assert found == literal
    assert found in message
