# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A real SFTP server on 127.0.0.1 (paramiko's server side, the library the file
channel's client uses): one folder served as its root, users logging in with a
password or a public key, its own host key, and faults a test arms:

- ``cut_next_read()``: the next read request closes the connection instead of
  answering (a server that goes away during a download);
- ``cut_next_write()``: the same for the next write request (during an upload);
- ``down_after_next_listing(seconds)``: after the next folder listing the server stops
  listening (connections refused) for ``seconds``, then listens again on the same port.

In a test: ``with SftpServer(root) as server:`` (threads only, no process); it stops
at the end of the block, and by itself after ``lifetime`` seconds (a test that
forgets it never leaves a listener behind).  The file channel tests
(``tests/sftp_server.py``) and the live EDI test use it so.

As a process (setup/run's demo EDI partner)::

    python sftp_server.py --root DIR --host-key-file KEY --users-file USERS.json \
        --port 8077 --port-file F --max-lifetime 86400 --parent-pid PID

``--host-key-file``: the server's private host key (an ECDSA key is generated there,
mode 0600, when the file does not exist); ``--users-file`` (JSON, kept out of ``ps``):
``{"user": {"password": "...", "public_keys": ["ssh-ed25519 AAAA..."]}}``.  It binds
loopback addresses only, writes its port to ``--port-file``, prints ``SFTP server
listening on sftp://127.0.0.1:PORT (host key SHA256:...)`` and stops on SIGTERM /
SIGINT, after ``--max-lifetime`` seconds or when ``--parent-pid`` is gone.

