#!/usr/bin/env python3
"""Feature serving with Tessera's typed columnar tables, from redis-py and numpy.

    python3 examples/feature_serving.py [--port 6379]

Shows the fast paths of the TABLE.* commands (README "Tables"):
  - batch write: numpy arrays -> one binary columnar batch (TABLE.INSERT name COLUMNAR ...);
  - batch read: TABLE.MGET ... KEYBLOB <packed keys> -> one packed little-endian array per
    column, turned into numpy arrays with np.frombuffer (no copy) and into a pandas
    DataFrame. The keys go as one packed argument (pack_keys): redis-py spends about 0.7 ms
    packing a command of 1000 separate key arguments, more than the server's whole read.

The helpers (pack_columnar_batch, pack_keys, read_columns, read_frame) are importable; the
integration test tests/integration/test_tables.py runs main() against a real server.
"""

import argparse
import struct

import numpy as np
import redis

MAGIC = b"TCB1"

# numpy dtype of each fixed-width column type (little-endian, as the wire format).
DTYPES = {
    "int8": "<i1", "int16": "<i2", "int32": "<i4", "int64": "<i8",
    "uint8": "<u1", "uint16": "<u2", "uint32": "<u4", "uint64": "<u8",
    "float32": "<f4", "float64": "<f8", "bool": "?",
}
VECTOR_PREFIX = "vector:float32:"


def _validity_bytes(mask):
    """Validity bitmap of a boolean mask: bit i = row i valid, LSB first."""
    return np.packbits(np.asarray(mask, dtype=bool), bitorder="little").tobytes()


def _offsets_and_data(values):
    """uint32 offsets (n + 1) and the concatenated bytes of utf8/bytes cells."""
    cells = [v.encode() if isinstance(v, str) else bytes(v) for v in values]
    offsets = np.zeros(len(cells) + 1, dtype="<u4")
    np.cumsum([len(c) for c in cells], out=offsets[1:])
    return offsets.tobytes() + b"".join(cells)


def pack_columnar_batch(keys, columns, masks=None):
    """Builds a binary columnar batch (README "Tables").

    keys: list of str/bytes. columns: {name: numpy array (fixed width, vectors as shape
    (n, N) float32) or list of str/bytes}. masks: optional {name: bool array, True = valid}.
    """
    masks = masks or {}
    n = len(keys)
    out = [MAGIC, struct.pack("<II", n, len(columns)), _offsets_and_data(keys)]
    for name, values in columns.items():
        encoded = name.encode()
        mask = masks.get(name)
        out.append(struct.pack("<I", len(encoded)) + encoded + bytes([mask is not None]))
        if isinstance(values, np.ndarray):
            assert len(values) == n, name
            out.append(np.ascontiguousarray(values).astype(values.dtype.newbyteorder("<"), copy=False).tobytes())
        else:
            out.append(_offsets_and_data(values))
        if mask is not None:
            out.append(_validity_bytes(mask))
    return b"".join(out)


def pack_keys(keys):
    """The KEYBLOB argument of TABLE.MGET (README "Tables"): uint32 count, count + 1 uint32
    offsets, the key bytes. keys: a list of str/bytes, or a numpy bytes array (dtype "S<w>")
    whose keys are all exactly w bytes long (packed without a Python loop)."""
    if isinstance(keys, np.ndarray) and keys.dtype.kind == "S":
        n, width = len(keys), keys.dtype.itemsize
        offsets = np.arange(0, (n + 1) * width, width, dtype="<u4")
        return struct.pack("<I", n) + offsets.tobytes() + np.ascontiguousarray(keys).tobytes()
    return struct.pack("<I", len(keys)) + _offsets_and_data(keys)


