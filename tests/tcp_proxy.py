# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A TCP proxy on 127.0.0.1 that a test can cut: PostgreSQL "goes away" for Odoo.

``cut()`` closes every open connection and refuses new ones (the port stays bound,
so nobody else takes it); ``restore()`` lets connections through again.  Used by the
live outage and chaos tests between Odoo and PostgreSQL, where stopping the real
cluster would also stop the other test servers sharing it.
"""

import selectors
import socket
import struct
import threading


class TcpProxy:
    def __init__(self, target_host, target_port):
        self.target = (target_host, int(target_port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open = True
        self._stopped = False
        self._lock = threading.Lock()
        self._pairs = set()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    # -------------------------------------------------------------- control
    def cut(self):
        """Drop every connection now, refuse new ones until restore()."""
        with self._lock:
            self._open = False
            pairs, self._pairs = self._pairs, set()
        for pair in pairs:
            for sock in pair:
                _close(sock)

    def restore(self):
        with self._lock:
            self._open = True

    def stop(self):
        self._stopped = True
        self.cut()
        _close(self._listener)

    # ------------------------------------------------------------- plumbing
    def _accept(self):
        while not self._stopped:
            try:
                client, _addr = self._listener.accept()
            except OSError:
                return
            with self._lock:
                is_open = self._open
            if not is_open:
                # an immediate reset, as a server that is down gives
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            pair = (client, upstream)
            with self._lock:
                self._pairs.add(pair)
            threading.Thread(target=self._pump, args=(pair,), daemon=True).start()

    def _pump(self, pair):
        selector = selectors.DefaultSelector()
        client, upstream = pair
        try:
            selector.register(client, selectors.EVENT_READ, upstream)
            selector.register(upstream, selectors.EVENT_READ, client)
            while True:
                for key, _mask in selector.select(timeout=1.0):
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    key.data.sendall(data)
                if client.fileno() < 0 or upstream.fileno() < 0:
                    return
        except (OSError, ValueError):
            return
        finally:
            selector.close()
            with self._lock:
                self._pairs.discard(pair)
            _close(client)
            _close(upstream)


def _close(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
