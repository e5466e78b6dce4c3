#!/usr/bin/python3
"""How often a client that keeps sending after QUIT loses replies owed before it.

Each trial opens one connection, and a sender thread writes 64 x (SET k <100 KB> + GET big
<100 KB>), QUIT, then TRAIL more 100 KB SETs, while the main thread (after 0.2 s) reads until
the server closes. Every reply before QUIT must arrive, then EOF. A server that closes the
socket with the client's leftover input unread answers it with a reset, and the reset throws
away replies still queued in the kernel: the trial counts as lost. Redis reads a closing
client until it frees it; Tessera drains leftover input while the last replies leave, then
lingers: write side shut, input read and dropped until the client closes its end or 2 s pass
(docs/architecture.md, close lifecycle). Input arriving after a close without lingering gets
the reset, so large TRAIL values can lose on such a server. Not a test: the outcome depends on
timing (tests/integration/test_redis_py.py has the 8 MB case as a test).

  /usr/bin/python3 bench/quit_leftover_input.py            (all servers below)
Environment: TRAIL="4 10 20" (100 KB SETs after QUIT), TRIALS=5,
QUIT_SERVERS="tessera tessera-epoll redis", TESSERA_SERVER as for compare_redis.py.
"""

import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_redis import start_redis, start_tessera  # noqa: E402
from memory_per_key import resp_encode as resp  # noqa: E402

VALUE = b"v" * 100_000


def trial(port, trail):
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        request = (resp(b"SET", b"k", VALUE) + resp(b"GET", b"big")) * 64 + resp(b"QUIT")
        request += resp(b"SET", b"k2", VALUE) * trail

        def send():
            try:
                s.sendall(request)
            except OSError:
                pass  # the server closed: what follows QUIT may be refused

        sender = threading.Thread(target=send)
        sender.start()
        time.sleep(0.2)
        expected = (b"+OK\r\n$100000\r\n" + VALUE + b"\r\n") * 64 + b"+OK\r\n"
        got = bytearray()
        try:
            while True:
                d = s.recv(1 << 20)
                if not d:
                    break
                got += d
        except ConnectionResetError:
            pass
        sender.join(timeout=60)
        return bytes(got) == expected


def main():
    trails = [int(t) for t in os.environ.get("TRAIL", "4 10 20").split()]
    trials = int(os.environ.get("TRIALS", "5"))
    wanted = os.environ.get("QUIT_SERVERS", "tessera tessera-epoll redis").split()
    print(f"trials losing replies owed before QUIT, of {trials}, by 100 KB SETs sent after it")
    print(f"{'server':15}" + "".join(f"{f'TRAIL={t}':>10}" for t in trails))
    for name in wanted:
        if name == "redis":
            proc = start_redis()
        else:
            proc = start_tessera(extra=["--io-backend", "epoll"] if name == "tessera-epoll" else [])
            if proc is None:
                print("note: tessera-server not built; skipped", file=sys.stderr)
                continue
        try:
            with socket.create_connection(("127.0.0.1", proc.port), timeout=60) as s:
                s.sendall(resp(b"SET", b"big", VALUE))
                assert s.recv(16) == b"+OK\r\n"
            lost = [sum(not trial(proc.port, t) for _ in range(trials)) for t in trails]
        finally:
            proc.stop()
        print(f"{name:15}" + "".join(f"{n:>10}" for n in lost))


if __name__ == "__main__":
    main()
