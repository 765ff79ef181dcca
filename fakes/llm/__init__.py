"""Fake OpenAI- and Anthropic-compatible LLM providers with a runtime fault API.

Modules: ``app`` (``FakeApp``, the granian RSGI app), ``faults`` (``FaultConfig``),
``client`` (``FakeAdmin``, a client of the admin API), ``serve`` (run one with granian),
``cli`` (the ``fake`` command). The lab runs one as ``lab.servers.FakeLLMServer``.
Run one with ``python -m fakes.llm openai --port 9001``. Names below load lazily, so importing
``fakes.llm.client`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["FakeAdmin", "FakeApp", "FaultConfig"]

_LAZY = {
    "FakeAdmin": "fakes.llm.client",
    "FakeApp": "fakes.llm.app",
    "FaultConfig": "fakes.llm.faults",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fakes.llm' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
