"""docs/快速上手.md runs as written: its commands, in order, in a fresh folder, with the folder
layout and the rules.yaml it describes; and the README sends a new admin there first."""
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from xltools.forms.config import Config, load_config

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "快速上手.md"


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)


def commands() -> list[str]:
    """Every command of the guide's sh blocks, in order, without its trailing comment."""
    lines = [line.split("  #")[0].strip() for block in blocks("sh") for line in block.splitlines()]
    return [line for line in lines if line]


@pytest.fixture
def shell(tmp_path):
    """Run a line as an admin would type it, with `xltools` on the PATH (this checkout's)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "xltools"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m xltools "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}
    work = tmp_path / "工作文件夹"
    work.mkdir()

    def run(line: str) -> subprocess.CompletedProcess:
        done = subprocess.run(["bash", "-c", line], cwd=work, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode in (0, 1) and "Traceback" not in done.stderr, (line, done.stdout, done.stderr)
        return done
    run.work = work
    return run


def test_the_quick_start_runs_as_written(shell):
    work = shell.work
    steps = commands()
    routine = steps.index(next(s for s in steps if s.startswith("xltools validate")))
    assert steps[routine:] == ["xltools validate 收件箱 --annotate 校验批注",
                               "xltools merge 收件箱 --targets 指标/销售指标.xlsx", "xltools rollup"]
    for line in steps[:routine]:                      # install check, the practice run, the templates
        shell(line)
    assert (work / "模板" / "销售表单合集.xlsx").exists()
    # The week's files, where §2 says they go: the practice run's reps and targets.
    (work / "练习" / "inbox").rename(work / "收件箱")
    (work / "指标").mkdir()
    (work / "练习" / "指标" / "销售指标.xlsx").rename(work / "指标" / "销售指标.xlsx")
    (work / "rules.yaml").write_text(blocks("yaml")[0], encoding="utf-8")
    outputs = [shell(line) for line in steps[routine:]]
    assert all("设置：使用" in done.stderr and "rules.yaml" in done.stderr for done in outputs)
    for name in ("xltools.db", "master.xlsx", "summary.xlsx"):
        assert (work / name).exists(), name
    assert list((work / "校验批注").rglob("*.xlsx"))
    with sqlite3.connect(work / "xltools.db") as db:           # the targets were merged with the inbox
        assert db.execute("SELECT count(*) FROM rows_targets").fetchone()[0] > 0
    assert openpyxl.load_workbook(work / "summary.xlsx", read_only=True).sheetnames


def test_the_guides_rules_yaml_lists_every_setting_with_its_default(tmp_path):
    [text] = blocks("yaml")
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_config(path) == Config()
    assert set(re.findall(r"^(\w+):", text, re.M)) == set(Config.__dataclass_fields__)


def test_install_and_activation_are_said_and_the_readme_starts_there():
    text = GUIDE.read_text(encoding="utf-8")
    assert "source .venv/bin/activate" in text and ".venv/bin/xltools" in text
    assert 'xltools = "xltools.cli:cli"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#]+)\)", readme)
    assert links[0] == "docs/快速上手.md"
    assert [link for link in links if not link.startswith("http") and not (ROOT / link).exists()] == []
    assert "SPEC" not in readme
