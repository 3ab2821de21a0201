# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""HTTP plumbing of the simulators: request, reply, route, handler and server.

The server binds loopback addresses only; a reply may also be a connection
reset (TCP RST, no answer).  One line per request goes to the log; bodies,
secrets and Authorization headers never do.
"""

import ipaddress
import json
import logging
import re
import socket
import struct
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_logger = logging.getLogger("simulator")

MAX_BODY = 1024 * 1024


class SimError(Exception):
    """A request the simulator answers with an error (JSON, or a protocol's own fault)."""

    def __init__(self, status, code, message, field_name=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field_name = field_name

    def as_json(self):
        doc = {"error": self.code, "message": self.message}
        if self.field_name:
            doc["field"] = self.field_name
        return doc


def bad_field(field_name, message):
    return SimError(400, "bad_request", message, field_name)


def compact_json(doc):
    return json.dumps(doc, separators=(",", ":"), sort_keys=False).encode("utf-8")


def json_body(request):
    """The request's JSON object ({} for an empty body), or a 400 ``SimError``."""
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SimError(400, "bad_request", "the body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise SimError(400, "bad_request", "the body must be a JSON object")
    return data


def is_loopback_host(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Request:
    method: str
    path: str
    query: dict
    headers: object  # http.client.HTTPMessage
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)
    reset: bool = False  # close the connection with a RST instead of answering
    note: str = ""  # for the log line

    @classmethod
    def json(cls, status, doc, **headers):
        return cls(status, compact_json(doc), "application/json", headers)


@dataclass
class Route:
    """``kind``: public | control (never faulted, no authentication) or an API
    kind the application authenticates and faults (``rest``, ``soap``...)."""

    method: str
    pattern: re.Pattern
    func: object
    kind: str
    may_book: bool = False  # faults may also come after the request was carried out

    @property
    def faultable(self):
        return self.kind not in ("public", "control")


def routes_from(table, storing=()):
    """Routes from ``(method, pattern, func, kind)`` rows; ``storing`` lists the
    ``(method, pattern)`` pairs whose faults may come after the work was done."""
    return [
        Route(method, re.compile(pattern), func, kind, (method, pattern) in set(storing))
        for method, pattern, func, kind in table
    ]


class SimulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: the headers and the body are two writes; on a kept-alive
    # connection Nagle held the body until the client's delayed ACK, ~40 ms an
    # answer that no carrier has (injected latency is the --latency-ms option's)
    disable_nagle_algorithm = True
    server_version = "Simulator/1"
    sys_version = ""

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _handle(self):
        started = time.monotonic()
        split = urllib.parse.urlsplit(self.path)
        try:
            body = self._read_body()
        except SimError as exc:
            self.close_connection = True
            reply = Reply.json(exc.status, exc.as_json())
        else:
            request = Request(
                method=self.command,
                path=split.path,
                query=urllib.parse.parse_qs(split.query, keep_blank_values=True),
                headers=self.headers,
                body=body,
            )
            reply = self.server.app.respond(request)
        if reply.reset:
            self._reset_connection()
        else:
            self._send(reply)
        elapsed = (time.monotonic() - started) * 1000
        outcome = "reset" if reply.reset else str(reply.status)
        note = f" [{reply.note}]" if reply.note else ""
        _logger.info("%s %s -> %s%s (%.0f ms)", self.command, split.path, outcome, note, elapsed)

    def _read_body(self):
        if self.headers.get("Transfer-Encoding"):
            raise SimError(411, "length_required", "send a Content-Length, not chunks")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError as exc:
            raise SimError(400, "bad_request", "invalid Content-Length") from exc
        if length < 0 or length > MAX_BODY:
            raise SimError(413, "too_large", f"bodies are limited to {MAX_BODY} bytes")
        return self.rfile.read(length) if length else b""

    def _send(self, reply):
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            _logger.info("%s %s: the client went away before the answer", self.command, self.path)

    def _reset_connection(self):
        """Close the socket with a TCP RST: the client sees a connection reset."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()  # the buffered reader holds a reference to the socket
        self.connection.close()

    def version_string(self):
        return self.server.server_version or self.server_version

    def log_request(self, code="-", size="-"):
        """One line per request is written by ``_handle`` instead."""

    def log_message(self, format, *args):
        _logger.info("%s: %s", self.address_string(), format % args)


class SimulatorServer(ThreadingHTTPServer):
    """A threading HTTP server for ``app`` (anything with ``respond(request)``)."""

    daemon_threads = True

    def __init__(self, address, app, server_version=None):
        if not is_loopback_host(address[0]):
            raise ValueError(f"refusing to bind {address[0]}: loopback addresses only")
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.app = app
        self.server_version = server_version
        super().__init__(address, SimulatorHandler)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            _logger.info("connection from %s ended: %s", client_address[0], type(exc).__name__)
        else:
            _logger.exception("error while serving %s", client_address[0])
