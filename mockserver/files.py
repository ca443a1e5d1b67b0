"""Files the command line writes (`control export -o`, the contract kit's JUnit XML and reports), all through one
helper: written whole or not at all.

`write_atomic` writes a temporary file in the target's folder, fsyncs it, and renames it over the target: a kill
mid-write or a full disk leaves the previous file as it was (and no temporary file behind). Its errors are
`CannotWrite`, whose message names the file and the reason (`cannot write snapshot.yaml: No space left on device`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


class CannotWrite(Exception):
    """A file could not be written; the target is untouched. `str()` is the message to print."""

    def __init__(self, path: Path, error: OSError) -> None:
        self.path, self.reason = path, error.strerror or str(error) or type(error).__name__
        super().__init__(f"cannot write {path}: {self.reason}")


def write_atomic(path: Path, data: bytes | str, *, encoding: str = "utf-8") -> int:
    """Write `data` to `path` (creating its folder), replacing it only once the whole is on disk. Returns the
    number of bytes written. Raises `CannotWrite`."""
    payload = data.encode(encoding) if isinstance(data, str) else data
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise CannotWrite(path, error) from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        _keep_mode(path, temporary)
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise CannotWrite(path, error) from None
    _sync_folder(folder)
    return len(payload)


def _keep_mode(path: Path, temporary: str) -> None:
    """mkstemp makes 0600 files: give the new file the old one's mode, or 0644 (reading the umask would change
    it, process-wide, for a moment)."""
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        mode = 0o644
    os.chmod(temporary, mode)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (where the platform allows opening a folder)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
