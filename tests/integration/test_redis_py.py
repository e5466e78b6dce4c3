"""redis-py against the server: strings, keys, expiry, pipelines, exact errors, RESP2/RESP3.

redis-py on Debian 12 is 4.3.4, which has no RESP3 support: RESP3 is checked over raw
sockets (HELLO 3) with the small parser in conftest.RespConn.
"""

import socket
import threading
import time

import pytest
import redis

from conftest import IS_REDIS, RespConn, RespError, tessera_only, wait_until


def err_of(fn, *a, **kw):
    with pytest.raises(redis.ResponseError) as ei:
        fn(*a, **kw)
    return str(ei.value)


# ------------------------------------------------------------------------------ basics

def test_ping_echo(r):
    assert r.ping() is True
    assert r.echo(b"hello") == b"hello"
    assert r.echo(b"") == b""


def test_set_get_basic(r):
    assert r.set("k", "v") is True
    assert r.get("k") == b"v"
    assert r.get("missing") is None
    assert r.set("k", "v2") is True
    assert r.get("k") == b"v2"
    assert r.strlen("k") == 2
    assert r.strlen("missing") == 0
    assert r.type("k") == b"string"
    assert r.type("missing") == b"none"


def test_set_options(r):
    assert r.set("k", "a", nx=True) is True
    assert r.set("k", "b", nx=True) is None
    assert r.get("k") == b"a"
    assert r.set("k", "c", xx=True) is True
    assert r.set("nokey", "c", xx=True) is None
    assert r.exists("nokey") == 0
    assert r.set("k", "d", get=True) == b"c"
    assert r.set("fresh", "x", get=True) is None
    assert r.get("fresh") == b"x"
    # KEEPTTL
    r.set("t", "1", ex=100)
    r.set("t", "2", keepttl=True)
    assert 0 < r.ttl("t") <= 100
    r.set("t", "3")
    assert r.ttl("t") == -1
    assert r.setnx("k", "zz") is False
    assert r.setnx("n1", "zz") is True
    assert r.setex("se", 100, "v") is True
    assert 0 < r.ttl("se") <= 100
    assert r.psetex("pse", 100000, "v") is True
    assert 0 < r.pttl("pse") <= 100000
    # EXAT / PXAT
    now = int(time.time())
    r.set("exat", "v", exat=now + 1000)
    assert r.execute_command("EXPIRETIME", "exat") == now + 1000
    assert 900 < r.ttl("exat") <= 1000


def test_set_errors(r):
    assert err_of(r.execute_command, "SET", "a", "b", "XX", "NX") == "syntax error"
    assert err_of(r.execute_command, "SET", "a", "b", "EX") == "syntax error"
    assert err_of(r.execute_command, "SET", "a", "b", "EX", "10", "PX", "100") == "syntax error"
    assert err_of(r.execute_command, "SET", "a", "b", "BOGUS") == "syntax error"
    assert err_of(r.execute_command, "SET", "a", "b", "EX", "0") == \
        "invalid expire time in 'set' command"
    assert err_of(r.execute_command, "SET", "a", "b", "EX", "-1") == \
        "invalid expire time in 'set' command"
    assert err_of(r.execute_command, "SET", "a", "b", "PX", "0") == \
        "invalid expire time in 'set' command"
    assert err_of(r.execute_command, "SET", "a", "b", "EX", "abc") == \
        "value is not an integer or out of range"
    assert err_of(r.execute_command, "SETEX", "a", "0", "v") == \
        "invalid expire time in 'setex' command"
    assert err_of(r.execute_command, "PSETEX", "a", "-5", "v") == \
        "invalid expire time in 'psetex' command"


def test_wrong_arity_errors(r):
    assert err_of(r.execute_command, "GET") == "wrong number of arguments for 'get' command"
    assert err_of(r.execute_command, "GET", "a", "b") == \
        "wrong number of arguments for 'get' command"
    assert err_of(r.execute_command, "SET", "a") == "wrong number of arguments for 'set' command"
    assert err_of(r.execute_command, "MSET", "a") == \
        "wrong number of arguments for 'mset' command"
    assert err_of(r.execute_command, "MSET", "a", "b", "c") == \
        "wrong number of arguments for 'mset' command"
    assert err_of(r.execute_command, "MSETNX", "a", "b", "c") == \
        "wrong number of arguments for 'msetnx' command"
    assert err_of(r.execute_command, "DEL") == "wrong number of arguments for 'del' command"
    assert err_of(r.execute_command, "EXPIRE", "a") == \
        "wrong number of arguments for 'expire' command"
    assert err_of(r.execute_command, "INCR") == "wrong number of arguments for 'incr' command"
    assert err_of(r.execute_command, "PING", "a", "b") == \
        "wrong number of arguments for 'ping' command"


def test_unknown_command_errors(r):
    assert err_of(r.execute_command, "foo", "a", "b") == \
        "unknown command 'foo', with args beginning with: 'a' 'b' "
    assert err_of(r.execute_command, "foo") == "unknown command 'foo', with args beginning with: "
    assert err_of(r.execute_command, "FooBar", "x") == \
        "unknown command 'FooBar', with args beginning with: 'x' "
    # the name and each argument are quoted up to a NUL byte, as C's %s prints them
    assert err_of(r.execute_command, b"fo\0ox", b"a\0b", "cd") == \
        "unknown command 'fo', with args beginning with: 'a' 'cd' "
    # the connection keeps working
    assert r.ping() is True


def test_integer_errors(r):
    r.set("s", "abc")
    assert err_of(r.incr, "s") == "value is not an integer or out of range"
    assert err_of(r.execute_command, "INCRBY", "n", "1.5") == \
        "value is not an integer or out of range"
    assert err_of(r.execute_command, "EXPIRE", "s", "abc") == \
        "value is not an integer or out of range"
    r.set("big", "9223372036854775807")
    assert err_of(r.incr, "big") == "increment or decrement would overflow"
    r.set("small", "-9223372036854775808")
    assert err_of(r.decr, "small") == "increment or decrement would overflow"
    assert err_of(r.execute_command, "DECRBY", "x", "-9223372036854775808") == \
        "decrement would overflow"
    r.set("sp", " 1")
    assert err_of(r.incr, "sp") == "value is not an integer or out of range"
    r.set("sp", "01x")
    assert err_of(r.incr, "sp") == "value is not an integer or out of range"


