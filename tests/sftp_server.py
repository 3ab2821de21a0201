# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A real SFTP server on 127.0.0.1 for the file channel tests (paramiko's server side,
the library the channel's client uses): one folder served as its root, password and
public key logins, its own host key, and faults a test arms:

- ``cut_next_read()``: the next read request closes the connection instead of
  answering (a server that goes away during a download);
- ``cut_next_write()``: the same for the next write request (during an upload);
- ``down_after_next_listing(seconds)``: after the next folder listing the server stops
  listening (connections refused) for ``seconds``, then listens again on the same port.

It stops at the end of its ``with`` block, and by itself after ``lifetime`` seconds
(a test that forgets it never leaves a listener behind). Threads only, no process.
"""

import logging
import os
import secrets
import socket
import threading
import time

import paramiko
from paramiko import SFTPAttributes, SFTPHandle, SFTPServer, SFTPServerInterface
from paramiko.sftp import SFTP_FAILURE, SFTP_OK, SFTP_OP_UNSUPPORTED

_logger = logging.getLogger(__name__)


def public_key_line(key):
    """The OpenSSH public key line of a paramiko key ("ecdsa-sha2-nistp256 AAAA...")."""
    return f"{key.get_name()} {key.get_base64()}"


class _Auth(paramiko.ServerInterface):
    def __init__(self, server, transport):
        self.server = server
        self.transport = transport

    def get_allowed_auths(self, username):
        return "password,publickey"

    def check_auth_password(self, username, password):
        ok = (username, password) == (self.server.username, self.server.password)
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def check_auth_publickey(self, username, key):
        ok = username == self.server.username and any(
            key.asbytes() == allowed.asbytes() for allowed in self.server.client_keys
        )
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
        _logger.info("SFTP test server: connection cut during a %s", what)
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


class SftpTestServer:
    """``with SftpTestServer(root) as server:`` (see the module docstring)."""

    def __init__(self, root, username="partner", lifetime=300):
        self.root = str(root)
        self.username = username
        self.password = secrets.token_urlsafe(16)
        self.client_keys = []
        self.host_key = paramiko.ECDSAKey.generate()
        self.lifetime = lifetime
        self.port = None
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

    def allow_client_key(self, key):
        self.client_keys.append(key)

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
            _logger.info("SFTP test server: down for %ss", seconds)
            self._close_listener()
            threading.Timer(seconds, self._listen).start()

    def _listen(self):
        if self._stopped.is_set():
            return
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port or 0))
        sock.listen(16)
        self.port = sock.getsockname()[1]
        self._listener = sock
        threading.Thread(target=self._accept, args=(sock,), daemon=True).start()
        _logger.info("SFTP test server listening on 127.0.0.1:%s", self.port)

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
                _logger.warning("SFTP test server stopped after its lifetime")
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
