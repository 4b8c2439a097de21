"""Typographic rules: small pure str -> str functions applied in order.

Correct typography already present is left as it is.
"""
from __future__ import annotations

import re

RULES = []


def rule(fn):
    RULES.append(fn)
    return fn


@rule
def ellipses(text: str) -> str:
    return re.sub(r"(?<!\.)\.\.\.(?!\.)", "…", text)


@rule
def em_dashes(text: str) -> str:
    text = re.sub(r"(?<=\w)--(?=\w)", "—", text)
    return re.sub(r" -- ", " — ", text)


@rule
def double_quotes(text: str) -> str:
    text = re.sub(r'(^|[\s(\[—])"', r"\1“", text, flags=re.M)
    return text.replace('"', "”")


@rule
def single_quotes(text: str) -> str:
    text = re.sub(r"(^|[\s(\[—“])'(?=\w)", r"\1‘", text, flags=re.M)
    return text.replace("'", "’")


def apply(text: str) -> str:
    for fn in RULES:
        text = fn(text)
    return text


def run(draft):
    # Fenced-div markers and other syntax lines are left alone.
    lines = draft.text.split("\n")
    draft.text = "\n".join(ln if ln.startswith(":::") else apply(ln) for ln in lines)
    return draft
