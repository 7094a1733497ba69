"""Where a merge keeps things: the store and the master beside the inbox, and which inbox a file belongs to."""
from __future__ import annotations

from pathlib import Path

from xltools.ingest.inbox import FileResult
from xltools.store.locations import default_store, is_url


def default_master(store: str | Path, inboxes: list[Path]) -> Path:
    """master.xlsx beside the store file; beside the inbox when the store is on a server."""
    return (default_store(inboxes) if is_url(store) else Path(store)).with_name("master.xlsx")


def inbox_key(path: Path) -> str:
    """How the store names an inbox folder."""
    return Path(path).resolve().as_posix()


def home_inbox(inboxes: set[Path], file: Path) -> Path:
    """A file merged alone belongs to the innermost inbox folder it lies in, as a merge of that
    folder would store it (so the two update one record); else to its own folder."""
    file = file.resolve()
    return max((p for p in inboxes if p in file.parents), key=lambda p: len(p.parts), default=file.parent)


def root_of(f: FileResult) -> Path | None:
    """The inbox folder a file was found in (None: given alone)."""
    return f.root.resolve() if f.root else None
