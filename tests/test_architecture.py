"""The house's plan holds: no module grows past the line limit (docs/architecture.md).

The layer contracts and the linter run in `make lint` (import-linter and ruff, configured in
pyproject.toml); this test keeps modules small enough to read in one sitting.
"""
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "xltools"
LIMIT = 400


def test_no_module_grows_past_the_line_limit():
    lines = {path.relative_to(PACKAGE).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
             for path in PACKAGE.rglob("*.py")}
    too_long = {name: n for name, n in lines.items() if n > LIMIT}
    assert too_long == {}, f"split these modules by job (limit {LIMIT} lines): {too_long}"
