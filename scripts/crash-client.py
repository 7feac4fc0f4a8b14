#!/usr/bin/env python3
"""Load for the supervisor's crash test (scripts/scale-figures --only crash), counting per process.

Each of C keep-alive connections first asks GET /info (which process answered it: its pid), then POSTs
{"input": 4.0} to /predict in a closed loop (one request in flight) for D seconds. A connection that fails (reset,
EOF, timeout) is recorded with the pid it was talking to, and a new connection replaces it. Prints one JSON line:
requests sent, answered 2xx, non-2xx, failed (no answer), and the failures per pid ("unknown": the connection broke
before its /info was answered, e.g. it sat in the backlog of a listener that died).

    scripts/crash-client.py PORT [CONNECTIONS] [SECONDS]
"""
import asyncio
import json
import sys
import time
from collections import Counter

HOST = "127.0.0.1"
PORT = int(sys.argv[1])
CONNECTIONS = int(sys.argv[2]) if len(sys.argv) > 2 else 32
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
BODY = b'{"input": 4.0}'
PREDICT = (b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
           % (len(BODY), BODY))
INFO = b"GET /info HTTP/1.1\r\nHost: t\r\n\r\n"

totals = Counter()
failed_by_pid = Counter()
answered_by_pid = Counter()
connections_by_pid = Counter()


async def exchange(reader, writer, request):
    writer.write(request)
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await asyncio.wait_for(reader.readexactly(length), 10) if length else b""
    return status, body


async def connection(deadline):
    while time.monotonic() < deadline:
        pid = "unknown"
        writer = None
        try:
            reader, writer = await asyncio.open_connection(HOST, PORT)
        except OSError:
            totals["connect_failed"] += 1
            await asyncio.sleep(0.01)
            continue
        try:
            totals["sent"] += 1
            status, body = await exchange(reader, writer, INFO)
            pid = str(json.loads(body)["process"]["pid"])
            totals["2xx" if 200 <= status < 300 else "non2xx"] += 1
            connections_by_pid[pid] += 1
            while time.monotonic() < deadline:
                totals["sent"] += 1
                status, _ = await exchange(reader, writer, PREDICT)
                if 200 <= status < 300:
                    totals["2xx"] += 1
                    answered_by_pid[pid] += 1
                else:
                    totals["non2xx"] += 1
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError, KeyError, IndexError):
            totals["failed"] += 1
            failed_by_pid[pid] += 1
        finally:
            writer.close()


async def main():
    deadline = time.monotonic() + SECONDS
    await asyncio.gather(*(connection(deadline) for _ in range(CONNECTIONS)))


start = time.monotonic()
asyncio.run(main())
print(json.dumps({
    "seconds": round(time.monotonic() - start, 2),
    "connections": CONNECTIONS,
    "sent": totals["sent"],
    "answered_2xx": totals["2xx"],
    "non_2xx": totals["non2xx"],
    "failed_no_answer": totals["failed"],
    "connects_refused": totals["connect_failed"],
    "failed_by_pid": dict(failed_by_pid),
    "answered_by_pid": dict(answered_by_pid),
    "connections_by_pid": dict(connections_by_pid),
}))
