"""``chaoslab fake``: serve a fake LLM provider (the command lives with the fakes)."""

from __future__ import annotations

from fakes.llm.cli import fake

__all__ = ["fake"]
