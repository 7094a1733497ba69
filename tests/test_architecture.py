"""The house's plan holds: no module grows past the line limit (docs/architecture.md).

The layer contracts and the linter run in `make lint` (import-linter and ruff, configured in
pyproject.toml); this test keeps modules small enough to read in one sitting.
"""
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "xltools"
LIMIT = 400

# Modules still over the limit, each at most its size when the limit came in: the list may only
# shrink. Split a module by job (see docs/architecture.md) and remove its line here.
NOT_YET_SPLIT: dict[str, int] = {}


def _lines() -> dict[str, int]:
    return {path.relative_to(PACKAGE).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
            for path in PACKAGE.rglob("*.py")}


def test_no_module_grows_past_the_line_limit():
    lines = _lines()
    too_long = {name: n for name, n in lines.items() if n > NOT_YET_SPLIT.get(name, LIMIT)}
    assert too_long == {}, f"split these modules by job (limit {LIMIT} lines): {too_long}"


def test_the_list_of_modules_not_yet_split_is_current():
    lines = _lines()
    done = sorted(name for name, ceiling in NOT_YET_SPLIT.items() if lines.get(name, 0) <= LIMIT)
    assert done == [], f"now within {LIMIT} lines (or gone): remove from NOT_YET_SPLIT: {done}"
