"""redis-cli and redis-benchmark (Debian's redis-tools 7.0) against the server."""

import csv
import io
import re
import shutil
import subprocess

import pytest

from conftest import RespConn

pytestmark = pytest.mark.skipif(shutil.which("redis-cli") is None, reason="redis-tools missing")


def cli(server, *args, stdin=None, timeout=120, check=True):
    p = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(server.port), *args],
                       input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    if check:
        assert p.returncode == 0, (p.returncode, p.stdout[-2000:], p.stderr[-2000:])
    return p.stdout


@pytest.fixture
def srv(server):
    server.client().flushall()
    yield server
    server.assert_alive()


def test_cli_basic_commands(srv):
    assert cli(srv, "PING") == b"PONG\n"
    assert cli(srv, "SET", "k", "hello world") == b"OK\n"
    assert cli(srv, "GET", "k") == b"hello world\n"
    assert cli(srv, "--no-raw", "GET", "k") == b'"hello world"\n'
    assert cli(srv, "--no-raw", "GET", "missing") == b"(nil)\n"
    assert cli(srv, "--no-raw", "INCR", "n") == b"(integer) 1\n"
    assert cli(srv, "--no-raw", "MGET", "k", "missing", "n") == \
        b'1) "hello world"\n2) (nil)\n3) "1"\n'
    assert cli(srv, "--no-raw", "GET") == \
        b"(error) ERR wrong number of arguments for 'get' command\n"
    assert cli(srv, "--no-raw", "foo", "a", "b") == \
        b"(error) ERR unknown command 'foo', with args beginning with: 'a' 'b' \n"
    assert cli(srv, "DBSIZE") == b"2\n"
    assert cli(srv, "EXISTS", "k", "n", "x") == b"2\n"
    assert cli(srv, "EXPIRE", "k", "100") == b"1\n"
    ttl = int(cli(srv, "TTL", "k"))
    assert 0 < ttl <= 100
    assert cli(srv, "TYPE", "k") == b"string\n"
    assert cli(srv, "RENAME", "k", "k2") == b"OK\n"
    assert cli(srv, "DEL", "k2", "n") == b"2\n"
    assert cli(srv, "DBSIZE") == b"0\n"
    assert cli(srv, "FLUSHALL") == b"OK\n"


def test_cli_binary_stdin_and_raw(srv):
    v = b"bin\x00ary\r\nvalue\xff"
    assert cli(srv, "-x", "SET", "bin", stdin=v) == b"OK\n"
    assert cli(srv, "STRLEN", "bin") == str(len(v)).encode() + b"\n"
    assert cli(srv, "--raw", "GET", "bin") == v + b"\n"
    assert cli(srv, "--no-raw", "GET", "bin") == b'"bin\\x00ary\\r\\nvalue\\xff"\n'


def test_cli_resp3(srv):
    cli(srv, "SET", "a", "1")
    out = cli(srv, "-3", "--no-raw", "HELLO", "3")
    assert b'"proto"' in out and b"(integer) 3" in out
    assert cli(srv, "-3", "--no-raw", "GET", "missing") == b"(nil)\n"
    assert cli(srv, "-3", "--no-raw", "GET", "a") == b'"1"\n'
    out = cli(srv, "-3", "--no-raw", "CONFIG", "GET", "maxclients")
    assert out.startswith(b'1# "maxclients" => ')


def test_cli_info_and_scan(srv):
    cli(srv, "MSET", *[x for i in range(300) for x in (f"s:{i}", str(i))])
    cli(srv, "SET", "other", "x")
    keys = cli(srv, "--scan", "--pattern", "s:*").split()
    assert sorted(keys) == sorted(f"s:{i}".encode() for i in range(300))
    info = cli(srv, "INFO").decode()
    assert "# Server" in info and "redis_version:" in info
    assert "db0:keys=301," in cli(srv, "INFO", "keyspace").decode()


