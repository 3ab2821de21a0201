# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Where an endpoint's files are: a local folder or an SFTP server (paramiko).

Plain Python, no ORM: a transport lists a folder, downloads one file (a regular file,
never through a symbolic link, at most ``max_bytes``), moves a file into a
subfolder (``processed/``, ``failed/``), and uploads atomically (a hidden temporary
name, then a rename into place). Errors say what to do next
(``adapters/errors.py``): ``TransientFileError`` (connection refused or cut,
timeout: try again), ``PermanentFileError`` (host key, authentication, permission:
trying again will not help), ``FileRefused`` (this file cannot be taken as it is),
``FileGone`` (no longer there). Messages never hold a secret.
"""

import errno
import io
import logging
import os
import posixpath
import socket
import stat

from ..lib import files
from .errors import PermanentOutboundError, TransientOutboundError

_logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30
# paramiko's transport thread logs a connection the server drops as an ERROR; here
# that is an expected, retried condition, reported by the exception it raises
TRANSPORT_LOG = f"{__name__}.paramiko"


class _TransportLogLevel(logging.Filter):
    """paramiko's transport errors as INFO (the caller sees and retries them)."""

    def filter(self, record):
        if record.levelno > logging.INFO:
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


logging.getLogger(TRANSPORT_LOG).addFilter(_TransportLogLevel())
# its per-connection INFO lines (connected, authenticated) are noise in Odoo's log
logging.getLogger(TRANSPORT_LOG).setLevel(logging.WARNING)


class TransientFileError(TransientOutboundError):
    """The server could not be reached or the connection broke: try again."""


class PermanentFileError(PermanentOutboundError):
    """Trying again will not help (host key, credentials, permission, missing folder)."""


class FileRefused(PermanentFileError):
    """This file cannot be taken as it is (a link, not a regular file, too large)."""


class FileGone(PermanentFileError):
    """The file is no longer where it was listed."""


def _kind(mode):
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    return "other"


def _check_size(size, max_bytes):
    if size is not None and size > max_bytes:
        raise FileRefused(f"{size} bytes, larger than the limit of {max_bytes} bytes")


class FolderTransport:
    """A folder of the Odoo server's file system."""

    def __init__(self, timeout=DEFAULT_TIMEOUT):
        self.timeout = timeout

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    @staticmethod
    def _folder(path):
        if not path or not os.path.isabs(path):
            raise PermanentFileError(f"{path or '(empty)'}: not an absolute folder path")
        if not os.path.isdir(path):
            raise PermanentFileError(f"{path}: no such folder")
        return path

    def list(self, path):
        folder = self._folder(path)
        with os.scandir(folder) as entries:
            return [
                (
                    entry.name,
                    _kind(entry.stat(follow_symlinks=False).st_mode),
                    entry.stat(follow_symlinks=False).st_size,
                    entry.stat(follow_symlinks=False).st_mtime,
                )
                for entry in entries
            ]

    def download(self, path, name, max_bytes):
        folder = self._folder(path)
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        full = os.path.join(folder, name)
        try:
            fd = os.open(full, flags)
        except FileNotFoundError as exc:
            raise FileGone(f"{name}: no longer in the folder") from exc
        except OSError as exc:
            if exc.errno == errno.ELOOP or os.path.islink(full):
                raise FileRefused("a symbolic link, not a regular file") from exc
            raise FileRefused(f"cannot be opened: {exc.strerror}") from exc
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise FileRefused("not a regular file")
            _check_size(info.st_size, max_bytes)
            data = handle.read(max_bytes + 1)
        _check_size(len(data), max_bytes)
        return data

    def move(self, path, name, subfolder, new_name):
        """``path/name`` to ``path/subfolder/new_name`` (the link itself for a link);
        done already (source gone, target there) is fine."""
        folder = self._folder(path)
        target_dir = os.path.join(folder, subfolder)
        os.makedirs(target_dir, exist_ok=True)
        source, target = os.path.join(folder, name), os.path.join(target_dir, new_name)
        if not os.path.lexists(source) and os.path.lexists(target):
            return posixpath.join(subfolder, new_name)
        try:
            os.replace(source, target)
        except FileNotFoundError as exc:
            raise FileGone(f"{name}: no longer in the folder") from exc
        return posixpath.join(subfolder, new_name)

    def upload(self, path, name, data, token):
        folder = self._folder(path)
        temporary = os.path.join(folder, files.temp_name(name, token))
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o640)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, os.path.join(folder, name))

    def check(self, paths):
        for path in paths:
            if path:
                self.list(path)
        return "local folder"


