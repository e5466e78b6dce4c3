"""INFO commandstats, errorstats and total_error_replies, as Redis 7.0 keeps them.

A call that runs counts in `calls` and its time in `usec`; one refused before it runs (wrong
arity) counts in `rejected_calls` only; one that runs and replies an error also counts in
`failed_calls`. Container commands keep a line per subcommand (`cmdstat_config|get`). An
unknown command or subcommand is counted nowhere but in errorstats. Every test here except
the Tessera-only ones also passes with TESSERA_TARGET=redis.
"""

import pytest
import redis

from conftest import tessera_only

# (command...) and the error it must draw (None: a normal reply), run after CONFIG RESETSTAT.
SEQUENCE = [
    (("SET", "k", "v"), None),
    (("SET", "k", "v", "badopt"), "syntax error"),
    (("GET",), "wrong number of arguments for 'get' command"),
    (("INCR", "k"), "value is not an integer or out of range"),
    (("MSET", "a", "1", "b"), "wrong number of arguments for 'mset' command"),
    (("NOSUCH", "x"), "unknown command 'NOSUCH', with args beginning with: 'x' "),
    (("CONFIG", "GET"), "wrong number of arguments for 'config|get' command"),
    (("CONFIG", "SET", "a", "b", "c"), "syntax error"),
    (("config", "foo"), "unknown subcommand 'foo'. Try CONFIG HELP."),
    (("CONFIG",), "wrong number of arguments for 'config' command"),
    (("CLIENT", "ID"), None),
    (("COMMAND COUNT",), None),  # redis-py splits the name; its COMMAND parser would choke
    (("COMMAND", "COUNT", "x"), "wrong number of arguments for 'command|count' command"),
    (("GET", "k"), None),
]

# (calls, rejected_calls, failed_calls) per line; nothing else may appear.
EXPECTED_COMMANDSTATS = {
    "set": (2, 0, 1),
    "get": (1, 1, 0),
    "incr": (1, 0, 1),
    "mset": (1, 0, 1),
    "config": (0, 1, 0),
    "config|get": (0, 1, 0),
    "config|set": (1, 0, 1),
    "config|resetstat": (1, 0, 0),
    "client|id": (1, 0, 0),
    "command|count": (1, 1, 0),
}


def run_sequence(r):
    errors = 0
    for args, error in SEQUENCE:
        if error is None:
            r.execute_command(*args)
            continue
        with pytest.raises(redis.ResponseError) as raised:
            r.execute_command(*args)
        assert str(raised.value) == error, args
        errors += 1
    return errors


def commandstats(r):
    return {name[len("cmdstat_"):]: fields for name, fields in r.info("commandstats").items()}


def call_counts(r):
    """{command: (calls, rejected_calls, failed_calls)} from INFO commandstats."""
    return {name: (f["calls"], f["rejected_calls"], f["failed_calls"]) for name, f in commandstats(r).items()}


def errorstats(r):
    """{code: count}; redis-py 4.3 leaves a lone "count=N" unparsed."""
    out = {}
    for name, value in r.info("errorstats").items():
        count = value["count"] if isinstance(value, dict) else int(str(value).split("=")[1])
        out[name[len("errorstat_"):]] = count
    return out


def test_calls_rejections_and_failures_per_command_and_subcommand(r):
    assert r.config_resetstat() is True
    errors = run_sequence(r)
    assert call_counts(r) == EXPECTED_COMMANDSTATS
    assert errorstats(r) == {"ERR": errors}
    info = r.info("stats")
    assert info["total_error_replies"] == errors
    # The INFO commandstats and errorstats calls answered before count too.
    assert info["total_commands_processed"] == sum(calls for calls, _, _ in EXPECTED_COMMANDSTATS.values()) + 2


def test_usec_measures_execution_and_resetstat_clears_everything(r):
    assert r.config_resetstat() is True
    value = b"x" * 65536
    p = r.pipeline(transaction=False)
    for i in range(300):
        p.set(f"big:{i}", value)
        p.get(f"big:{i}")
    p.execute()
    stats = commandstats(r)
    for name in ("set", "get"):
        line = stats[name]
        assert line["calls"] == 300
        assert line["usec"] > 0, line  # 300 copies of 64 KiB take well over a microsecond
        assert line["usec_per_call"] == pytest.approx(line["usec"] / 300, abs=0.01)
    with pytest.raises(redis.ResponseError):
        r.execute_command("GET")
    assert r.config_resetstat() is True
    stats = commandstats(r)
    assert set(stats) == {"config|resetstat"}, stats
    assert errorstats(r) == {}
    assert r.info("stats")["total_error_replies"] == 0


def test_errorstats_file_errors_under_their_first_word(r):
    assert r.config_resetstat() is True
    r.set("s", "v")
    with pytest.raises(redis.ResponseError):
        r.execute_command("INCRBY", "s", "x")
    with pytest.raises(redis.ResponseError) as raised:
        r.execute_command("HELLO", "4")
    assert str(raised.value) == "NOPROTO unsupported protocol version"
    assert errorstats(r) == {"ERR": 1, "NOPROTO": 1}
    assert commandstats(r)["hello"]["failed_calls"] == 1


@tessera_only
def test_split_commands_count_once_across_workers(server_factory):
    """A command split across shards is one call, however many workers run a part of it, and
    one failure when every part refuses it."""
    srv = server_factory("--workers", "2", "--parsers", "2", "--repliers", "2")
    r = srv.client()
    keys = [f"key:{i}" for i in range(64)]
    assert r.config_resetstat() is True
    r.mset({k: "v" for k in keys})
    assert r.mget(keys) == [b"v"] * len(keys)
    assert r.delete(*keys) == len(keys)
    assert r.dbsize() == 0
    with pytest.raises(redis.ResponseError):
        r.execute_command("FLUSHALL", "nosuch")
    once = (1, 0, 0)
    assert call_counts(r) == {"config|resetstat": once, "mset": once, "mget": once, "del": once, "dbsize": once,
                              "flushall": (1, 0, 1)}
    assert r.info("stats")["total_error_replies"] == 1