def test_cli_pipe_mass_insertion(srv):
    n = 100000
    buf = io.BytesIO()
    for i in range(n):
        k = b"pipe:%d" % i
        v = b"value-%d" % i
        buf.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
    out = cli(srv, "--pipe", stdin=buf.getvalue(), timeout=180).decode()
    assert "errors: 0, replies: 100000" in out, out
    assert cli(srv, "DBSIZE") == b"100000\n"
    assert cli(srv, "GET", "pipe:99999") == b"value-99999\n"
    with srv.raw() as c:
        assert c.call("MGET", "pipe:0", "pipe:50000") == [b"value-0", b"value-50000"]


def test_cli_pipe_counts_errors(srv):
    data = (RespConn.encode("SET", "a", "1") + RespConn.encode("INCR", "a")
            + RespConn.encode("foo") + RespConn.encode("GET"))
    p = subprocess.run(["redis-cli", "-p", str(srv.port), "--pipe"], input=data,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    out = p.stdout.decode() + p.stderr.decode()
    assert "errors: 2, replies: 4" in out, out
    assert "ERR unknown command 'foo'" in out


def test_inline_commands_raw_socket(srv):
    with srv.raw() as c:
        c.send(b"PING\r\n")
        assert c.read_raw_line() == b"+PONG"
        c.send(b"SET a b\r\n")
        assert c.read_raw_line() == b"+OK"
        c.send(b"GET a\r\n")
        assert c.read_raw_line() == b"$1"
        assert c.read_raw_line() == b"b"
        c.send(b"PING hello\r\n")
        assert c.read_raw_line() == b"$5"
        assert c.read_raw_line() == b"hello"
        c.send(b"EXISTS a nope\r\n")
        assert c.read_raw_line() == b":1"
        c.send(b"GET nope\r\n")
        assert c.read_raw_line() == b"$-1"


# ------------------------------------------------------------------------------ redis-benchmark

def bench(server, *args, timeout=240):
    p = subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(server.port),
                        "--csv", *args],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    assert p.returncode == 0, (p.returncode, out[-2000:], err[-2000:])
    # redis-benchmark prints "Error from server: ..." for error replies, and a WARNING when
    # CONFIG GET save / CONFIG GET appendonly do not answer as 2-element arrays.
    for bad in ("Error", "ERR", "WARNING", "Could not"):
        assert bad not in out and bad not in err, (out[-2000:], err[-2000:])
    rows = list(csv.DictReader(io.StringIO(out)))
    return {row["test"]: row for row in rows}


@pytest.mark.parametrize("pipeline", ["1", "16"])
def test_redis_benchmark(srv, pipeline):
    rows = bench(srv, "-t", "ping,set,get,incr,mset", "-c", "50", "-n", "100000",
                 "-P", pipeline)
    assert set(rows) == {"PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET (10 keys)"}
    for name, row in rows.items():
        rps = float(row["rps"])
        assert rps > 0, (name, row)
        float(row["p50_latency_ms"])
        float(row["p99_latency_ms"])
    with srv.raw() as c:
        assert c.call("GET", "counter:__rand_int__") == b"100000"  # INCR ran exactly -n times
        assert c.call("STRLEN", "key:__rand_int__") == 3  # default -d 3 payload


@pytest.mark.parametrize("pipeline", ["1", "16"])
def test_redis_benchmark_ping_inline(srv, pipeline):
    rows = bench(srv, "-t", "ping_inline", "-c", "50", "-n", "100000", "-P", pipeline)
    assert list(rows) == ["PING_INLINE"]
    assert float(rows["PING_INLINE"]["rps"]) > 0


def test_redis_benchmark_quiet_output(srv):
    # The -q format other tools parse: "<TEST>: <rps> requests per second, p50=<x> msec"
    p = subprocess.run(["redis-benchmark", "-p", str(srv.port), "-t", "set,get", "-c", "10",
                        "-n", "20000", "-q", "-r", "1000", "-d", "16"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    text = p.stdout.decode(errors="replace").replace("\r", "\n")
    found = re.findall(r"^(SET|GET): ([0-9.]+) requests per second, p50=([0-9.]+) msec$",
                       text, re.M)
    assert {f[0] for f in found} == {"SET", "GET"}, text[-1000:]
    assert all(float(f[1]) > 0 for f in found)
