# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The SFTP transport of the file channels against the real SFTP server, no Odoo: a
connection the server cuts during a write is a ``TransientFileError`` (the job
retries it), also once the transport is closed after it.  Closing a connection the
server already cut cannot say goodbye (paramiko raises EOFError writing the close);
before the fix that EOFError replaced the transient error, the upload job failed
instead of retrying (seen once in CI: tests/test_live_files.py timed out waiting for
the upload)."""

import socket
import time

import pytest
from sftp_server import SftpTestServer
from standalone import addon_module

file_transport = addon_module("logistics_sync_base.adapters.file_transport")


def _transport(server):
    return file_transport.SftpTransport(
        "127.0.0.1",
        server.port,
        server.username,
        server.host_key_line,
        password=server.password,
    )


def test_closing_a_connection_that_died_under_the_client_raises_nothing(tmp_path):
    """The race CI met, made certain: the connection is dead for writing before the
    client noticed, then the transport is closed (as ``with`` does after an error)."""
    with SftpTestServer(tmp_path, lifetime=60) as server:
        for _attempt in range(5):
            transport = _transport(server)
            transport.__enter__()
            assert transport.list(".") == []
            transport._transport.sock.shutdown(socket.SHUT_WR)
            transport.close()  # raised EOFError before the fix
            assert transport.sftp is None and transport._transport is None


def test_a_write_cut_by_the_server_stays_transient_after_the_close(tmp_path):
    (tmp_path / "out").mkdir()
    with SftpTestServer(tmp_path, lifetime=60) as server:
        server.cut_next_write()
        transport = _transport(server)
        with pytest.raises(file_transport.TransientFileError) as caught:
            with transport:
                try:
                    transport.upload("out", "BIG-1.bin", b"x" * 300_000, "1")
                finally:
                    # the client has seen the server close the connection: the close
                    # below writes to a dead connection (what CI met by chance)
                    deadline = time.monotonic() + 10
                    while transport._transport.is_active() and time.monotonic() < deadline:
                        time.sleep(0.05)
        assert "connection lost" in str(caught.value)
        assert server.faults_left()[0] == {"write": 0}, "the cut happened"
        assert transport.sftp is None and transport._transport is None
        # nothing under its name (the temporary file is the next attempt's to replace)
        assert not (tmp_path / "out" / "BIG-1.bin").exists()
