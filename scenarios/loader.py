"""Load and validate scenario files: a bad file is ONE line naming file, line and key.

``load_scenario("provider-outage")`` or ``load_scenario(Path("my.toml"))`` returns a
``Scenario``; ``ScenarioError`` otherwise, whose message reads like::

    scenarios/my.toml:12: faults[1].target: 'provider-x' is not a role (store, cache, ...)
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import msgspec

from scenarios.model import Scenario, dec_hook

__all__ = [
    "SCENARIO_DIR",
    "ScenarioError",
    "ScenarioFile",
    "find_scenario",
    "list_scenarios",
    "load_scenario",
]

SCENARIO_DIR = Path(__file__).resolve().parent
"""Where the shipped scenarios live (``scenarios/*.toml``)."""


class ScenarioError(ValueError):
    """A scenario cannot be found or does not validate; the message is one line."""


@dataclass(frozen=True, slots=True)
class ScenarioFile:
    """A scenario and where it came from."""

    name: str
    path: Path
    scenario: Scenario


def list_scenarios(directory: Path = SCENARIO_DIR) -> list[str]:
    """Names of the scenarios in ``directory`` (file stems), sorted."""
    return sorted(path.stem for path in directory.glob("*.toml"))


def find_scenario(name_or_path: str | Path, directory: Path = SCENARIO_DIR) -> Path:
    """A shipped scenario's path by name, or the given file."""
    text = str(name_or_path)
    if text.endswith(".toml") or "/" in text:
        path = Path(text)
        if not path.is_file():
            raise ScenarioError(f"{path}: no such scenario file")
        return path
    path = directory / f"{text}.toml"
    if not path.is_file():
        names = ", ".join(list_scenarios(directory))
        raise ScenarioError(f"no scenario named {text!r}; choose one of: {names}")
    return path


def load_scenario(name_or_path: str | Path, directory: Path = SCENARIO_DIR) -> ScenarioFile:
    """Read, parse and validate one scenario."""
    path = find_scenario(name_or_path, directory)
    shown = _shown(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(f"{shown}: cannot read ({error})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = re.search(r"\(at line (\d+), column \d+\)", message)
        line = match.group(1) if match else "1"
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        raise ScenarioError(f"{shown}:{line}: not valid TOML: {reason}") from None
    try:
        scenario = msgspec.convert(data, Scenario, dec_hook=dec_hook)
    except msgspec.ValidationError as error:
        raise ScenarioError(_validation_line(shown, text, str(error))) from None
    return ScenarioFile(name=path.stem, path=path, scenario=scenario)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


_AT = re.compile(r"^(?P<reason>.*?)(?: - at `(?P<path>\$[^`]*)`)?$", re.DOTALL)


def _validation_line(shown: str, text: str, message: str) -> str:
    match = _AT.match(message)
    assert match is not None  # the pattern matches any string
    reason = " ".join(match.group("reason").split())
    path = match.group("path") or "$"
    unknown = re.fullmatch(r"Object contains unknown field `([^`]+)`", reason)
    missing = re.fullmatch(r"Object missing required field `([^`]+)`", reason)
    sub = re.match(r"^([A-Za-z_][\w.\[\]]*): (.*)$", reason)
    if unknown:
        path, reason = f"{path}.{unknown.group(1)}", "unknown key (a typo?)"
    elif missing:
        path, reason = f"{path}.{missing.group(1)}", "missing (required)"
    elif sub:
        path, reason = f"{path}.{sub.group(1)}", sub.group(2)
    if "matching regex" in reason and path.endswith(".target"):
        reason = (
            "not a role: use store, cache, load-balancer, primary-provider, provider:N, "
            "provider:NAME, replica:any, replica:all, replica:N or region:X"
        )
    if "matching regex" in reason and path.endswith(".name"):
        reason = "an identifier: letters, digits, _ . - (64 at most), e.g. 'outage'"
    dotted = path.removeprefix("$").removeprefix(".") or "(top level)"
    return f"{shown}:{locate(text, path)}: {dotted}: {reason}"


_SEGMENT = re.compile(r"\.([A-Za-z0-9_-]+)|\[(\d+)\]")


def locate(text: str, path: str) -> int:
    """The line a msgspec path like ``$.faults[1].target`` most likely points at.

    Walks the path over the TOML text: a key is the next ``key =`` line (or ``[key]``/
    ``[[key]]`` header) after the current position; an index picks the n-th ``[[array]]``
    header. Falls back to the deepest position found (TOML files are small and flat)."""
    lines = text.splitlines()
    position = 0
    table = ""
    last_key = ""
    for match in _SEGMENT.finditer(path):
        key, index = match.group(1), match.group(2)
        if key is not None:
            last_key = key
            header = re.compile(rf"^\s*\[\[?\s*{re.escape(_join(table, key))}\s*\]\]?\s*$")
            assign = re.compile(rf"^\s*{re.escape(key)}\s*=")
            inline = re.compile(rf"[{{,]\s*{re.escape(key)}\s*=")
            found = _first(lines, position, header) or _first(lines, position, assign)
            found = found if found is not None else _first(lines, position, inline)
            if found is not None:
                position = found
            table = _join(table, key)
        elif index is not None and last_key:
            header = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]\s*$")
            hits = [n for n in range(len(lines)) if header.match(lines[n])]
            if int(index) < len(hits):
                position = hits[int(index)]
    return position + 1


def _join(table: str, key: str) -> str:
    return f"{table}.{key}" if table else key


def _first(lines: list[str], start: int, pattern: re.Pattern[str]) -> int | None:
    for number in range(start, len(lines)):
        if pattern.search(lines[number]):
            return number
    return None
