"""Workbooks encrypted with Excel's built-in default password, which reps do not know they use.

Excel encrypts workbooks protected against structure changes or marked read-only-recommended with
this password and opens them without asking. Any other password is the rep's to remove.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

DEFAULT_PASSWORD = "VelvetSweatshop"


def decrypted(path: Path) -> io.BytesIO | None:
    """The workbook inside an encrypted file when Excel's built-in default password opens it, else None."""
    import msoffcrypto

    try:
        with open(path, "rb") as fh:
            office = msoffcrypto.OfficeFile(fh)
            office.load_key(password=DEFAULT_PASSWORD, verify_password=True)
            package = io.BytesIO()
            office.decrypt(package)
    except Exception:  # noqa: BLE001 - a real password, or an encryption msoffcrypto-tool does not know
        return None
    # A wrong key that escaped verification decrypts to noise, not to a zip.
    if not zipfile.is_zipfile(package):
        return None
    package.seek(0)
    return package
