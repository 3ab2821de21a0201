# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The demo's front door (setup/run): one address for the browser and the senders, as
the reverse proxy of a deployment (setup/deploy/nginx-logistics-sync.conf).

Odoo with workers serves its pages on the HTTP workers and the bus (live updates,
``/websocket``) on the gevent port only; a browser on the HTTP port alone gets
"Real-time connection lost".  This routes every connection on its first request
line: ``/websocket`` to the gevent port, anything else to the HTTP workers, then
copies bytes both ways (a browser opens a connection of its own for a websocket).

    python setup/frontdoor.py --port 8069 --http-port 8169 --gevent-port 8172

Listens on 127.0.0.1 only; stops with ``--parent-pid`` (setup/run).
"""

import argparse
import asyncio
import contextlib
import os

WEBSOCKET = b"/websocket"
MAX_REQUEST_LINE = 65536


def route(request_line, http_port, gevent_port):
    """The port a connection goes to, from its first request line."""
    parts = request_line.split(b" ")
    path = parts[1] if len(parts) > 2 else b""
    is_bus = path == WEBSOCKET or path.startswith((WEBSOCKET + b"?", WEBSOCKET + b"/"))
    return gevent_port if is_bus else http_port


async def _pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.close()


async def _serve(client_reader, client_writer, http_port, gevent_port):
    upstream_writer = None
    try:
        line = await client_reader.readuntil(b"\r\n")
        port = route(line, http_port, gevent_port)
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
        upstream_writer.write(line)
        await asyncio.gather(
            _pipe(client_reader, upstream_writer), _pipe(upstream_reader, client_writer)
        )
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, OSError):
        pass  # the client went away, or Odoo is not up yet: the browser tries again
    finally:
        for writer in (client_writer, upstream_writer):
            if writer is not None:
                writer.close()
                with contextlib.suppress(ConnectionError, OSError):
                    await writer.wait_closed()


async def _main(args):
    server = await asyncio.start_server(
        lambda r, w: _serve(r, w, args.http_port, args.gevent_port),
        "127.0.0.1",
        args.port,
        limit=MAX_REQUEST_LINE,
    )
    async with server:
        while args.parent_pid is None or os.getppid() == args.parent_pid:
            await asyncio.sleep(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True, help="the browser's port")
    parser.add_argument("--http-port", type=int, required=True, help="Odoo's http_port")
    parser.add_argument("--gevent-port", type=int, required=True, help="Odoo's gevent_port")
    parser.add_argument("--parent-pid", type=int, help="stop when this process is gone")
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
