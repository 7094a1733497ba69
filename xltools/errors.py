"""The failures a user can cause or meet, each one sentence in Chinese and English.

Everything the command line and the Excel buttons report goes through ``UserError``: the CLI
prints ``message(lang)`` and exits with ``exit_code`` (1 runtime, 2 usage); a button shows the
same sentence in its message box. ``from_os_error`` names the common file-system faults.
"""
from __future__ import annotations

import errno
from collections.abc import Callable, Iterable
from pathlib import Path

from xltools.text import Text


class UserError(RuntimeError):
    """A failure said in plain words, naming the path or (masked) URL concerned."""

    exit_code = 1

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.text = Text(zh, en)
        self.zh, self.en = zh, en

    def message(self, lang: str = "zh") -> str:
        return self.text(lang)


class UsageError(UserError):
    """The command was asked something it must refuse (a bad --config, an output over an input)."""

    exit_code = 2


class SomeNotWritten(UserError):
    """Some outputs of a batch could not be written; the others were (``written``)."""

    def __init__(self, what: Text, failures: list[tuple[Path, Text]], written: list[Path]):
        path, why = failures[0]
        more = _AND_MORE.format(n=len(failures) - 1) if len(failures) > 1 else Text("", "")
        said = _NOT_WRITTEN.format(what=what, path=path, more=more, why=why)
        super().__init__(said.zh, said.en)
        self.written = written


_NOT_WRITTEN = Text("未能写入{what} {path}{more}：{why}", "Could not write the {what} {path}{more}: {why}")
_AND_MORE = Text("（另有 {n} 个）", " (and {n} more)")


def write_each(jobs: Iterable[tuple[Path, Callable[[], object]]], what: Text) -> list[Path]:
    """Run each (target, write) job; one that fails never stops the others.

    :raises SomeNotWritten: after every other output was written, when some could not be.
    """
    written, failures = [], []
    for target, write in jobs:
        try:
            write()
            written.append(target)
        except Exception as exc:  # noqa: BLE001 - one bad output never stops the batch
            said = exc if isinstance(exc, UserError) else from_os_error(exc, target) if isinstance(exc, OSError) else None
            technical = f"{type(exc).__name__}: {exc}"
            failures.append((target, said.text if said else Text(technical, technical)))
    if failures:
        raise SomeNotWritten(what, failures, written)
    return written


def permission_denied(path) -> UserError:
    return UserError(f"没有权限访问 {path}：请让管理员给你读写权限，或换一个文件夹。",
                     f"Permission denied: {path}. Ask for read/write rights there or use another folder.")


def missing_folder(path) -> UserError:
    return UserError(f"文件夹不存在：{path}。请检查路径。", f"No such file or folder: {path}. Check the path.")


def disk_full(path) -> UserError:
    return UserError(f"磁盘已满，无法写入 {path}（原有文件保持不变）。请腾出空间后重试。",
                     f"The disk is full: {path} was not written (the old file is intact). Free some space and retry.")


def store_corrupt(path) -> UserError:
    return UserError(f"{path} 不是 xltools 数据库或已损坏，未作任何改动。请检查 --store 是否指错文件，或从备份恢复。",
                     f"{path} is not an xltools store or is damaged; nothing was changed. "
                     "Check --store names the right file, or restore it from a backup.")


def store_too_new(path, version: int) -> UserError:
    return UserError(f"{path} 由更新版本的 xltools 写入（库版本 {version}），未作任何改动。请升级 xltools。",
                     f"{path} was written by a newer xltools (store v{version}); nothing was changed. "
                     "Upgrade xltools.")


def store_outdated(path) -> UserError:
    return UserError(f"{path} 需要升级：请先运行一次 xltools merge。",
                     f"{path} needs upgrading: run xltools merge once first.")


def server_gone(url, detail: str = "") -> UserError:
    tail = Text("（{detail}）", " ({detail})").format(detail=detail) if detail else Text("", "")
    return UserError(f"与数据库服务器 {url} 的连接中断{tail.zh}：本次运行未写入任何内容，请稍后重试。",
                     f"Lost the connection to the store server {url}{tail.en}: this run wrote nothing. Retry later.")


def refuse_inside(option: str, output: Path, folders) -> None:
    """A usage error when an output would be written into a folder being read: it would land
    among (or over) the reps' files and be read back as one of them next time."""
    for folder in folders:
        if Path(output).resolve().is_relative_to(Path(folder).resolve()):
            raise UsageError(f"{option} {output} 在正在读取的收件箱 {folder} 里，会覆盖或混入销售的文件。请换一个位置。",
                             f"{option} {output} is inside the inbox being read ({folder}): it would overwrite or "
                             "mix with the reps' files. Choose another place.")


_OS_ERRORS = {errno.EACCES: permission_denied, errno.EPERM: permission_denied, errno.EROFS: permission_denied,
              errno.ENOENT: missing_folder, errno.ENOTDIR: missing_folder,
              errno.ENOSPC: disk_full, errno.EDQUOT: disk_full}


def from_os_error(exc: OSError, path=None) -> UserError | None:
    """The user's sentence for a file-system fault, or None for one we have no words for."""
    make = _OS_ERRORS.get(exc.errno)
    return make(path or exc.filename or "?") if make else None


def escape_controls(text: str) -> str:
    """Control characters as their visible Unicode symbols (ESC as ␛), so text cannot drive a terminal."""
    return text.translate(_CONTROL_PICTURES)


# C0 controls but tab as their pictures (a line break inside a value stays in its line); C1 as \\x9b.
_CONTROL_PICTURES = ({c: 0x2400 + c for c in range(0x20) if c != 0x09} | {0x7F: 0x2421}
                     | {c: f"\\x{c:02x}" for c in range(0x80, 0xA0)})
