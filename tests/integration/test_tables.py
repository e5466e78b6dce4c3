"""TABLE.* (typed columnar tables) through redis-py against the real server, on a server
with several workers so that batches and MGETs span every shard: every column type
round-trips through UPSERT/INSERT and MGET's three formats, nulls and missing keys, TTL
expiry, both batch write formats, all-or-nothing batches, DEL/SCAN/INFO across shards, and
the documented numpy/pandas example (examples/feature_serving.py)."""

import json
import os
import struct
import sys

import numpy as np
import pytest
import redis

from conftest import IS_REDIS, start_server, wait_until

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples"))
import feature_serving as fs  # noqa: E402

pytestmark = pytest.mark.skipif(IS_REDIS, reason="TABLE.* is Tessera-only")

WORKERS = 3
ALL_TYPES = [("i8", "int8", "-128"), ("i16", "int16", "32767"), ("i32", "int32", "-2147483648"),
             ("i64", "int64", "9223372036854775807"), ("u8", "uint8", "255"), ("u16", "uint16", "65535"),
             ("u32", "uint32", "4294967295"), ("u64", "uint64", "18446744073709551615"),
             ("f32", "float32", "0.25"), ("f64", "float64", "-1e300"), ("b", "bool", "true"),
             ("s", "utf8", "h\u00e9llo"), ("raw", "bytes", b"\x00\xff\x01"),
             ("v", "vector:float32:3", "1,2.5,-3")]


@pytest.fixture(scope="module")
def srv():
    s = start_server(("--workers", str(WORKERS), "--parsers", "2", "--repliers", "2"), 60)
    yield s
    alive = s.alive()
    s.stop()
    assert alive, "server died during the module"


@pytest.fixture
def t(srv, request):
    """A redis-py client and a fresh table name, dropped afterwards."""
    c = srv.client()
    name = "t_" + request.node.name.replace("[", "_").replace("]", "")
    yield c, name
    try:
        c.execute_command("TABLE.DROP", name)
    except redis.ResponseError:
        pass
    srv.assert_alive()


def create_all_types(c, name, *extra):
    args = []
    for col, typ, _ in ALL_TYPES:
        args += [col, typ]
    assert c.execute_command("TABLE.CREATE", name, "COLUMNS", *args, *extra) == b"OK"


def mget(c, name, cols, keys, fmt=None):
    extra = ["FORMAT", fmt] if fmt else []
    return c.execute_command("TABLE.MGET", name, "COLUMNS", *cols, "KEYS", *keys, *extra)


def test_create_errors_list_and_schema(t):
    c, name = t
    create_all_types(c, name, "TTL", "60")
    with pytest.raises(redis.ResponseError, match=f"table '{name}' already exists"):
        c.execute_command("TABLE.CREATE", name, "COLUMNS", "a", "int8")
    with pytest.raises(redis.ResponseError, match="unknown type 'int7' for column 'a'"):
        c.execute_command("TABLE.CREATE", name + "x", "COLUMNS", "a", "int7")
    with pytest.raises(redis.ResponseError, match="duplicate column 'a'"):
        c.execute_command("TABLE.CREATE", name + "x", "COLUMNS", "a", "int8", "a", "int16")
    assert name.encode() in c.execute_command("TABLE.LIST")
    assert name.encode() + b"x" not in c.execute_command("TABLE.LIST")
    schema = json.loads(c.execute_command("TABLE.SCHEMA", name))
    assert schema["ttl_seconds"] == 60
    assert [(col["name"], col["type"]) for col in schema["columns"]] == [(a, b) for a, b, _ in ALL_TYPES]
    with pytest.raises(redis.ResponseError, match="no such table 'nope'"):
        c.execute_command("TABLE.SCHEMA", "nope")