def test_incr_family(r):
    assert r.incr("c") == 1
    assert r.incr("c") == 2
    assert r.incrby("c", 10) == 12
    assert r.decr("c") == 11
    assert r.decrby("c", 20) == -9
    assert r.get("c") == b"-9"
    r.set("m", "9223372036854775806")
    assert r.incr("m") == 9223372036854775807
    r.set("neg", "-10")
    assert r.incrby("neg", -5) == -15


def test_incrbyfloat(r):
    assert r.incrbyfloat("f", 10.5) == 10.5
    assert r.get("f") == b"10.5"
    assert r.incrbyfloat("f", 0.1) == pytest.approx(10.6)
    assert r.get("f") == b"10.6"
    r.set("f2", "5.0e3")
    assert r.incrbyfloat("f2", 200) == 5200
    assert r.get("f2") == b"5200"
    r.set("f3", "3")
    assert r.incrbyfloat("f3", -3) == 0
    assert r.get("f3") == b"0"
    r.set("s", "abc")
    assert err_of(r.incrbyfloat, "s", 1) == "value is not a valid float"
    assert err_of(r.execute_command, "INCRBYFLOAT", "f", "abc") == "value is not a valid float"
    r.set("huge", "1e308")
    assert err_of(r.execute_command, "INCRBYFLOAT", "huge", "inf") == \
        "increment would produce NaN or Infinity"
    assert r.get("huge") == b"1e308"
    # Redis computes in long double and prints with %.17Lf, trailing zeros trimmed:
    r.set("prec", "0.1")
    r.incrbyfloat("prec", 0.2)
    assert r.get("prec") == b"0.3"
    r.set("prec", "1")
    r.execute_command("INCRBYFLOAT", "prec", "1e-5")
    assert r.get("prec") == b"1.00001"


def test_append_strlen_getrange_setrange(r):
    assert r.append("a", "Hello") == 5
    assert r.append("a", " World") == 11
    assert r.get("a") == b"Hello World"
    assert r.getrange("a", 0, 4) == b"Hello"
    assert r.getrange("a", -5, -1) == b"World"
    assert r.getrange("a", 0, -1) == b"Hello World"
    assert r.getrange("a", 5, 3) == b""
    assert r.getrange("a", 100, 200) == b""
    assert r.getrange("missing", 0, -1) == b""
    assert r.setrange("a", 6, "Redis") == 11
    assert r.get("a") == b"Hello Redis"
    assert r.setrange("pad", 5, "x") == 6
    assert r.get("pad") == b"\x00\x00\x00\x00\x00x"
    assert r.setrange("empty", 0, "") == 0
    assert r.exists("empty") == 0
    assert err_of(r.execute_command, "SETRANGE", "a", "-1", "x") == "offset is out of range"
    assert err_of(r.execute_command, "SETRANGE", "a", "536870912", "x") == \
        "string exceeds maximum allowed size (proto-max-bulk-len)"
    assert err_of(r.execute_command, "GETRANGE", "a", "x", "y") == \
        "value is not an integer or out of range"


def test_append_and_setrange_on_values_kept_out_of_line(r):
    # Values past the 4 KiB item limit are edited in place (with a reserve, as Redis's sds);
    # check the bytes, lengths and TTL against a model across many edits.
    model = bytearray(b"s" * 5000)
    r.set("big", bytes(model), ex=1000)
    pipe = r.pipeline(transaction=False)
    for i in range(2000):
        piece = bytes([65 + i % 26]) * (1 + i % 37)
        pipe.append("big", piece)
        model += piece
        if i % 100 == 0:
            at = (i * 7919) % (len(model) + 50)
            patch = b"<%d>" % i
            pipe.setrange("big", at, patch)
            model += b"\0" * max(0, at + len(patch) - len(model))
            model[at:at + len(patch)] = patch
    replies = pipe.execute()
    assert all(isinstance(n, int) and n > 0 for n in replies)
    assert replies[-1] == len(model)
    assert r.strlen("big") == len(model)
    assert r.get("big") == bytes(model)
    assert r.getrange("big", -10, -1) == bytes(model[-10:])
    assert 990 <= r.ttl("big") <= 1000
    # A value that grows from inline to out of line, and an int that becomes text.
    r.set("n", 12345)
    assert r.append("n", "x" * 5000) == 5005
    assert r.get("n") == b"12345" + b"x" * 5000
    assert r.setrange("n", 6000, "end") == 6003
    assert r.get("n") == b"12345" + b"x" * 5000 + b"\0" * 995 + b"end"
    assert r.ttl("n") == -1

def test_getex_getdel_getset(r):
    r.set("k", "v")
    assert r.getex("k", ex=100) == b"v"
    assert 0 < r.ttl("k") <= 100
    assert r.getex("k", persist=True) == b"v"
    assert r.ttl("k") == -1
    assert r.getex("k", px=100000) == b"v"
    assert 0 < r.pttl("k") <= 100000
    assert r.getex("k") == b"v"
    assert r.getex("missing", ex=10) is None
    assert err_of(r.execute_command, "GETEX", "k", "EX", "0") == \
        "invalid expire time in 'getex' command"
    assert err_of(r.execute_command, "GETEX", "k", "PERSIST", "EX", "10") == "syntax error"
    assert r.getdel("k") == b"v"
    assert r.exists("k") == 0
    assert r.getdel("k") is None
    assert r.getset("gs", "1") is None
    assert r.getset("gs", "2") == b"1"
    assert r.get("gs") == b"2"


def test_wrongtype_not_applicable_strings_only(r):
    # Only the string type exists in this command set; TYPE reports it.
    r.set("s", "1")
    assert r.type("s") == b"string"


# ------------------------------------------------------------------------------ keys

def test_del_unlink_exists_touch(r):
    r.mset({"a": 1, "b": 2, "c": 3})
    assert r.exists("a", "b", "c", "d") == 3
    assert r.exists("a", "a", "a") == 3
    assert r.touch("a", "b", "zz") == 2
    assert r.delete("a", "zz") == 1
    assert r.unlink("b", "c", "b") == 2
    assert r.exists("a", "b", "c") == 0
    assert r.delete("nothing") == 0


