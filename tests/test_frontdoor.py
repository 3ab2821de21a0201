# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""setup/frontdoor.py, the demo's reverse proxy: /websocket to Odoo's gevent port, the
rest to the HTTP workers, bytes copied both ways (a websocket stays open), as
setup/deploy/nginx-logistics-sync.conf routes them.  Two plain servers on 127.0.0.1
stand for Odoo's ports; the front door runs as setup/run starts it."""

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from conftest import free_port

ROOT = Path(__file__).resolve().parent.parent


class Backend:
    """A server that answers every request with its name and the request line, and
    echoes anything sent after an ``Upgrade`` request (a stand-in websocket)."""

    def __init__(self, name):
        self.name = name.encode()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            line = head.split(b"\r\n", 1)[0]
            if b"upgrade: websocket" in head.lower():
                conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\n\r\n" + self.name + b"\n")
                while data := conn.recv(4096):
                    conn.sendall(data)
                return
            body = self.name + b" " + line
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                % (len(body), body)
            )

    def close(self):
        self.sock.close()


@pytest.fixture
def front():
    http, gevent = Backend("http"), Backend("gevent")
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            str(ROOT / "setup" / "frontdoor.py"),
            f"--port={port}",
            f"--http-port={http.port}",
            f"--gevent-port={gevent.port}",
        ]
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        http.close()
        gevent.close()


def test_pages_go_to_the_http_workers(front):
    for path in ("/odoo", "/web/login?redirect=/websocket", "/websocketx", "/"):
        answer = requests.get(f"http://127.0.0.1:{front}{path}", timeout=10)
        assert answer.status_code == 200
        assert answer.text == f"http GET {path} HTTP/1.1", path
    posted = requests.post(
        f"http://127.0.0.1:{front}/logistics_sync/v1/events/x", data=b"{}", timeout=10
    )
    assert posted.text.startswith("http POST /logistics_sync/v1/events/x")


def test_the_bus_goes_to_the_gevent_port_and_stays_open(front):
    for path in ("/websocket", "/websocket?version=18.0-1"):
        with socket.create_connection(("127.0.0.1", front), timeout=10) as sock:
            sock.sendall(
                f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\n\r\n".encode()
            )
            reader = sock.makefile("rb")
            assert reader.readline().startswith(b"HTTP/1.1 101")
            assert reader.readline() == b"\r\n"
            assert reader.readline() == b"gevent\n"
            for message in (b"one\n", b"two\n"):  # both ways, as long as it is open
                sock.sendall(message)
                assert reader.readline() == message
