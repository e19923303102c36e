from __future__ import annotations

import json
import shutil
from collections.abc import Callable

import pytest

from demo import catalogue


@pytest.fixture
def edit(tmp_path, monkeypatch) -> Callable:
    """Edit a copy of the demo data files, which the seeders then read."""
    copy = tmp_path / "data"
    shutil.copytree(catalogue.DATA_DIR, copy)
    monkeypatch.setattr(catalogue, "DATA_DIR", copy)

    def change(name: str, how: Callable) -> None:
        path = copy / f"{name}.json"
        content = json.loads(path.read_text(encoding="utf-8"))
        how(content)  # changes it in place
        path.write_text(json.dumps(content), encoding="utf-8")

    return change
