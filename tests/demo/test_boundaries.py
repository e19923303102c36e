"""The demo app depends on the product; the product never depends on it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_APPS = ("crm", "partners", "pledges", "reports", "accounts")


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for each import in a file, ``import_module("...")`` too."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", ""))
            in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def test_no_product_app_imports_the_demo_app():
    files = [
        path for app in PRODUCT_APPS for path in sorted((ROOT / app).rglob("*.py"))
    ]
    assert len(files) > 50  # the product's modules were found and read
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in files
        for line, name in imported_modules(path)
        if name == "demo" or name.startswith("demo.")
    ]
    assert offenders == []


def test_seed_demo_and_demo_user_are_commands_of_the_demo_app():
    commands = get_commands()
    assert commands["seed_demo"] == "demo"
    assert commands["demo_user"] == "demo"
