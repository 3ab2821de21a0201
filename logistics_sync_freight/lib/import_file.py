# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Carrier invoice files of an endpoint's folder: which are ready, reading one
safely. Plain values in and out (no ORM)."""

import os
import stat


class ImportFileError(Exception):
    """The file cannot be imported as it is (not a regular file, too large, unreadable)."""


def waiting_files(folder, min_age, now):
    """Names of the CSV entries of ``folder`` ready for import, sorted: files and
    symbolic links (a link is refused by the import, and moved aside), left alone
    while modified less than ``min_age`` seconds before ``now`` (still being
    uploaded); folders never. None when the folder does not exist."""
    if not folder or not os.path.isdir(folder):
        return []
    names = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if not entry.name.lower().endswith(".csv") or entry.is_dir(follow_symlinks=False):
                continue
            if entry.stat(follow_symlinks=False).st_mtime > now - min_age:
                continue
            names.append(entry.name)
    return sorted(names)


def read_regular_file(path, max_bytes):
    """The bytes of ``path``, a regular file of at most ``max_bytes``; never through
    a symbolic link (``O_NOFOLLOW``), never blocking on a pipe."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        if os.path.islink(path):
            raise ImportFileError("a symbolic link, not a regular file") from error
        raise ImportFileError(f"cannot be opened: {error.strerror}") from error
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ImportFileError("not a regular file")
        if info.st_size > max_bytes:
            raise ImportFileError(
                f"{info.st_size} bytes, larger than the limit of {max_bytes} bytes"
            )
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImportFileError(f"larger than the limit of {max_bytes} bytes")
    return data