def test_rename_renamenx(r):
    r.set("src", "v", ex=1000)
    assert r.rename("src", "dst") is True
    assert r.get("dst") == b"v"
    assert r.exists("src") == 0
    assert 0 < r.ttl("dst") <= 1000  # TTL moves with the key
    assert err_of(r.rename, "nokey", "x") == "no such key"
    assert err_of(r.renamenx, "nokey", "x") == "no such key"
    r.set("other", "o")
    assert r.renamenx("dst", "other") is False
    assert r.get("dst") == b"v"
    assert r.renamenx("dst", "new") is True
    assert r.get("new") == b"v"
    r.set("other", "o")
    assert r.rename("new", "other") is True  # overwrite
    assert r.get("other") == b"v"
    r.set("self", "s")
    assert r.rename("self", "self") is True
    assert r.get("self") == b"s"
    assert r.renamenx("self", "self") is False


def test_expire_family_and_ttl_values(r):
    r.set("k", "v")
    assert r.ttl("k") == -1
    assert r.pttl("k") == -1
    assert r.ttl("missing") == -2
    assert r.pttl("missing") == -2
    assert r.execute_command("EXPIRETIME", "k") == -1
    assert r.execute_command("EXPIRETIME", "missing") == -2
    assert r.expire("k", 100) is True
    assert 0 < r.ttl("k") <= 100
    assert 0 < r.pttl("k") <= 100000
    assert r.expire("missing", 100) is False
    assert r.persist("k") is True
    assert r.persist("k") is False
    assert r.ttl("k") == -1
    at = int(time.time()) + 1000
    assert r.expireat("k", at) is True
    assert r.execute_command("EXPIRETIME", "k") == at
    assert r.execute_command("PEXPIRETIME", "k") == at * 1000
    assert r.pexpireat("k", at * 1000 + 500) is True
    assert r.execute_command("PEXPIRETIME", "k") == at * 1000 + 500
    assert r.pexpire("k", 100000) is True
    assert 0 < r.pttl("k") <= 100000
    # Options (Redis 7): NX XX GT LT
    r.set("o", "v")
    assert r.execute_command("EXPIRE", "o", "100", "XX") == 0
    assert r.execute_command("EXPIRE", "o", "100", "NX") == 1
    assert r.execute_command("EXPIRE", "o", "200", "NX") == 0
    assert r.execute_command("EXPIRE", "o", "50", "GT") == 0
    assert r.execute_command("EXPIRE", "o", "300", "GT") == 1
    assert r.execute_command("EXPIRE", "o", "50", "LT") == 1
    assert err_of(r.execute_command, "EXPIRE", "o", "10", "NX", "XX") == \
        "NX and XX, GT or LT options at the same time are not compatible"
    assert err_of(r.execute_command, "EXPIRE", "o", "10", "BOGUS") == \
        "Unsupported option BOGUS"
    # Negative / past expiry deletes immediately
    r.set("neg", "v")
    assert r.expire("neg", -1) is True
    assert r.exists("neg") == 0
    r.set("past", "v")
    assert r.expireat("past", 1) is True
    assert r.get("past") is None


def test_expiry_actually_expires(r):
    r.set("e1", "v")
    r.set("e2", "v")
    r.set("e3", "v", px=100)
    r.set("keep", "v")
    assert r.pexpire("e1", 50) is True
    assert r.pexpire("e2", 200) is True
    wait_until(lambda: r.exists("e1", "e2", "e3") == 0, timeout=30, what="keys to expire")
    assert r.get("e1") is None and r.get("e2") is None and r.get("e3") is None
    assert r.ttl("e1") == -2
    assert r.get("keep") == b"v"
    assert r.dbsize() == 1
    # Keys never read again are also reclaimed (active expiry): DBSIZE eventually drops.
    r.set("lazy", "v", px=50)
    wait_until(lambda: r.dbsize() == 1, timeout=30, what="active expiry")


def test_keys_randomkey_dbsize(r):
    assert r.randomkey() is None
    assert r.keys("*") == []
    r.mset({"user:1": 1, "user:2": 2, "user:10": 3, "order:1": 4, "a*b": 5, "h?llo": 6})
    assert r.dbsize() == 6
    assert sorted(r.keys("*")) == sorted([b"user:1", b"user:2", b"user:10", b"order:1",
                                          b"a*b", b"h?llo"])
    assert sorted(r.keys("user:?")) == [b"user:1", b"user:2"]
    assert sorted(r.keys("user:*")) == [b"user:1", b"user:10", b"user:2"]
    assert sorted(r.keys("user:[12]")) == [b"user:1", b"user:2"]
    assert sorted(r.keys("user:[^1]")) == [b"user:2"]
    assert r.keys("a\\*b") == [b"a*b"]
    assert r.keys("nomatch*") == []
    seen = set()
    for _ in range(200):
        k = r.randomkey()
        assert k in {b"user:1", b"user:2", b"user:10", b"order:1", b"a*b", b"h?llo"}
        seen.add(k)
        if len(seen) >= 2:
            break
    assert len(seen) >= 2


def test_scan_completeness(r):
    n = 5000
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.set(f"scan:{i}", i)
        if i % 3 == 0:
            p.set(f"other:{i}", i)
    p.execute()
    total = n + len(range(0, n, 3))
    assert r.dbsize() == total

    def full_scan(**kw):
        seen = []
        cursor = 0
        for _ in range(100000):  # bounded
            cursor, keys = r.scan(cursor=cursor, **kw)
            seen.extend(keys)
            if cursor == 0:
                return seen
        raise AssertionError("SCAN did not terminate")

    allkeys = full_scan(count=100)
    assert set(allkeys) == {f"scan:{i}".encode() for i in range(n)} | \
        {f"other:{i}".encode() for i in range(0, n, 3)}
    matched = full_scan(match="scan:1*", count=500)
    expect = {f"scan:{i}".encode() for i in range(n) if str(i).startswith("1")}
    assert set(matched) == expect
    assert set(full_scan(match="other:*")) == {f"other:{i}".encode() for i in range(0, n, 3)}
    assert set(full_scan(match="nothing:*", count=1000)) == set()
    # TYPE filter
    assert len(set(full_scan(count=1000, _type="string"))) == total
    # Errors
    assert err_of(r.execute_command, "SCAN", "abc") == "invalid cursor"
    assert err_of(r.execute_command, "SCAN", "0", "COUNT", "0") == "syntax error"
    assert err_of(r.execute_command, "SCAN", "0", "BOGUS") == "syntax error"


