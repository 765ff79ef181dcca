"""What a run was made with: package versions and the lab's git commit, for the report's
"reproduce" block. Never raises: a missing git or package is an empty string."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

__all__ = ["git_commit", "versions"]

_ROOT = Path(__file__).resolve().parents[2]
_PACKAGES = ("llm-chaos-lab", "litestar", "granian", "openai", "anthropic", "locust", "redis")


def versions() -> dict[str, str]:
    """Python's and the key packages' versions."""
    found = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def git_commit() -> str:
    """The commit of the lab's own checkout (not the working directory's), with ``-dirty``
    when it has uncommitted changes; empty outside a git checkout."""
    try:
        head = subprocess.run(
            ["git", "-C", str(_ROOT), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return ""
    return f"{head}-dirty" if dirty else head
