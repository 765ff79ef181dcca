"""``python -m fakes.llm openai|anthropic --port P [--host H] [--seed N] [--faults FILE]``."""

from __future__ import annotations

from fakes.llm.cli import fake

__all__: list[str] = []

if __name__ == "__main__":
    fake(prog_name="python -m fakes.llm")