def test_every_type_round_trips(t):
    c, name = t
    create_all_types(c, name)
    args = []
    for col, _, value in ALL_TYPES:
        args += [col, value]
    assert c.execute_command("TABLE.UPSERT", name, "row1", *args) == 1
    assert c.execute_command("TABLE.UPSERT", name, "row1", "i8", "5") == 0  # partial update
    cols = [col for col, _, _ in ALL_TYPES]
    rows = mget(c, name, cols, ["row1", "missing"], "RESP")
    assert rows[1] is None
    assert rows[0] == [5, 32767, -2147483648, 9223372036854775807, 255, 65535, 4294967295,
                       b"18446744073709551615", b"0.25", b"-1e+300", 1, "h\u00e9llo".encode(),
                       b"\x00\xff\x01", [b"1", b"2.5", b"-3"]]
    doc = json.loads(mget(c, name, cols, ["row1", "missing"], "JSON"))
    assert doc[1] is None and doc[0]["u64"] == 18446744073709551615 and doc[0]["b"] is True
    assert doc[0]["raw"] == "AP8B" and doc[0]["v"] == [1, 2.5, -3] and doc[0]["s"] == "h\u00e9llo"
    reply = mget(c, name, cols, ["missing", "row1"])
    got = {col: fs.decode_column(part[0].decode(), part, 2) for col, part in zip(cols, reply)}
    expect = {"i8": 5, "i16": 32767, "i32": -2147483648, "i64": 2**63 - 1, "u8": 255, "u16": 65535,
              "u32": 2**32 - 1, "u64": 2**64 - 1, "f32": 0.25, "f64": -1e300, "b": True}
    for col, value in expect.items():
        values, valid = got[col]
        assert list(valid) == [False, True], col
        assert values[0] == 0 and values[1] == value, col
    assert got["s"][0] == [None, "h\u00e9llo"] and got["raw"][0] == [None, b"\x00\xff\x01"]
    assert got["v"][0].tolist() == [[0, 0, 0], [1, 2.5, -3]]


def test_bad_values_write_nothing(t):
    c, name = t
    create_all_types(c, name)
    for col, bad in [("i8", "128"), ("u8", "-1"), ("i32", "x"), ("f32", "1e39"), ("b", "2"),
                     ("s", b"\xff\xfe"), ("v", "1,2"), ("nope", "1")]:
        with pytest.raises(redis.ResponseError, match="column '" + col + "'"):
            c.execute_command("TABLE.UPSERT", name, "k", "i16", "1", col, bad)
    assert mget(c, name, ["i16"], ["k"], "RESP") == [None]
    with pytest.raises(redis.ResponseError, match="no such table"):
        c.execute_command("TABLE.UPSERT", "nope", "k", "a", "1")


def test_nulls_and_missing_keys(t):
    c, name = t
    c.execute_command("TABLE.CREATE", name, "COLUMNS", "a", "int32", "s", "utf8", "sparse", "float64")
    c.execute_command("TABLE.INSERT", name, "JSON", '[{"key":"k1","a":1,"s":"x"},{"key":"k2","a":null,"s":"yy"}]')
    assert mget(c, name, ["a", "s", "sparse"], ["k1", "k2", "k3"], "RESP") == [
        [1, b"x", None], [None, b"yy", None], None]
    reply = mget(c, name, ["a", "s"], ["k2", "k3", "k1"])
    assert reply[0][0] == b"int32" and reply[0][2] == bytes([0b100])
    assert np.frombuffer(reply[0][1], "<i4").tolist() == [0, 0, 1]
    assert reply[1][1] == b"yyx" and np.frombuffer(reply[1][3], "<u4").tolist() == [0, 2, 2, 3]
    assert reply[1][2] == bytes([0b101])
    c.execute_command("TABLE.UPSERT", name, "k1", "s", "")  # empty string is not null
    assert mget(c, name, ["s"], ["k1"], "RESP") == [[b""]]


def test_ttl_expiry(t):
    c, name = t
    c.execute_command("TABLE.CREATE", name, "COLUMNS", "a", "int8", "TTL", "1")
    c.execute_command("TABLE.UPSERT", name, "k", "a", "1")
    assert mget(c, name, ["a"], ["k"], "RESP") == [[1]]
    wait_until(lambda: mget(c, name, ["a"], ["k"], "RESP") == [None], timeout=10, what="row expiry")
    assert c.execute_command("TABLE.SCAN", name, "0", "COUNT", "1000")[1] == []


def test_json_batches_array_and_ndjson(t):
    c, name = t
    c.execute_command("TABLE.CREATE", name, "COLUMNS", "a", "int64", "s", "utf8", "raw", "bytes", "v",
                      "vector:float32:2", "ok", "bool")
    rows = [{"key": f"k{i}", "a": i, "s": f"s{i}", "raw": "AAE=", "v": [i, 0.5], "ok": i % 2 == 0}
            for i in range(50)]
    assert c.execute_command("TABLE.INSERT", name, "JSON", json.dumps(rows)) == 50
    ndjson = "\n".join(json.dumps({"key": f"n{i}", "a": -i}) for i in range(20)) + "\n"
    assert c.execute_command("TABLE.INSERT", name, "JSON", ndjson) == 20
    keys = [f"k{i}" for i in range(50)] + [f"n{i}" for i in range(20)]
    got = json.loads(mget(c, name, ["a", "s", "raw", "v", "ok"], keys, "JSON"))
    for i in range(50):
        assert got[i] == {"a": i, "s": f"s{i}", "raw": "AAE=", "v": [i, 0.5], "ok": i % 2 == 0}
    assert [g["a"] for g in got[50:]] == [-i for i in range(20)]
    assert got[50]["s"] is None


