# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""File channels: which names are safe, which files are ready to be picked up, how a
host key is pinned. Plain values in and out (no ORM, no network)."""

import base64
import hashlib
import re

# names a sender uses while a file is still being written (and ours: see temp_name)
TEMPORARY_SUFFIXES = (".part", ".tmp", ".filepart", ".partial", ".crdownload")
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+@=-]{0,199}$")
# what ``ready_names`` reads: (name, kind, size, mtime); kind: file, link, dir, other
KINDS = ("file", "link", "dir", "other")


def is_temporary(name):
    """A hidden or temporary name: a file still being written (rename rule)."""
    return name.startswith(".") or name.lower().endswith(TEMPORARY_SUFFIXES)


def check_name(name):
    """``name`` if it is a plain file name safe on any server (no folder, no '..',
    no hidden or temporary name), else ``ValueError`` saying why."""
    if not isinstance(name, str) or not SAFE_NAME.match(name) or ".." in name:
        raise ValueError(
            f"{name!r} is not a valid file name: use letters, digits, '.', '_', '-', '+', "
            "'@', '=' (at most 200, no folder, starting with a letter or digit)"
        )
    if is_temporary(name):
        raise ValueError(f"{name!r} is a temporary name (it ends like a file still being written)")
    return name


def ready_names(entries, min_age, now):
    """The names of ``entries`` (``(name, kind, size, mtime)``) to pick up, sorted:
    regular files and symbolic links (a link is refused by the pick-up job and
    moved to failed/, never followed), not hidden or temporary, unchanged for at
    least ``min_age`` seconds before ``now`` (still being written otherwise).
    Folders and other kinds are left alone."""
    names = []
    for name, kind, _size, mtime in entries:
        if kind not in ("file", "link") or is_temporary(name):
            continue
        if mtime is not None and mtime > now - min_age:
            continue
        names.append(name)
    return sorted(names)


def temp_name(name, token):
    """The hidden name an upload is written under before it is renamed into place."""
    return f".{name}.{token}.part"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def key_fingerprint(key_bytes):
    """OpenSSH's fingerprint of a public key blob: ``SHA256:<base64, no padding>``."""
    digest = hashlib.sha256(key_bytes).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def parse_pinned_key(text):
    """The pinned host key as typed by an administrator: an OpenSSH public key line
    (``ssh-ed25519 AAAA...``, as in known_hosts, with or without the host name in
    front) or its fingerprint (``SHA256:...``). Returns the fingerprint;
    ``ValueError`` when it is neither."""
    text = (text or "").strip()
    if not text:
        raise ValueError("no host key is pinned")
    if text.startswith("SHA256:") and len(text.split()) == 1:
        return text
    parts = text.split()
    for index, part in enumerate(parts[:-1]):
        if part.startswith(("ssh-", "ecdsa-", "sk-")):
            try:
                blob = base64.b64decode(parts[index + 1], validate=True)
            except ValueError:
                break
            return key_fingerprint(blob)
    raise ValueError(
        "the pinned host key is neither an OpenSSH public key line ('ssh-ed25519 AAAA...') "
        "nor a fingerprint ('SHA256:...')"
    )
