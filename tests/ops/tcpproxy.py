"""A TCP proxy on 127.0.0.1 that a test (or bench/faults.py) can cut or freeze, to play a
dependency that went away or hangs."""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class Proxy:
    """Forwards 127.0.0.1:<port> to ``target`` until ``cut()`` (connections closed) or
    ``freeze()`` (connections kept open, nothing passed on either way: a stopped server's
    kernel still accepts and acknowledges); ``restore()`` resumes."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.forwarding, self.closed = True, False
        self.frozen = threading.Event()
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            with self.lock:
                if self.closed:  # accepted while closing
                    client.close()
                    return
                self.sockets.append(client)
                if not self.forwarding:
                    continue  # black hole: accepted, never answered
                upstream = socket.create_connection(self.target)
                self.sockets.append(upstream)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                while self.frozen.is_set():
                    time.sleep(0.05)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        with self.lock:
            self.forwarding = False
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()

    def freeze(self) -> None:
        with self.lock:
            self.forwarding = False
            self.frozen.set()

    def restore(self) -> None:
        with self.lock:
            self.forwarding = True
            self.frozen.clear()

    def close(self) -> None:
        with self.lock:
            self.closed = True
        self.listener.close()
        self.cut()
