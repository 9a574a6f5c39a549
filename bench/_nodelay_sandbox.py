"""``bulk-scheduler`` with the sandbox's listening socket set to ``TCP_NODELAY``.

Used only with ``--sandbox-nodelay``, to tell the client's cost from the sandbox's: the
sandbox binds its socket with ``proto=0``, so asyncio does not set ``TCP_NODELAY`` on the
connections it accepts, and on a kept-alive connection each answer's second write
(uvicorn writes the headers, then the body) waits for the client's delayed ACK, about
40 ms on Linux. Accepted sockets inherit the option from the listening one.

    python bench/_nodelay_sandbox.py sandbox --port 0 ...
"""

from __future__ import annotations

import socket

from bulk_scheduler import cli
from bulk_scheduler.sandbox import server

_bind_loopback = server._bind_loopback


def _bind_loopback_nodelay(host: str, port: int) -> socket.socket:
    sock = _bind_loopback(host, port)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


server._bind_loopback = _bind_loopback_nodelay

if __name__ == "__main__":
    cli.main()
