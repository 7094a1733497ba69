"""Fixtures shared by the test modules."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, str(ROOT))

from xltools.forms.schema import load_schema  # noqa: E402


def pytest_collection_modifyitems(items):
    """Tests that start LibreOffice are slow: `pytest -m "not slow"` leaves them out."""
    for item in items:
        if item.get_closest_marker("libreoffice"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def schema():
    return load_schema()


def require_tool(name: str) -> str:
    """The tool's path; skip when it is missing, but fail on CI, where it must be installed."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not on PATH"
        if os.environ.get("CI"):
            pytest.fail(message + " (required on CI)")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def libreoffice(tmp_path_factory):
    """convert(files, fmt, out_dir) -> converted paths, with one soffice call for all files.

    A private LibreOffice profile per test session keeps parallel runs from clashing
    over the user's profile lock.
    """
    soffice = require_tool("soffice")
    profile = tmp_path_factory.mktemp("lo_profile")

    def convert(files, fmt: str, out_dir: Path) -> list[Path]:
        files = [Path(f) for f in files]
        cmd = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--convert-to", fmt, "--outdir", str(out_dir), *map(str, files)]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        outputs = [out_dir / f"{f.stem}.{fmt.split(':')[0]}" for f in files]
        missing = [p.name for p in outputs if not p.exists()]
        assert not missing, f"soffice did not write {missing}: {done.stdout}\n{done.stderr}"
        return outputs

    return convert