def test_scan_with_deletes_during_iteration(r):
    # Keys present for the whole iteration must all be returned.
    r.mset({f"stay:{i}": 1 for i in range(1000)})
    r.mset({f"go:{i}": 1 for i in range(1000)})
    seen = set()
    cursor = 0
    for step in range(100000):
        cursor, keys = r.scan(cursor=cursor, count=50)
        seen.update(keys)
        if step < 20:
            r.delete(*[f"go:{j}" for j in range(step * 50, step * 50 + 50)])
        if cursor == 0:
            break
    assert {f"stay:{i}".encode() for i in range(1000)} <= seen


def test_scan_of_a_sparse_keyspace_ends_without_empty_pages(server_factory):
    """A scan finishes as soon as no shard has keys left for it: SCAN 0 of an empty database
    answers cursor 0, as Redis's does, and a single key takes at most two calls (the first
    shard's page, then the key's shard), whichever of the four shards holds it."""
    srv = server_factory() if IS_REDIS else server_factory("--workers", "4")
    r = srv.client()
    assert r.scan(0) == (0, [])
    for i in range(8):
        r.set(f"only:{i}", "v")
        calls, cursor, seen = 0, 0, []
        while True:  # bounded: two calls at most, asserted below
            cursor, keys = r.scan(cursor)
            calls += 1
            seen += keys
            if cursor == 0 or calls > 2:
                break
        assert (cursor, seen) == (0, [f"only:{i}".encode()])
        r.delete(f"only:{i}")
    r.set("in-db-0", "v")  # other databases' keys do not count
    assert srv.client(db=1).scan(0) == (0, [])


def test_flushdb_flushall_select(server):
    a = server.client(db=0)
    b = server.client(db=1)
    a.flushall()
    a.set("k", "db0")
    b.set("k", "db1")
    b.set("only1", "x")
    assert a.get("k") == b"db0"
    assert b.get("k") == b"db1"
    assert a.get("only1") is None
    assert a.dbsize() == 1
    assert b.dbsize() == 2
    assert b.flushdb() is True
    assert b.dbsize() == 0
    assert a.dbsize() == 1
    b.set("again", "1")
    assert a.flushall() is True
    assert a.dbsize() == 0
    assert b.dbsize() == 0
    b.execute_command("FLUSHDB", "ASYNC")
    a.execute_command("FLUSHALL", "SYNC")
    assert err_of(a.execute_command, "SELECT", "99") == "DB index is out of range"
    assert err_of(a.execute_command, "SELECT", "-1") == "DB index is out of range"
    assert err_of(a.execute_command, "SELECT", "abc") == "value is not an integer or out of range"
    assert (err_of(a.execute_command, "SELECT", "2147483648")
            == "value is out of range, value must between -2147483648 and 2147483647")
    assert err_of(a.execute_command, "FLUSHDB", "BOGUS") == "syntax error"


def test_select_on_raw_connection(server):
    with server.raw() as c:
        assert c.call("SELECT", "15") == "OK"
        assert c.call("SET", "x", "15") == "OK"
        assert c.call("SELECT", "0") == "OK"
        assert c.call("GET", "x") is None
        assert c.call("SELECT", "15") == "OK"
        assert c.call("GET", "x") == b"15"
        assert c.call("FLUSHDB") == "OK"


def test_mset_mget_many_keys(r):
    n = 10000
    data = {f"mk:{i}": f"val-{i}" for i in range(n)}
    assert r.mset(data) is True
    keys = list(data) + ["missing:1", "missing:2"]
    vals = r.mget(keys)
    assert vals[:n] == [f"val-{i}".encode() for i in range(n)]
    assert vals[n:] == [None, None]
    assert r.dbsize() == n
    # repeated keys and order preserved
    assert r.mget(["mk:5", "mk:1", "mk:5", "nope"]) == [b"val-5", b"val-1", b"val-5", None]
    assert r.delete(*keys) == n
    assert r.dbsize() == 0
    # MSET with duplicates: last one wins
    r.execute_command("MSET", "d", "1", "d", "2", "d", "3")
    assert r.get("d") == b"3"


def test_msetnx(r):
    assert r.msetnx({"x1": "a", "x2": "b"}) is True
    assert r.msetnx({"x2": "z", "x3": "c"}) is False
    assert r.get("x2") == b"b"
    assert r.exists("x3") == 0
    many = {f"nx:{i}": i for i in range(2000)}
    assert r.msetnx(many) is True
    assert r.mget(list(many)) == [str(i).encode() for i in range(2000)]
    many["x1"] = "clash"
    assert r.msetnx(many) is False


def test_pipeline_1000(r):
    p = r.pipeline(transaction=False)
    for i in range(1000):
        p.set(f"p:{i}", i)
        p.incr("counter")
        p.get(f"p:{i}")
    res = p.execute()
    assert len(res) == 3000
    for i in range(1000):
        assert res[3 * i] is True
        assert res[3 * i + 1] == i + 1
        assert res[3 * i + 2] == str(i).encode()
    # Errors inside a pipeline stay in place and do not disturb their neighbours.
    p = r.pipeline(transaction=False)
    for i in range(1000):
        if i % 100 == 50:
            p.incr("p:not-a-number-key-is-a-string")
        p.get(f"p:{i}")
    r.set("p:not-a-number-key-is-a-string", "x")
    res = p.execute(raise_on_error=False)
    assert len(res) == 1010
    errors = [x for x in res if isinstance(x, redis.ResponseError)]
    assert len(errors) == 10
    assert all(str(e) == "value is not an integer or out of range" for e in errors)
    vals = [x for x in res if not isinstance(x, redis.ResponseError)]
    assert vals == [str(i).encode() for i in range(1000)]


