"""The Python version the docs and metadata promise for the Excel buttons is the one xlwings needs."""
from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
try:
    metadata("xlwings")
except PackageNotFoundError:
    pytest.skip("needs the live extra: pip install 'xltools[live]'", allow_module_level=True)


def _minimum(spec: str) -> tuple[int, int]:
    found = re.search(r">=\s*(\d+)\.(\d+)", spec)
    assert found, spec
    return int(found.group(1)), int(found.group(2))


def _documented(text: str, pattern: str) -> tuple[int, int]:
    found = re.search(pattern, text)
    assert found, pattern
    return int(found.group(1)), int(found.group(2))


def test_documented_minimum_for_the_live_extra_is_what_the_pinned_xlwings_declares():
    xlwings_needs = _minimum(metadata("xlwings")["Requires-Python"])
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    live = tomllib.loads(pyproject)["project"]["optional-dependencies"]["live"]
    assert live == [f"xlwings=={metadata('xlwings')['Version']}"]          # the pinned one is the installed one
    live_line = next(line for line in pyproject.splitlines() if line.startswith("live ="))
    assert _documented(live_line, r"Python >= (\d+)\.(\d+)") == xlwings_needs
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert _documented(readme, r"with Python ≥ (\d+)\.(\d+) and `make`") == xlwings_needs
    assert _documented(readme, r"'\.\[live\]'`, which needs Python ≥ (\d+)\.(\d+)") == xlwings_needs
    excel = (ROOT / "docs" / "excel.md").read_text(encoding="utf-8")
    assert _documented(excel, r"Install Python (\d+)\.(\d+) or newer") == xlwings_needs
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert _documented(makefile, r"sys\.version_info < \((\d+), (\d+)\)") == xlwings_needs


def test_the_core_package_still_declares_its_own_minimum():
    core = _minimum(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"])
    assert core <= _minimum(metadata("xlwings")["Requires-Python"])
