"""Many concurrent clients, each on its own connection."""

import threading

from conftest import RespConn

N_CLIENTS = 200
KEYS_PER_CLIENT = 50


def _run_threads(fn, n, timeout=180):
    errors = []
    results = [None] * n
    barrier = threading.Barrier(n, timeout=timeout)

    def wrap(i):
        try:
            results[i] = fn(i, barrier)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append((i, repr(e)))
            barrier.abort()

    threads = [threading.Thread(target=wrap, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "client threads did not finish in time"
    assert not errors, f"{len(errors)} clients failed, first: {errors[:3]}"
    return results


def test_200_clients_own_keys(server):
    admin = server.client()
    admin.flushall()

    def client(i, barrier):
        c = RespConn(server.port, timeout=120)
        try:
            barrier.wait()  # all connected at once
            keys = [f"c{i}:k{j}" for j in range(KEYS_PER_CLIENT)]
            # one-by-one writes
            for j, k in enumerate(keys[:25]):
                assert c.call("SET", k, f"{i}-{j}") == "OK"
            # pipelined writes
            c.send(b"".join(RespConn.encode("SET", k, f"{i}-{j + 25}")
                            for j, k in enumerate(keys[25:])))
            for _ in keys[25:]:
                assert c.read_reply() == "OK"
            # read back one by one, pipelined, and with MGET
            for j, k in enumerate(keys):
                assert c.call("GET", k) == f"{i}-{j}".encode()
            c.send(b"".join(RespConn.encode("GET", k) for k in keys))
            for j in range(KEYS_PER_CLIENT):
                assert c.read_reply() == f"{i}-{j}".encode()
            assert c.call("MGET", *keys) == [f"{i}-{j}".encode() for j in range(KEYS_PER_CLIENT)]
            assert c.call("EXISTS", *keys) == KEYS_PER_CLIENT
            # a shared counter
            assert isinstance(c.call("INCR", "shared:counter"), int)
            return KEYS_PER_CLIENT
        finally:
            c.close()

    counts = _run_threads(client, N_CLIENTS)
    assert sum(counts) == N_CLIENTS * KEYS_PER_CLIENT
    assert admin.get("shared:counter") == str(N_CLIENTS).encode()
    assert admin.dbsize() == N_CLIENTS * KEYS_PER_CLIENT + 1
    # every key is there with the right value
    for i in range(0, N_CLIENTS, 7):
        keys = [f"c{i}:k{j}" for j in range(KEYS_PER_CLIENT)]
        assert admin.mget(keys) == [f"{i}-{j}".encode() for j in range(KEYS_PER_CLIENT)]


def test_concurrent_incr_and_mixed_multikey(server):
    admin = server.client()
    admin.flushall()
    n_threads, n_incr = 40, 200

    def client(i, barrier):
        c = RespConn(server.port, timeout=120)
        try:
            barrier.wait()
            c.send(RespConn.encode("INCR", "ctr") * n_incr)
            for _ in range(n_incr):
                assert isinstance(c.read_reply(), int)
            mine = [f"m{i}:{j}" for j in range(20)]
            args = []
            for j, k in enumerate(mine):
                args += [k, str(j)]
            assert c.call("MSET", *args) == "OK"
            assert c.call("MGET", *mine) == [str(j).encode() for j in range(20)]
            assert c.call("DEL", *mine) == 20
            return True
        finally:
            c.close()

    _run_threads(client, n_threads)
    assert admin.get("ctr") == str(n_threads * n_incr).encode()
    assert admin.dbsize() == 1


def test_concurrent_clients_see_consistent_mset(server):
    # MSET is atomic: a reader never sees a mix of two MSETs' values.
    admin = server.client()
    admin.flushall()
    keys = [f"atom:{j}" for j in range(16)]
    admin.mset({k: "0" for k in keys})
    stop = threading.Event()
    torn = []

    def writer(i, barrier):
        c = RespConn(server.port, timeout=120)
        try:
            barrier.wait()
            for v in range(1, 300):
                args = []
                for k in keys:
                    args += [k, f"{i}:{v}"]
                assert c.call("MSET", *args) == "OK"
            return True
        finally:
            c.close()

    def reader():
        c = RespConn(server.port, timeout=120)
        try:
            for _ in range(5000):
                if stop.is_set():
                    return
                vals = c.call("MGET", *keys)
                if len(set(vals)) != 1:
                    torn.append(vals)
                    return
        finally:
            c.close()

    readers = [threading.Thread(target=reader, daemon=True) for _ in range(2)]
    for t in readers:
        t.start()
    try:
        _run_threads(writer, 4)
    finally:
        stop.set()
        for t in readers:
            t.join(timeout=60)
    assert not torn, f"MGET saw a torn MSET: {torn[0][:4]}"