def test_binary_values(r):
    v = b"a\x00b\r\nc\r\n\x00\xff\xfe" + bytes(range(256))
    k = b"bin\x00key\r\n"
    assert r.set(k, v) is True
    assert r.get(k) == v
    assert r.strlen(k) == len(v)
    assert r.append(k, b"\r\n\x00") == len(v) + 3
    assert r.get(k) == v + b"\r\n\x00"
    assert r.getrange(k, 1, 4) == b"\x00b\r\n"
    assert r.mget([k, b"\r\n"]) == [v + b"\r\n\x00", None]
    assert r.exists(k) == 1
    assert k in r.keys("bin*")
    assert r.echo(b"\x00\r\n") == b"\x00\r\n"


def test_big_value_10mib(r):
    v = (b"0123456789abcdef\x00\r\n" * (10 * 1024 * 1024 // 19 + 1))[:10 * 1024 * 1024]
    assert r.set("big", v) is True
    got = r.get("big")
    assert len(got) == len(v)
    assert got == v
    assert r.strlen("big") == len(v)
    assert r.getrange("big", len(v) - 3, -1) == v[-3:]
    assert r.delete("big") == 1


def assert_info_follows_replies(r, rounds=50):
    """SET then INFO keyspace, GET then INFO stats, one round trip each: every INFO counts the
    command whose reply came just before it."""
    base_hits = r.info("stats")["keyspace_hits"]
    stale = []
    for i in range(rounds):
        assert r.set(f"fresh{i}", "x") is True
        keys = r.info("keyspace").get("db0", {}).get("keys")
        assert r.get(f"fresh{i}") == b"x"
        hits = r.info("stats")["keyspace_hits"] - base_hits
        if (keys, hits) != (i + 1, i + 1):
            stale.append((i + 1, keys, hits))
    assert not stale, f"INFO rounds behind the reply just received (expected, keys, hits): {stale}"


def test_info_after_a_reply_counts_that_command(r):
    assert_info_follows_replies(r)


@tessera_only
def test_info_after_a_reply_counts_that_command_while_the_worker_spins(server_factory):
    """A worker publishes its counts before its replies leave the thread, not when it parks:
    with a long spin before parking (the window in which INFO used to read the previous
    counts, hit in most rounds), every round still counts the command just answered."""
    srv = server_factory("--spin-polls", "100000")
    assert_info_follows_replies(srv.client())


def test_info_pipelined_behind_commands_counts_exactly_them(r):
    """INFO runs on the parser thread, the commands before it on workers: pipelined behind
    them it waits until they are answered, and what follows it waits for INFO."""
    stale = []
    for i in range(30):
        p = r.pipeline(transaction=False)
        for j in range(3):
            p.set(f"k{i}:{j}", "v")
        p.info("keyspace")
        p.set(f"after{i}", "v")
        keys = p.execute()[3]["db0"]["keys"]
        if keys != 4 * i + 3:
            stale.append((4 * i + 3, keys))
    assert not stale, f"pipelined INFO out of stream order (expected, seen): {stale}"


def test_config_resetstat_pipelined_behind_reads_resets_after_them(r):
    r.set("hit", "v")
    p = r.pipeline(transaction=False)
    for _ in range(20):
        p.get("hit")
    p.get("nosuch")
    p.config_resetstat()
    assert p.execute()[-1] is True
    stats = r.info("stats")
    assert (stats["keyspace_hits"], stats["keyspace_misses"]) == (0, 0)


def test_info_config_time_command(r, server):
    info = r.info()
    assert "redis_version" in info
    assert "connected_clients" in info
    mem = r.info("memory")
    assert "used_memory" in mem
    ks = r.info("keyspace")
    assert isinstance(ks, dict)
    r.set("a", 1)
    assert r.info("keyspace")["db0"]["keys"] == 1
    t = r.time()
    assert abs(t[0] - time.time()) < 120 and 0 <= t[1] < 1000000
    assert r.config_get("maxclients")["maxclients"]
    assert r.config_set("maxclients", "1000") is True
    assert r.config_get("maxclients")["maxclients"] == "1000"
    assert r.config_resetstat() is True
    assert err_of(r.execute_command, "CONFIG", "SET", "no-such-parameter", "1").startswith(
        "Unknown option or number of arguments for CONFIG SET - 'no-such-parameter'")
    # Several pairs: names are checked before values (Redis 7.0's configSetCommand).
    assert err_of(r.execute_command, "CONFIG", "SET", "hz", "10", "HZ", "abc") == \
        "CONFIG SET failed (possibly related to argument 'HZ') - duplicate parameter"
    assert err_of(r.execute_command, "CONFIG", "SET", "hz", "abc", "no-such", "1") == \
        "Unknown option or number of arguments for CONFIG SET - 'no-such'"
    assert err_of(r.execute_command, "CONFIG", "SET", "maxclients", "900", "hz", "abc") == \
        "CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"
    assert r.config_get("maxclients")["maxclients"] == "1000"
    assert r.execute_command("CONFIG", "SET", "maxclients", "900", "hz", "12") == b"OK"
    assert r.config_get("maxclients")["maxclients"] == "900"
    assert r.config_get("hz")["hz"] == "12"
    with server.raw() as c:
        n = c.call("COMMAND", "COUNT")
        assert isinstance(n, int) and n > 30
        info = c.call("COMMAND", "INFO", "get", "nosuchcmd")
        assert len(info) == 2 and info[1] is None
        assert info[0][0] == b"get" and info[0][1] == 2  # name, arity
        assert "readonly" in info[0][2]  # flags are status replies
        assert info[0][3:6] == [1, 1, 1]  # first key, last key, step
        docs = c.call("COMMAND", "DOCS", "get")
        assert isinstance(docs, list) and docs[0] == b"get"


@pytest.mark.parametrize("container,lines", [
    ("CONFIG", ["GET <pattern>", "SET <directive> <value>", "RESETSTAT", "REWRITE"]),
    ("COMMAND", ["(no subcommand)", "COUNT", "LIST", "INFO [<command-name> ...]", "DOCS [<command-name> ...]",
                 "GETKEYS <full-command>"]),
    ("CLIENT", ["GETNAME", "ID", "KILL <ip:port>", "KILL <option> <value> [<option> <value> [...]]", "SETNAME <name>"]),
])
def test_help_of_container_commands(server, r, container, lines):
    """Redis's addReplyHelp layout; Tessera lists what it supports, in Redis's order and words."""
    with server.raw() as c:
        help_lines = c.call(container, "HELP")
    assert help_lines[0] == f"{container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert help_lines[-2:] == ["HELP", "    Prints this help."]
    positions = [help_lines.index(line) for line in lines]
    assert positions == sorted(positions), help_lines
    assert err_of(r.execute_command, container, "HELP", "x") == \
        f"wrong number of arguments for '{container.lower()}|help' command"


def test_config_rewrite_without_a_config_file(r):
    assert err_of(r.config_rewrite) == "The server is running without a config file"


@tessera_only  # the harness starts redis-server with flags only
def test_config_rewrite_writes_what_config_set_changed(server_factory, tmp_path):
    """CONFIG REWRITE updates the file's own lines in place, keeps its comments and appends
    the other keys that differ from the defaults; a server started from it runs with them."""
    conf = tmp_path / "tessera.conf"
    conf.write_text("# tuned for the test\nhz 10\n")
    srv = server_factory("--config", str(conf))
    r = srv.client()
    assert r.config_set("hz", "20") is True
    assert r.config_set("timeout", "300") is True
    assert r.config_rewrite() == b"OK"  # redis-py 4.3 returns it raw
    lines = conf.read_text().splitlines()
    assert lines[:3] == ["# tuned for the test", "hz 20", "# Generated by CONFIG REWRITE"]
    assert "timeout 300" in lines[3:]
    again = server_factory("--config", str(conf))
    assert again.client().config_get("hz") == {"hz": "20"}
    assert again.client().config_get("timeout") == {"timeout": "300"}


def test_config_set_persistence_off(r):
    """Scripts turn persistence off at runtime; Tessera has none, so that is all it accepts."""
    assert r.config_set("save", "") is True
    assert r.config_set("appendonly", "no") is True
    assert r.config_get("save") == {"save": ""}
    assert r.config_get("appendonly") == {"appendonly": "no"}
    if not IS_REDIS:
        assert err_of(r.config_set, "save", "3600 1") == \
            "CONFIG SET failed (possibly related to argument 'save') - argument must be \"\" (Tessera does not persist data)"


def test_command_getkeys(server):
    """Redis 7.0's commandGetKeys: the keys of a call from the key positions, and its errors in
    its order (unknown command, no key arguments, the call's arity)."""
    with server.raw() as c:
        def getkeys(*call):
            reply = c.call("COMMAND", "GETKEYS", *call)
            return str(reply) if isinstance(reply, RespError) else reply
        assert getkeys("SET", "a", "b", "EX", "10") == [b"a"]
        assert getkeys("mset", "a", "1", "b", "2") == [b"a", b"b"]
        assert getkeys("DEL", "a", "b", "c") == [b"a", b"b", b"c"]
        assert getkeys("RENAME", "a", "b") == [b"a", b"b"]
        assert getkeys("GETEX", "a", "PERSIST") == [b"a"]
        assert getkeys("nosuch", "x") == "ERR Invalid command specified"
        assert getkeys("CONFIG", "nosuch") == "ERR Invalid command specified"
        assert getkeys("PING", "x") == "ERR The command has no key arguments"
        assert getkeys("CONFIG", "GET", "x") == "ERR The command has no key arguments"
        assert getkeys("SET", "a") == "ERR Invalid number of arguments specified for command"
        assert getkeys("MSETNX", "a") == "ERR Invalid number of arguments specified for command"
        assert getkeys("GET") == "ERR wrong number of arguments for 'command|getkeys' command"


def test_subcommand_arity_errors_and_unknown_command_info(server, r):
    """Redis 7: a known CLIENT subcommand with the wrong arity names it; COMMAND INFO answers a
    null bulk (not a null array) for an unknown name."""
    assert err_of(r.execute_command, "CLIENT", "GETNAME", "x") == \
        "wrong number of arguments for 'client|getname' command"
    assert err_of(r.execute_command, "CLIENT", "kill") == \
        "wrong number of arguments for 'client|kill' command"
    assert err_of(r.execute_command, "CLIENT", "nosuch").startswith("unknown subcommand 'nosuch'")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"COMMAND INFO nosuchcmd\r\n")
        want = b"*1\r\n$-1\r\n"
        got = b""
        while len(got) < len(want):
            chunk = s.recv(64)
            assert chunk, got
            got += chunk
        assert got == want


def test_client_list_type_and_id_filters(server):
    """CLIENT LIST TYPE / ID, as Redis 7.0: IDs in argument order, unknown ones skipped."""
    with server.raw() as a, server.raw() as b:
        ida, idb = a.call("CLIENT", "ID"), b.call("CLIENT", "ID")
        lines = a.call("CLIENT", "LIST", "ID", str(idb), "999999999", str(ida)).decode().splitlines()
        assert [ln.split(" ", 1)[0] for ln in lines] == [f"id={idb}", f"id={ida}"]
        normal = a.call("CLIENT", "LIST", "TYPE", "normal").decode()
        assert f"id={ida} " in normal and f"id={idb} " in normal
        assert a.call("CLIENT", "LIST", "TYPE", "pubsub") == b""
        assert str(a.call("CLIENT", "LIST", "TYPE", "bogus")) == "ERR Unknown client type 'bogus'"
        assert str(a.call("CLIENT", "LIST", "ID", "abc")) == "ERR Invalid client ID"
        assert str(a.call("CLIENT", "LIST", "ID")) == "ERR syntax error"
        assert str(a.call("CLIENT", "LIST", "bogus", "x")) == "ERR syntax error"


def test_client_commands(server):
    c = server.client(decode_responses=True)
    cid = c.client_id()
    assert isinstance(cid, int) and cid > 0
    assert c.client_getname() is None
    assert c.client_setname("tester") is True
    assert c.client_getname() == "tester"
    lst = c.client_list()
    me = [x for x in lst if int(x["id"]) == cid]
    assert me and me[0]["name"] == "tester"
    info = c.execute_command("CLIENT", "INFO")
    assert f"id={cid} " in info and "name=tester" in info
    if not IS_REDIS:  # CLIENT SETINFO is Redis 7.2; Debian ships 7.0
        assert c.execute_command("CLIENT", "SETINFO", "LIB-NAME", "mylib") == "OK"
    victim = server.client()
    vid = victim.client_id()
    assert c.client_kill_filter(_id=vid) == 1
    wait_until(lambda: all(int(x["id"]) != vid for x in c.client_list()), timeout=30,
               what="killed client to leave CLIENT LIST")
    assert str(pytest.raises(redis.ResponseError, c.execute_command, "CLIENT", "SETNAME",
                             "has space").value) == \
        "Client names cannot contain spaces, newlines or special characters."


def test_quit(server):
    with server.raw() as c:
        assert c.call("QUIT") == "OK"
        assert c.read_until_closed(timeout=30) == b""


@pytest.mark.parametrize("backend", ["epoll", "io_uring"])
def test_quit_mid_pipeline_delivers_every_earlier_reply(server_factory, backend):
    """Commands pipelined after QUIT are neither run nor answered, and every reply before it
    arrives, then EOF, even while megabytes of replies are still queued when the server
    closes: closing with the rest of the input unread would reset the connection and throw
    the queued replies away."""
    if IS_REDIS and backend != "epoll":
        pytest.skip("Tessera backend flag")
    srv = server_factory() if IS_REDIS else server_factory("--io-backend", backend)
    value = b"q" * 100_000
    with srv.raw() as c:
        assert c.call("SET", "quit:big", value) == "OK"
        after_quit = RespConn.encode("SET", "quit:after", "x") + RespConn.encode("SET", "quit:pad", b"p" * 30_000)
        c.send(RespConn.encode("GET", "quit:big") * 64 + RespConn.encode("QUIT") + after_quit)
        # Not a timing assertion: the pause lets the replies fill the socket buffers, so the
        # server closes with replies still queued, which is what a reset would lose.
        time.sleep(0.5)
        got = c.read_until_closed(timeout=60)
    assert len(got) == 64 * (len(value) + 11) + 5
    assert got == (b"$100000\r\n" + value + b"\r\n") * 64 + b"+OK\r\n"
    with srv.raw() as check:
        assert check.call("EXISTS", "quit:after", "quit:pad") == 0


@pytest.mark.parametrize("backend", ["epoll", "io_uring", "io_uring-single-shot"])
def test_replies_before_quit_survive_megabytes_sent_after_it(server_factory, monkeypatch, backend):
    """A client still sending after QUIT (8 MB here, from a thread of its own) gets every
    reply owed before it, then EOF, never a reset: the server keeps reading and dropping its
    input until it closes its end (a lingering close), so nothing it sends after the server
    is done reaches a closed socket."""
    if IS_REDIS and backend != "epoll":
        pytest.skip("Tessera backend flag")
    if backend == "io_uring-single-shot":
        monkeypatch.setenv("TESSERA_URING_BUFFER_RING", "0")
    srv = server_factory() if IS_REDIS else server_factory("--io-backend", backend.split("-")[0])
    value = b"q" * 100_000
    with srv.raw() as c:
        assert c.call("SET", "linger:big", value) == "OK"
        trailing = RespConn.encode("SET", "linger:after", b"t" * 100_000) * 80

        def send():
            try:
                c.send(RespConn.encode("GET", "linger:big") * 64 + RespConn.encode("QUIT") + trailing)
            except OSError:
                pass  # the client closed its end first (the assertions below say why)

        sender = threading.Thread(target=send)
        sender.start()
        got = c.read_until_closed(timeout=60)
        sender.join(timeout=60)
        assert not sender.is_alive()
    assert len(got) == 64 * (len(value) + 11) + 5
    assert got == (b"$100000\r\n" + value + b"\r\n") * 64 + b"+OK\r\n"
    with srv.raw() as check:
        assert check.call("EXISTS", "linger:after") == 0


def test_hello_resp2_and_resp3(server):
    with server.raw() as c:
        hello2 = c.call("HELLO", "2")
        assert isinstance(hello2, list)
        d2 = dict(zip(hello2[::2], hello2[1::2]))
        assert d2[b"proto"] == 2
        assert c.call("GET", "resp-missing") is None
        c.send(b"GET resp-missing\r\n")
        assert c.read_raw_line() == b"$-1"

        h = c.call("HELLO", "3")
        assert isinstance(h, dict)
        assert h[b"proto"] == 3
        for k in (b"server", b"version", b"proto", b"id", b"mode", b"role", b"modules"):
            assert k in h
        # RESP3 null for a missing key
        c.send(c.encode("GET", "resp-missing"))
        assert c.read_raw_line() == b"_"
        assert c.call("SET", "r3", "v") == "OK"
        assert c.call("GET", "r3") == b"v"
        assert c.call("MGET", "r3", "resp-missing") == [b"v", None]
        assert c.call("INCR", "r3i") == 1
        cfg = c.call("CONFIG", "GET", "maxclients")
        assert isinstance(cfg, dict) and b"maxclients" in cfg
        c.call("DEL", "r3", "r3i")
        err = c.call("HELLO", "4")
        assert isinstance(err, RespError)
        assert str(err) == "NOPROTO unsupported protocol version"
        # Still RESP3 after a failed HELLO
        c.send(c.encode("GET", "resp-missing"))
        assert c.read_raw_line() == b"_"
        h2 = c.call("HELLO", "2", "SETNAME", "named")
        assert isinstance(h2, list)
        assert c.call("CLIENT", "GETNAME") == b"named"
        c.send(c.encode("GET", "resp-missing"))
        assert c.read_raw_line() == b"$-1"


def test_resp3_typed_replies(server):
    with server.raw() as c:
        c.call("HELLO", "3")
        c.call("FLUSHALL")
        c.call("SET", "k", "v")
        c.send(c.encode("EXISTS", "k"))
        assert c.read_raw_line() == b":1"
        c.send(c.encode("INCRBYFLOAT", "f", "1.5"))
        assert c.read_raw_line() == b"$3"
        assert c.read_raw_line() == b"1.5"
        c.send(c.encode("TTL", "k"))
        assert c.read_raw_line() == b":-1"
        c.send(c.encode("KEYS", "*"))
        assert c.read_raw_line() == b"*2"
        c.read_reply(), c.read_reply()
        c.send(c.encode("foo", "x"))
        assert c.read_raw_line() == b"-ERR unknown command 'foo', with args beginning with: 'x' "
        c.call("FLUSHALL")


def test_dbsize_after_many_ops(r):
    p = r.pipeline(transaction=False)
    for i in range(3000):
        p.set(f"d:{i}", "x")
    for i in range(0, 3000, 2):
        p.delete(f"d:{i}")
    p.execute()
    assert r.dbsize() == 1500


# ------------------------------------------------------------------------------ Tessera only

def _multi_key_workload(c):
    n = 3000
    data = {f"mw:{i}": f"v{i}" for i in range(n)}
    assert c.mset(data) is True
    assert c.mget(list(data)) == [f"v{i}".encode() for i in range(n)]
    assert c.exists(*data) == n
    # interleave pipelined single-key ops with multi-key ones: replies stay in order
    p = c.pipeline(transaction=False)
    for i in range(200):
        p.set(f"mw:{i}", f"w{i}")
        p.mget([f"mw:{i}", f"mw:{i + 1}", "none"])
    res = p.execute()
    for i in range(200):
        assert res[2 * i] is True
        assert res[2 * i + 1] == [f"w{i}".encode(), f"v{i + 1}".encode(), None]
    # RENAME across keys (different shards)
    for i in range(200):
        assert c.rename(f"mw:{i}", f"renamed:{i}") is True
    assert c.mget([f"renamed:{i}" for i in range(200)]) == [f"w{i}".encode() for i in range(200)]
    assert c.exists(*[f"mw:{i}" for i in range(200)]) == 0
    for i in range(200):
        assert c.renamenx(f"renamed:{i}", f"mw:{i + 200}") is False
    assert c.msetnx({f"mw:{n - 1}": "x", "fresh-key": "y"}) is False
    assert c.exists("fresh-key") == 0
    assert c.delete(*list(data), *[f"renamed:{i}" for i in range(200)]) == n
    assert c.dbsize() == 0


@tessera_only
def test_multi_thread_topology(server_factory):
    srv = server_factory("--workers", "2", "--parsers", "2", "--repliers", "2")
    c = srv.client()
    c.flushall()
    _multi_key_workload(c)
    assert srv.ping_ok()


@tessera_only
@pytest.mark.parametrize("backend", ["epoll", "io_uring", "io_uring-single-shot"])
def test_io_backends(server_factory, monkeypatch, backend):
    """Each receive path: epoll, io_uring multishot receives over buffer rings, and the
    single-shot receives io_uring uses on kernels without buffer rings (forced here with
    TESSERA_URING_BUFFER_RING=0). A multi-key workload, a 3 MiB value, and 2000-command
    pipelines, sent split mid-command, far deeper than the in-flight cap, so reading pauses
    and resumes while receives are armed."""
    if backend == "io_uring-single-shot":
        monkeypatch.setenv("TESSERA_URING_BUFFER_RING", "0")
    srv = server_factory("--io-backend", backend.removesuffix("-single-shot"), "--client-max-inflight-commands", "8")
    c = srv.client()
    c.flushall()
    _multi_key_workload(c)
    v = b"\x00\r\n" * (1 << 20)
    c.set("big", v)
    assert c.get("big") == v
    with srv.raw() as raw:
        values = [b"%d-" % i * (i % 50 + 1) for i in range(2000)]
        raw.send(b"".join(RespConn.encode("SET", f"deep{i}", values[i]) for i in range(2000)))
        assert [raw.read_reply() for _ in range(2000)] == ["OK"] * 2000
        request = b"".join(RespConn.encode("GET", f"deep{i}") for i in range(2000))
        for at in range(0, len(request), 4093):  # split mid-command
            raw.send(request[at:at + 4093])
        assert [raw.read_reply() for _ in range(2000)] == values
    assert srv.ping_ok()


@tessera_only
def test_startup_line_format(server):
    with open(f"{server.logdir}/stdout", "rb") as f:
        first = f.readline()
    assert first == f"listening resp 127.0.0.1 {server.port}\n".encode()


@pytest.mark.skipif(not IS_REDIS, reason="sanity check of the Redis target")
def test_target_is_redis(r):
    assert "redis_version" in r.info("server")


@pytest.mark.parametrize("flags", [(), ("--workers", "2", "--parsers", "2", "--repliers", "2")])
def test_connection_state_applies_in_stream_order(server_factory, flags):
    """SELECT, HELLO and CLIENT SETNAME pipelined in one write apply to exactly the commands
    after them, whatever worker each key lives on."""
    if flags and IS_REDIS:
        pytest.skip("Tessera topology flags")
    srv = server_factory(*flags)
    c = srv.raw()
    keys = [f"k{i}" for i in range(20)]
    script = []
    for k in keys:
        script += [("SET", k, "db0"), ("SELECT", "3"), ("GET", k), ("SET", k, "db3"), ("SELECT", "0"), ("GET", k)]
    script += [("CLIENT", "SETNAME", "alpha"), ("CLIENT", "GETNAME"), ("HELLO", "3"), ("GET", "missing"),
               ("HELLO", "2"), ("GET", "missing")]
    c.send(b"".join(RespConn.encode(*cmd) for cmd in script))
    for _ in keys:
        assert [c.read_reply() for _ in range(6)] == ["OK", "OK", None, "OK", "OK", b"db0"]
    assert c.read_reply() == "OK"
    assert c.read_reply() == b"alpha"
    hello = c.read_reply()
    assert hello is not None
    # RESP3 null is "_\r\n", RESP2 null bulk is "$-1\r\n": the raw bytes show the switch.
    assert c.read_raw_line() == b"_"
    c.read_reply()  # HELLO 2 (a map rendered in RESP2)
    assert c.read_raw_line() == b"$-1"