class SftpTransport:
    """An SFTP server, its host key pinned, reached at an address approved by the
    outbound host check (the caller resolves and checks the host once; we connect
    to that address, never to a second resolution)."""

    def __init__(
        self,
        address,
        port,
        username,
        host_key,
        password=None,
        private_key=None,
        host="",
        timeout=DEFAULT_TIMEOUT,
    ):
        self.address = address
        self.port = int(port or 22)
        self.username = username
        self.host_key = host_key
        self.password = password or None
        self.private_key = private_key or None
        self.shown = f"{host or address}:{self.port}"
        self.timeout = timeout
        self._transport = None
        self.sftp = None

    # ---------------------------------------------------------------- session
    def __enter__(self):
        import paramiko

        try:
            pinned = files.parse_pinned_key(self.host_key)
        except ValueError as exc:
            raise PermanentFileError(f"SFTP {self.shown}: {exc}") from None
        pkey = self._load_key(paramiko) if self.private_key else None
        if not pkey and not self.password:
            raise PermanentFileError(f"SFTP {self.shown}: no password and no private key")
        try:
            sock = socket.create_connection((self.address, self.port), timeout=self.timeout)
        except OSError as exc:
            raise TransientFileError(f"SFTP {self.shown}: cannot connect ({exc})") from None
        transport = paramiko.Transport(sock)
        transport.set_log_channel(TRANSPORT_LOG)
        self._transport = transport
        try:
            transport.banner_timeout = transport.auth_timeout = self.timeout
            transport.start_client(timeout=self.timeout)
            key = transport.get_remote_server_key()
            offered = files.key_fingerprint(key.asbytes())
            if offered != pinned:
                raise PermanentFileError(
                    f"SFTP {self.shown}: the server's host key {key.get_name()} {offered} is "
                    f"not the pinned one ({pinned}): refused (a changed key may mean "
                    "someone is in between; check with the server's administrator)"
                )
            try:
                if pkey:
                    transport.auth_publickey(self.username, pkey)
                else:
                    transport.auth_password(self.username, self.password)
            except paramiko.AuthenticationException:
                raise PermanentFileError(
                    f"SFTP {self.shown}: authentication refused for user {self.username}"
                ) from None
            self.sftp = paramiko.SFTPClient.from_transport(transport)
            self.sftp.get_channel().settimeout(self.timeout)
        except PermanentFileError:
            self.close()
            raise
        except (paramiko.SSHException, EOFError, OSError) as exc:
            self.close()
            raise TransientFileError(
                f"SFTP {self.shown}: {str(exc) or exc.__class__.__name__}"
            ) from None
        return self

    def _load_key(self, paramiko):
        for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
            try:
                return cls.from_private_key(io.StringIO(self.private_key))
            except (paramiko.SSHException, ValueError):
                continue
        raise PermanentFileError(
            f"SFTP {self.shown}: the private key is not an unencrypted Ed25519, ECDSA or "
            "RSA key in OpenSSH or PEM format"
        )

    def close(self):
        """Best effort: a connection the server cut cannot say goodbye (paramiko
        raises EOFError writing the close), and that must not replace the error
        the operation raised (a TransientFileError the job retries)."""
        import paramiko

        try:
            if self.sftp is not None:
                self.sftp.close()
        except (paramiko.SSHException, EOFError, OSError) as exc:
            _logger.debug("SFTP %s: closing a lost connection: %r", self.shown, exc)
        finally:
            self.sftp = None
            if self._transport is not None:
                self._transport.close()
                self._transport = None

    def __exit__(self, *exc):
        self.close()
        return False

    def _call(self, what, func, *args, refused=PermanentFileError):
        """``func(*args)``, its errors sorted: a missing file or folder, a permission
        refused (``refused``): permanent; the connection lost or timed out: transient."""
        import paramiko

        try:
            return func(*args)
        except FileNotFoundError as exc:
            raise FileGone(f"SFTP {self.shown}: {what}: no such file or folder") from exc
        except PermissionError as exc:
            raise refused(f"SFTP {self.shown}: {what}: permission denied") from exc
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise TransientFileError(
                f"SFTP {self.shown}: {what}: {str(exc) or exc.__class__.__name__} (connection lost?)"
            ) from None

    # ------------------------------------------------------------- operations
    def list(self, path):
        entries = self._call(path, self.sftp.listdir_attr, path or ".")
        return [
            (entry.filename, _kind(entry.st_mode or 0), entry.st_size, entry.st_mtime)
            for entry in entries
        ]

    def download(self, path, name, max_bytes):
        full = posixpath.join(path or ".", name)
        # a file we may not read is refused (recorded failed, moved aside), not retried
        info = self._call(name, self.sftp.lstat, full, refused=FileRefused)
        if stat.S_ISLNK(info.st_mode or 0):
            raise FileRefused("a symbolic link, not a regular file")
        if not stat.S_ISREG(info.st_mode or 0):
            raise FileRefused("not a regular file")
        _check_size(info.st_size, max_bytes)

        def fetch():
            with self.sftp.open(full, "rb") as handle:
                # what was opened (SFTP opens follow links): still a regular file
                try:
                    opened = handle.stat()
                except OSError as exc:
                    if "unsupported" not in str(exc).lower():
                        raise
                    opened = info  # a server without fstat: the listing's lstat
                if not stat.S_ISREG(opened.st_mode or 0):
                    raise FileRefused("not a regular file")
                _check_size(opened.st_size, max_bytes)
                handle.prefetch(opened.st_size or 0)
                return handle.read(max_bytes + 1)

        data = self._call(name, fetch, refused=FileRefused)
        _check_size(len(data), max_bytes)
        if info.st_size is not None and len(data) < info.st_size:
            raise TransientFileError(f"SFTP {self.shown}: {name}: read short, connection lost")
        return data

    def _mkdir(self, folder):
        try:
            self.sftp.stat(folder)
        except FileNotFoundError:
            self._call(folder, self.sftp.mkdir, folder)

    def move(self, path, name, subfolder, new_name):
        base = path or "."
        target_dir = posixpath.join(base, subfolder)
        self._call(target_dir, self._mkdir, target_dir)
        source, target = posixpath.join(base, name), posixpath.join(target_dir, new_name)
        try:
            self._call(name, self._rename, source, target)
        except FileGone:
            # moved by an earlier attempt whose answer was lost
            self._call(new_name, self.sftp.lstat, target)
        return posixpath.join(subfolder, new_name)

    def _rename(self, source, target):
        """Rename over ``target`` (OpenSSH's posix-rename; plain SFTP renames refuse an
        existing target, so it is removed first there)."""
        try:
            self.sftp.posix_rename(source, target)
            return
        except (FileNotFoundError, PermissionError):
            raise
        except OSError as exc:
            if "unsupported" not in str(exc).lower():
                raise
        try:
            self.sftp.remove(target)
        except FileNotFoundError:
            pass
        self.sftp.rename(source, target)

    def upload(self, path, name, data, token):
        base = path or "."
        temporary = posixpath.join(base, files.temp_name(name, token))
        target = posixpath.join(base, name)

        def put():
            with self.sftp.open(temporary, "wb") as handle:
                handle.set_pipelined(True)
                handle.write(data)
            written = self.sftp.stat(temporary).st_size
            if written != len(data):
                raise EOFError(f"{written} of {len(data)} bytes written")

        self._call(name, put)
        self._call(name, self._rename, temporary, target)

    def check(self, paths):
        for path in paths:
            if path:
                self.list(path)
        return f"SFTP {self.shown}"
