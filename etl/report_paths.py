"""Where the report of an import is written: next to the input when that folder is writable, else under the
data folder (``FENGQIAO_DATA_DIR``/reports), so a file read from a read-only share still gets its report."""

from __future__ import annotations

import os
from pathlib import Path

from geo.db import data_dir


def report_path(source: Path, suffix: str, chosen: Path | None = None) -> Path:
    """``chosen`` when the user named one; else ``<stem>_<suffix>`` beside ``source`` or in the data folder."""
    if chosen is not None:
        return chosen
    name = f"{source.stem}_{suffix}"
    folder = source.resolve().parent
    if os.access(folder, os.W_OK | os.X_OK):
        return folder / name
    fallback = data_dir() / "reports"
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback / name
