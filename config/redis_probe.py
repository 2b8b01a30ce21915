"""Tell whether a Redis server answers, so tests and benchmarks can prefer the real broker."""

from __future__ import annotations

import socket


def redis_answers(host: str = "127.0.0.1", port: int = 6379) -> bool:
    """Return whether a Redis server at ``host:port`` answers PING."""
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False