def test_bad_batches_are_all_or_nothing(t):
    c, name = t
    c.execute_command("TABLE.CREATE", name, "COLUMNS", "a", "int8", "s", "utf8")
    good = [{"key": f"k{i}", "a": i} for i in range(40)]
    for bad_row, why in [({"key": "z", "a": 300}, "out of range"), ({"key": "z", "b": 1}, "no such column 'b'"),
                         ({"a": 1}, "no \"key\""), ({"key": "z", "s": 5}, "not a string")]:
        with pytest.raises(redis.ResponseError, match=why):
            c.execute_command("TABLE.INSERT", name, "JSON", json.dumps(good + [bad_row]))
    with pytest.raises(redis.ResponseError, match="malformed JSON"):
        c.execute_command("TABLE.INSERT", name, "JSON", json.dumps(good)[:-3])
    keys = [f"k{i}" for i in range(40)]
    blob = fs.pack_columnar_batch(keys, {"a": np.arange(40, dtype=np.int8), "s": ["x"] * 39 + [b"\xff"]})
    with pytest.raises(redis.ResponseError, match="UTF-8"):
        c.execute_command("TABLE.INSERT", name, "COLUMNAR", blob)
    blob = fs.pack_columnar_batch(keys, {"a": np.arange(40, dtype=np.int8), "s": ["x"] * 40})
    for broken in [blob[:-1], b"XXXX" + blob[4:], blob + b"\x00"]:
        with pytest.raises(redis.ResponseError, match="columnar batch"):
            c.execute_command("TABLE.INSERT", name, "COLUMNAR", broken)
    assert mget(c, name, ["a"], keys, "RESP") == [None] * 40
    assert c.execute_command("TABLE.INFO", name)[1] == 0


def test_columnar_batch_spanning_every_worker(t):
    c, name = t
    c.execute_command("TABLE.CREATE", name, "COLUMNS", "f", "float32", "n", "uint16", "s", "utf8",
                      "e", "vector:float32:8")
    n = 600
    keys = [f"entity:{i}" for i in range(n)]
    f = np.linspace(0, 1, n, dtype=np.float32)
    nn = np.arange(n, dtype=np.uint16)
    e = np.arange(n * 8, dtype=np.float32).reshape(n, 8)
    mask = np.arange(n) % 7 != 0
    blob = fs.pack_columnar_batch(keys, {"f": f, "n": nn, "s": [f"s{i}" for i in range(n)], "e": e},
                                  masks={"n": mask})
    assert c.execute_command("TABLE.INSERT", name, "COLUMNAR", blob) == n
    info = c.execute_command("TABLE.INFO", name)
    assert info[0:2] == [b"rows", n]
    order = np.random.default_rng(1).permutation(n)
    batch = [keys[i] for i in order] + ["absent"]
    cols = fs.read_columns(c, name, ["f", "n", "s", "e"], batch)
    fv, fvalid = cols["f"]
    assert fv.dtype == np.float32 and np.array_equal(fv[:-1], f[order]) and fvalid[:-1].all() and not fvalid[-1]
    nv, nvalid = cols["n"]
    assert np.array_equal(nvalid[:-1], mask[order]) and np.array_equal(nv[:-1][mask[order]], nn[order][mask[order]])
    assert (nv[:-1][~mask[order]] == 0).all()
    assert cols["s"][0][:3] == [f"s{i}" for i in order[:3]] and cols["s"][0][-1] is None
    assert np.array_equal(cols["e"][0][:-1], e[order])
    # SCAN over every shard sees every key once the cursor returns to 0.
    seen, cursor = set(), b"0"
    for _ in range(10000):
        cursor, found = c.execute_command("TABLE.SCAN", name, cursor, "COUNT", "50")
        seen.update(found)
        if cursor == b"0":
            break
    assert seen == {k.encode() for k in keys}
    # Duplicate keys in a batch: the last one wins.
    dup = fs.pack_columnar_batch(["entity:1", "entity:1"], {"n": np.array([7, 8], dtype=np.uint16)})
    assert c.execute_command("TABLE.INSERT", name, "COLUMNAR", dup) == 1
    [[n1, f1]] = mget(c, name, ["n", "f"], ["entity:1"], "RESP")
    assert n1 == 8 and np.float32(float(f1)) == f[1]  # shortest text that round-trips
    assert c.execute_command("TABLE.DEL", name, *keys[:300], "absent") == 300
    assert c.execute_command("TABLE.INFO", name)[1] == n - 300
    assert mget(c, name, ["n"], keys[298:302], "RESP")[:2] == [None, None]