def decode_column(type_name, parts, n):
    """One column of a COLUMNAR reply -> (values, valid mask). Fixed-width values are
    np.frombuffer views of the reply bytes (no copy); utf8/bytes come back as a list."""
    values, validity = parts[1], parts[2]
    valid = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little", count=n).astype(bool)
    if type_name in DTYPES:
        return np.frombuffer(values, dtype=DTYPES[type_name], count=n), valid
    if type_name.startswith(VECTOR_PREFIX):
        dims = int(type_name[len(VECTOR_PREFIX):])
        return np.frombuffer(values, dtype="<f4", count=n * dims).reshape(n, dims), valid
    offsets = np.frombuffer(parts[3], dtype="<u4", count=n + 1)
    cells = [values[offsets[i]:offsets[i + 1]] for i in range(n)]
    if type_name == "utf8":
        cells = [c.decode() for c in cells]
    return [c if ok else None for c, ok in zip(cells, valid)], valid


def read_columns(r, table, columns, keys, keyblob=True):
    """TABLE.MGET in COLUMNAR form -> {column: (values, valid mask)}. keyblob=False sends
    the keys as separate arguments (KEYS k1 .. kN) instead of one packed KEYBLOB."""
    if keyblob:
        reply = r.execute_command("TABLE.MGET", table, "COLUMNS", *columns, "KEYBLOB", pack_keys(keys))
    else:
        reply = r.execute_command("TABLE.MGET", table, "COLUMNS", *columns, "KEYS", *keys)
    return {name: decode_column(col[0].decode(), col, len(keys)) for name, col in zip(columns, reply)}


def read_frame(r, table, columns, keys):
    """TABLE.MGET -> pandas DataFrame indexed by key; nulls become NaN / None."""
    import pandas as pd

    data = {}
    index = list(keys)
    for name, (values, valid) in read_columns(r, table, columns, keys).items():
        if isinstance(values, np.ndarray) and values.ndim == 1:
            data[name] = pd.Series(values, index=index).where(valid) if not valid.all() else values
        elif isinstance(values, np.ndarray):
            data[name] = [row if ok else None for row, ok in zip(values, valid)]
        else:
            data[name] = values
    return pd.DataFrame(data, index=index)


def main(port=6379, rows=1000, table="features_example"):
    r = redis.Redis(port=port)
    try:
        r.execute_command("TABLE.DROP", table)
    except redis.ResponseError:
        pass
    r.execute_command("TABLE.CREATE", table, "COLUMNS", "ctr", "float32", "clicks", "int64",
                      "emb", "vector:float32:4", "TTL", "3600")
    rng = np.random.default_rng(7)
    keys = [f"user:{i}" for i in range(rows)]
    ctr = rng.random(rows, dtype=np.float32)
    clicks = rng.integers(0, 1000, rows, dtype=np.int64)
    emb = rng.random((rows, 4), dtype=np.float32)
    clicks_valid = np.arange(rows) % 10 != 0  # every 10th row has no click count
    written = r.execute_command("TABLE.INSERT", table, "COLUMNAR",
                                pack_columnar_batch(keys, {"ctr": ctr, "clicks": clicks, "emb": emb},
                                                    masks={"clicks": clicks_valid}))
    assert written == rows, written

    batch = [keys[i] for i in rng.choice(rows, 100, replace=False)] + ["user:missing"]
    cols = read_columns(r, table, ["ctr", "clicks", "emb"], batch)
    same = read_columns(r, table, ["ctr", "clicks", "emb"], batch, keyblob=False)
    assert all(np.array_equal(cols[c][1], same[c][1]) and np.array_equal(cols[c][0], same[c][0]) for c in cols)
    idx = [int(k.split(":")[1]) for k in batch[:-1]]
    ctr_read, ctr_valid = cols["ctr"]
    assert np.array_equal(ctr_read[:-1], ctr[idx]) and not ctr_valid[-1]
    clicks_read, clicks_valid_read = cols["clicks"]
    assert np.array_equal(clicks_valid_read[:-1], clicks_valid[idx])
    assert np.array_equal(clicks_read[:-1][clicks_valid[idx]], clicks[idx][clicks_valid[idx]])
    assert np.array_equal(cols["emb"][0][:-1], emb[idx])
    try:
        frame = read_frame(r, table, ["ctr", "clicks"], batch[:5])
        print(frame)
    except ImportError:
        print("pandas is not installed; numpy read:", ctr_read[:5])
    r.execute_command("TABLE.DROP", table)
    return True


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=6379)
    main(parser.parse_args().port)
