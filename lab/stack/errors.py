"""The stack's one error type."""

from __future__ import annotations

__all__ = ["StackError"]


class StackError(RuntimeError):
    """The stack cannot start, be found or be controlled; the message is one line saying
    what is wrong and how to fix it (the CLI prints it and exits 2)."""
