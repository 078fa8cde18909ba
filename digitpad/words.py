"""Counted words in messages, so that every one says "1 correction" and "2 corrections"."""

from __future__ import annotations


def plural(count: object, word: str) -> str:
    """``count word``, with an ``s`` unless the count is one."""
    return f"{count} {word}" + ("" if count == 1 else "s")
