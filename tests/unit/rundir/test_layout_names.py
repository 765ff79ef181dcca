"""Every path name of a stack or run directory is spelled once, in ``rundir/layout.py``:
no other module of the lab writes one as a literal."""

from __future__ import annotations

import ast
import fnmatch
from pathlib import Path

import pytest

from rundir import layout

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("chaoslab", "lab", "reports", "scenarios", "loadtests", "rundir")

FILE_NAMES = {
    value
    for name, value in vars(layout).items()
    if name.isupper() and isinstance(value, str) and ("." in value or "-" in value)
} | set(layout.REPORT_FILES.values())
"""Names that are a file's and nothing else (``stack.json``, ``stop-at``): wrong anywhere."""
DIR_NAMES = {
    value
    for name, value in vars(layout).items()
    if name.isupper() and isinstance(value, str) and value not in FILE_NAMES
}
"""Folder names that are also plain words (``load``, ``prom``): wrong as a path part only."""
TEMPLATES = ("requests-*.jsonl", "locust-worker-*.log", "*-runner.json", "*.jsonl")
"""f-string file names the layout builds (``f"requests-{worker}.jsonl"``)."""


def _sources() -> list[Path]:
    files = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
    return [p for p in files if p != ROOT / "rundir" / "layout.py"]


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
        if isinstance(node, ast.Module | ast.ClassDef):  # attribute docstrings
            for before, after in zip(node.body, node.body[1:], strict=False):
                if isinstance(before, ast.Assign | ast.AnnAssign) and isinstance(after, ast.Expr):
                    found.add(id(after.value))
    return found


def _path_parts(node: ast.AST) -> list[ast.AST]:
    """The operands of ``a / b`` chains, and the arguments of ``joinpath``/``glob``."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return [node.left, node.right]
    path_methods = {"joinpath", "glob", "rglob", "with_name"}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return list(node.args) if node.func.attr in path_methods else []
    return []


def _template(node: ast.JoinedStr) -> str:
    return "".join(v.value if isinstance(v, ast.Constant) else "*" for v in node.values)


def spelled(path: Path) -> list[str]:
    """Every place ``path`` spells a layout name itself."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            words = set(node.value.replace("\\", "/").split("/"))
            if words & FILE_NAMES:
                out.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
        for part in _path_parts(node):
            if isinstance(part, ast.Constant) and set(str(part.value).split("/")) & DIR_NAMES:
                out.append(f"{path.relative_to(ROOT)}:{part.lineno}: {part.value!r}")
            if isinstance(part, ast.JoinedStr):
                text = _template(part)
                if any(fnmatch.fnmatchcase(t, text) or t == text for t in TEMPLATES):
                    out.append(f"{path.relative_to(ROOT)}:{part.lineno}: f{text!r}")
    return out


def test_no_module_but_the_layout_spells_a_stack_or_run_path() -> None:
    """Stack-directory and run-directory names come from ``rundir.layout``, nowhere else."""
    found = [line for source in _sources() for line in spelled(source)]
    assert found == [], "spell these through rundir.layout:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "code",
    [
        'p = run_dir / "stack.json"',
        'p = run_dir / "load" / x',
        'p = Path(d, "load/stats.json")',
        'p = run_dir / "load" / f"requests-{worker}.jsonl"',
        'STOP = "stop-at"',
    ],
)
def test_the_scan_finds_a_spelled_name(tmp_path: Path, code: str) -> None:
    """The scan is not blind: each way of spelling a layout name is found."""
    source = ROOT / "rundir" / "_probe_for_test.py"
    try:
        source.write_text(code + "\n", encoding="utf-8")
        assert spelled(source)
    finally:
        source.unlink(missing_ok=True)
