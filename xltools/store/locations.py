"""Where a store is: a file path or a database URL, named on the command line or in a setting,
shown without its password, and found beside the inbox when nobody names one."""
from __future__ import annotations

import os
import re
from pathlib import Path

STORE_FILE = "xltools.db"


def is_url(location: str | Path | None) -> bool:
    """True for a database URL (``postgresql://...``), False for a file path."""
    return location is not None and not isinstance(location, Path) and "://" in str(location)


def mask_url(url: str) -> str:
    """The URL with its password replaced by ``***``, for anything printed, logged or written."""
    scheme, sep, rest = url.partition("://")
    before_query, question, query = rest.partition("?")
    # The last "@" before the query ends the user part, even when the password holds an unescaped "/" or "@".
    userinfo, at, host = before_query.rpartition("@")
    if at and ":" in userinfo:
        before_query = userinfo.split(":", 1)[0] + ":***@" + host
    query = re.sub(r"(?i)(^|&)(password=)[^&]*", r"\1\2***", query)
    return scheme + sep + before_query + question + query


def safe_location(location: str | Path) -> str | Path:
    """What to show for a store: a path as it is, a URL without its password."""
    return mask_url(str(location)) if is_url(location) else location


def resolve_location(text: str, base: Path) -> str | Path:
    """A store named in a setting (the 设置 sheet, a config file): a URL as it is, a path
    relative to ``base`` (the workbook's folder)."""
    text = text.strip().strip('"')
    return text if is_url(text) else resolve_path(text, base)


def resolve_path(text: str, base: Path) -> Path:
    """A file or folder named in a setting: ``~`` and ``%VARS%``/``$VARS`` expanded, relative to ``base``."""
    path = Path(os.path.expandvars(os.path.expanduser(text.strip().strip('"'))))
    return path if path.is_absolute() else base / path


def default_store(inboxes: list[Path]) -> Path:
    """xltools.db beside the (first) inbox folder. For a file given alone, the inbox is the
    innermost folder around it with a store beside it, else the file's own folder."""
    first = inboxes[0].resolve()
    if first.is_dir():
        return first.parent / STORE_FILE
    stores = [folder.parent / STORE_FILE for folder in first.parents if folder != folder.parent]
    return next((store for store in stores if store.is_file()), first.parent.parent / STORE_FILE)