Not standard library only, unlike the other simulator modules: paramiko (a
requirement of logistics_sync_base already, for the file channel's client).
"""

import argparse
import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import paramiko
from paramiko import SFTPAttributes, SFTPHandle, SFTPServer, SFTPServerInterface
from paramiko.sftp import SFTP_FAILURE, SFTP_OK, SFTP_OP_UNSUPPORTED

_logger = logging.getLogger(__name__)


def public_key_line(key):
    """The OpenSSH public key line of a paramiko key ("ecdsa-sha2-nistp256 AAAA...")."""
    return f"{key.get_name()} {key.get_base64()}"


def fingerprint(key):
    """OpenSSH's fingerprint of a paramiko key: ``SHA256:...`` (what ``ssh-keygen -lf``
    prints, and what an endpoint's *SFTP host key* accepts)."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def load_or_create_key(path):
    """The private key in ``path`` (Ed25519, ECDSA or RSA), or a new ECDSA key written
    there (mode 0600) when the file does not exist."""
    path = Path(path)
    if path.exists():
        for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
            try:
                return cls.from_private_key_file(str(path))
            except (paramiko.SSHException, ValueError):
                continue
        raise ValueError(f"{path}: not an unencrypted Ed25519, ECDSA or RSA private key")
    key = paramiko.ECDSAKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        key.write_private_key(handle)
    return key


def parse_public_key(line):
    """A paramiko public key from an OpenSSH line ("ssh-ed25519 AAAA... comment")."""
    kind, _space, rest = line.strip().partition(" ")
    blob = base64.b64decode(rest.split()[0])
    return paramiko.PKey.from_type_string(kind, blob)


@dataclass
class User:
    password: str | None = None
    keys: list = field(default_factory=list)


class _Auth(paramiko.ServerInterface):
    def __init__(self, server, transport):
        self.server = server
        self.transport = transport

    def get_allowed_auths(self, username):
        return "password,publickey"

    def check_auth_password(self, username, password):
        user = self.server.users.get(username)
        ok = bool(user and user.password and password) and hmac.compare_digest(
            password.encode(), user.password.encode()
        )
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def check_auth_publickey(self, username, key):
        user = self.server.users.get(username)
        ok = bool(user) and any(key.asbytes() == allowed.asbytes() for allowed in user.keys)
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def check_channel_request(self, kind, chanid):
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED_OPEN_FAILED


class _Handle(SFTPHandle):
    def __init__(self, auth, flags=0):
        super().__init__(flags)
        self.auth = auth

    def _cut(self, what):
        _logger.info("SFTP server: connection cut during a %s", what)
        self.auth.transport.close()
        return SFTP_FAILURE

    def stat(self):
        try:
            return SFTPAttributes.from_stat(os.fstat(self.readfile.fileno()))
        except OSError as exc:
            return SFTPServer.convert_errno(exc.errno)

    def read(self, offset, length):
        if self.auth.server._take("read"):
            return self._cut("read")
        return super().read(offset, length)

    def write(self, offset, data):
        if self.auth.server._take("write"):
            return self._cut("write")
        return super().write(offset, data)


class _Files(SFTPServerInterface):
    """The server's folder as the SFTP root (paths never leave it)."""

    def __init__(self, auth, *args, **kwargs):
        super().__init__(auth, *args, **kwargs)
        self.auth = auth
        self.root = auth.server.root

    def _real(self, path):
        clean = os.path.normpath("/" + (path or "")).lstrip("/")
        return os.path.join(self.root, clean)

    @staticmethod
    def _error(exc):
        return SFTPServer.convert_errno(exc.errno)

    def canonicalize(self, path):
        return os.path.normpath("/" + (path or ""))

    def list_folder(self, path):
        real = self._real(path)
        try:
            entries = []
            for name in sorted(os.listdir(real)):
                attr = SFTPAttributes.from_stat(os.lstat(os.path.join(real, name)))
                attr.filename = name
                entries.append(attr)
        except OSError as exc:
            return self._error(exc)
        self.auth.server._listed()
        return entries

    def stat(self, path):
        try:
            return SFTPAttributes.from_stat(os.stat(self._real(path)))
        except OSError as exc:
            return self._error(exc)

    def lstat(self, path):
        try:
            return SFTPAttributes.from_stat(os.lstat(self._real(path)))
        except OSError as exc:
            return self._error(exc)

    def open(self, path, flags, attr):
        real = self._real(path)
        try:
            fd = os.open(real, flags | getattr(os, "O_BINARY", 0), 0o644)
        except OSError as exc:
            return self._error(exc)
        if flags & os.O_WRONLY:
            mode = "ab" if flags & os.O_APPEND else "wb"
        elif flags & os.O_RDWR:
            mode = "a+b" if flags & os.O_APPEND else "r+b"
        else:
            mode = "rb"
        try:
            handle_file = os.fdopen(fd, mode)
        except OSError as exc:
            return self._error(exc)
        handle = _Handle(self.auth, flags)
        handle.filename = real
        handle.readfile = handle_file
        handle.writefile = handle_file
        return handle

    def remove(self, path):
        try:
            os.remove(self._real(path))
        except OSError as exc:
            return self._error(exc)
        return SFTP_OK

    def rename(self, oldpath, newpath):
        if os.path.lexists(self._real(newpath)):
            return SFTP_FAILURE  # plain SFTP renames never replace
        return self.posix_rename(oldpath, newpath)

    def posix_rename(self, oldpath, newpath):
        try:
            os.replace(self._real(oldpath), self._real(newpath))
        except OSError as exc:
            return self._error(exc)
        return SFTP_OK

    def mkdir(self, path, attr):
        try:
            os.mkdir(self._real(path))
        except OSError as exc:
            return self._error(exc)
        return SFTP_OK

    def rmdir(self, path):
        try:
            os.rmdir(self._real(path))
        except OSError as exc:
            return self._error(exc)
        return SFTP_OK

    def chattr(self, path, attr):
        return SFTP_OP_UNSUPPORTED

    def symlink(self, target_path, path):
        return SFTP_OP_UNSUPPORTED


class SftpServer:
    """``with SftpServer(root) as server:`` (see the module docstring).  One user
    ``username`` with a random ``password`` to begin with; ``add_user`` adds more."""

    def __init__(
        self, root, username="partner", lifetime=300, host_key=None, host="127.0.0.1", port=0
    ):
        self.root = str(root)
        self.username = username
        self.users = {username: User(password=secrets.token_urlsafe(16))}
        self.host_key = host_key or paramiko.ECDSAKey.generate()
        self.lifetime = lifetime
        self.host = host
        self.port = port or None
        self.connections = 0
        self._faults = {}
        self._down_after_listing = None
        self._lock = threading.Lock()
        self._listener = None
        self._stopped = threading.Event()
        self._transports = []

    # -------------------------------------------------------------- for tests
    @property
    def host_key_line(self):
        return public_key_line(self.host_key)

    @property
    def host_key_fingerprint(self):
        return fingerprint(self.host_key)

    @property
    def password(self):
        """The first user's password."""
        return self.users[self.username].password

    def add_user(self, username, password=None, keys=()):
        self.users[username] = User(password=password, keys=list(keys))

    def allow_client_key(self, key, username=None):
        self.users[username or self.username].keys.append(key)

    def cut_next_read(self):
        with self._lock:
            self._faults["read"] = self._faults.get("read", 0) + 1

    def cut_next_write(self):
        with self._lock:
            self._faults["write"] = self._faults.get("write", 0) + 1

    def down_after_next_listing(self, seconds):
        with self._lock:
            self._down_after_listing = seconds

    def faults_left(self):
        with self._lock:
            return dict(self._faults), self._down_after_listing

    # ---------------------------------------------------------------- server
    def _take(self, what):
        with self._lock:
            if self._faults.get(what):
                self._faults[what] -= 1
                return True
        return False

    def _listed(self):
        with self._lock:
            seconds, self._down_after_listing = self._down_after_listing, None
        if seconds:
            _logger.info("SFTP server: down for %ss", seconds)
            self._close_listener()
            threading.Timer(seconds, self._listen).start()

    def _listen(self):
        if self._stopped.is_set():
            return
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port or 0))
        sock.listen(16)
        self.port = sock.getsockname()[1]
        self._listener = sock
        threading.Thread(target=self._accept, args=(sock,), daemon=True).start()
        _logger.info("SFTP server listening on %s:%s", self.host, self.port)

    def _close_listener(self):
        sock, self._listener = self._listener, None
        if sock is not None:
            # shutdown wakes the thread blocked in accept() and stops listening
            # (a close alone leaves the port listening while accept() holds it)
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self, sock):
        while not self._stopped.is_set():
            try:
                conn, _addr = sock.accept()
            except OSError:
                return  # closed: down or stopped
            self.connections += 1
            transport = paramiko.Transport(conn)
            transport.add_server_key(self.host_key)
            auth = _Auth(self, transport)
            transport.set_subsystem_handler("sftp", SFTPServer, _Files)
            self._transports.append(transport)
            try:
                transport.start_server(server=auth)
            except (paramiko.SSHException, EOFError, OSError):
                transport.close()

    def start(self):
        self._listen()
        deadline = time.monotonic() + self.lifetime
        threading.Thread(target=self._watchdog, args=(deadline,), daemon=True).start()
        return self

    def _watchdog(self, deadline):
        while not self._stopped.wait(1):
            if time.monotonic() > deadline:
                _logger.warning("SFTP server stopped after its lifetime")
                self.stop()

    def stop(self):
        self._stopped.set()
        self._close_listener()
        for transport in self._transports:
            transport.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