def test_mget_syntax(t):
    c, name = t
    c.execute_command("TABLE.CREATE", name, "COLUMNS", "a", "int8")
    with pytest.raises(redis.ResponseError, match="syntax"):
        c.execute_command("TABLE.MGET", name, "COLUMNS", "a", "k1", "k2")
    with pytest.raises(redis.ResponseError, match="unknown FORMAT"):
        mget(c, name, ["a"], ["k1", "k2", "k3"], "XML")
    with pytest.raises(redis.ResponseError, match="no such column 'b'"):
        mget(c, name, ["b"], ["k1", "k2", "k3"])


def test_mget_keyblob_matches_keys_across_workers(t):
    """KEYBLOB (one packed argument) reads what KEYS reads, in request order across every
    worker, in all three formats; a malformed blob is an error that leaves the connection
    usable."""
    c, name = t
    c.execute_command("TABLE.CREATE", name, "COLUMNS", "f", "float32", "s", "utf8")
    n = 300
    keys = np.array([b"row:%06d" % i for i in range(n)])  # one width: numpy packing path
    f = np.arange(n, dtype=np.float32) * 0.5
    c.execute_command("TABLE.INSERT", name, "COLUMNAR",
                      fs.pack_columnar_batch(list(keys), {"f": f, "s": [f"s{i}" for i in range(n)]}))
    order = np.random.default_rng(3).permutation(n)
    batch = keys[order]
    mixed = list(batch[:50]) + [b"absent", b"", "\u00e9t\u00e9"]  # other lengths: list path
    for ks in (batch, mixed):
        blob_cols = fs.read_columns(c, name, ["f", "s"], ks)
        keys_cols = fs.read_columns(c, name, ["f", "s"], list(ks), keyblob=False)
        assert np.array_equal(blob_cols["f"][0], keys_cols["f"][0])
        assert np.array_equal(blob_cols["f"][1], keys_cols["f"][1])
        assert blob_cols["s"][0] == keys_cols["s"][0]
    assert np.array_equal(fs.read_columns(c, name, ["f"], batch)["f"][0], f[order])
    assert fs.read_columns(c, name, ["f"], mixed)["f"][1][-3:].tolist() == [False, False, False]
    blob = fs.pack_keys(list(batch[:3]))
    for fmt in ("RESP", "JSON"):
        assert (c.execute_command("TABLE.MGET", name, "COLUMNS", "f", "KEYBLOB", blob, "FORMAT", fmt) ==
                mget(c, name, ["f"], list(batch[:3]), fmt))
    with pytest.raises(redis.ResponseError, match="invalid KEYBLOB: trailing bytes"):
        c.execute_command("TABLE.MGET", name, "COLUMNS", "f", "KEYBLOB", blob + b"x")
    with pytest.raises(redis.ResponseError, match="invalid KEYBLOB: no keys"):
        c.execute_command("TABLE.MGET", name, "COLUMNS", "f", "KEYBLOB", fs.pack_keys([]))
    with pytest.raises(redis.ResponseError, match="syntax"):
        c.execute_command("TABLE.MGET", name, "COLUMNS", "f", "KEYBLOB", blob, "extra")
    assert c.execute_command("TABLE.INFO", name)[1] == n


def test_feature_serving_example(srv):
    assert fs.main(port=srv.port)


def test_pandas_dataframe(t):
    pd = pytest.importorskip("pandas")
    c, name = t
    c.execute_command("TABLE.CREATE", name, "COLUMNS", "x", "float64", "y", "int32")
    keys = [f"k{i}" for i in range(30)]
    c.execute_command("TABLE.INSERT", name, "COLUMNAR",
                      fs.pack_columnar_batch(keys, {"x": np.arange(30, dtype=np.float64) / 2,
                                                    "y": np.arange(30, dtype=np.int32)}))
    frame = fs.read_frame(c, name, ["x", "y"], keys[::-1] + ["nope"])
    assert isinstance(frame, pd.DataFrame) and list(frame.index[:2]) == ["k29", "k28"]
    assert frame["x"].iloc[0] == 14.5 and frame["y"].iloc[1] == 28 and pd.isna(frame["x"].iloc[-1])