# --------------------------------------------------------------------------- command line
LOOPBACK = ("127.0.0.1", "::1", "localhost")


def _users(path):
    """``{"name": {"password": ..., "public_keys": [...]}}`` from a JSON file."""
    doc = json.loads(Path(path).read_text())
    if not isinstance(doc, dict) or not doc:
        raise ValueError("the users file must be a JSON object of users")
    users = {}
    for name, spec in doc.items():
        if not isinstance(spec, dict) or not (spec.get("password") or spec.get("public_keys")):
            raise ValueError(f"user {name!r}: a password or public_keys are required")
        keys = [parse_public_key(line) for line in spec.get("public_keys") or ()]
        users[name] = User(password=spec.get("password") or None, keys=keys)
    return users


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="SFTP server on a loopback address.")
    parser.add_argument("--root", required=True, help="the folder served as the root")
    parser.add_argument(
        "--host-key-file", required=True, help="the host key (generated when missing)"
    )
    parser.add_argument("--users-file", required=True, help="JSON: user -> password, keys")
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="where to write the port once listening")
    parser.add_argument("--max-lifetime", type=float, default=900.0)
    parser.add_argument("--parent-pid", type=int, help="stop when this process is gone")
    args = parser.parse_args(argv)
    if args.host not in LOOPBACK:
        parser.exit(2, f"SFTP server: refusing to bind {args.host}: loopback addresses only\n")
    if not Path(args.root).is_dir():
        parser.error(f"--root: {args.root} is not a folder")
    try:
        args.users = _users(args.users_file)
        args.host_key = load_or_create_key(args.host_key_file)
    except (OSError, ValueError, paramiko.SSHException) as exc:
        parser.error(str(exc))
    return args


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s sftp-server %(message)s"
    )
    host = "127.0.0.1" if args.host == "localhost" else args.host
    first = next(iter(args.users))
    server = SftpServer(
        args.root,
        username=first,
        lifetime=args.max_lifetime,
        host_key=args.host_key,
        host=host,
        port=args.port,
    )
    server.users = args.users
    stopped = threading.Event()

    def stop(signum=None, frame=None):
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.start()
    if args.port_file:
        target = Path(args.port_file)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        temporary.write_text(f"{server.port}\n", encoding="ascii")
        os.replace(temporary, target)
    sys.stdout.write(
        f"SFTP server listening on sftp://{host}:{server.port} "
        f"(host key {server.host_key_fingerprint})\n"
    )
    sys.stdout.flush()
    try:
        while not stopped.wait(1.0) and not server._stopped.is_set():
            if args.parent_pid and os.getppid() != args.parent_pid:
                _logger.info("parent process %s is gone", args.parent_pid)
                break
    finally:
        server.stop()
        if args.port_file:
            Path(args.port_file).unlink(missing_ok=True)
        _logger.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
