"""Differential testing of memcached's binary protocol: the same random stream of binary
requests to Tessera's memcached listener and to Debian's memcached 1.6.18, responses compared
field by field.

Each batch of requests ends with a NOOP carrying a marker opaque; the responses before the
NOOP's are the batch's answer, so quiet opcodes (which answer only misses or errors) are
compared as sent. The stream holds well-formed packets of every data opcode (get, getk, set,
add, replace, append, prepend, delete, increment, decrement, touch, gat, gatk, flush, noop,
version, their quiet forms) over a small key space, with wrong extras lengths, missing keys,
CAS values, exptimes in the past and the future. Documented differences are not generated:
unknown opcodes, and packets whose body does not match what the opcode carries (memcached
loses the framing there; Tessera keeps it by the body length); values are compared without
spaces after a digit (memcached's padding of a number incr/decr shortened). CAS uniques are each server's
own: they are renamed by first appearance per server, and a request's CAS is the last one that
server returned for the key, or one it never handed out.

Used by test_memcached_differential.py; by hand, against two listening servers:

    /usr/bin/python3 tests/integration/memcached_binary_diff.py TESSERA_MC_PORT MEMCACHED_PORT [COUNT] [SEED] [PIPELINE]
"""

import random
import re
import struct
import sys
import time

import memcached_diff

HEADER = struct.Struct(">BBHBBHIIQ")  # magic opcode keylen extlen datatype vbucket/status body opaque cas
MARK_OPAQUE = 0x5E5E5E5E
NOOP = 0x0A
KEYS = [b"a", b"b", b"c", b"k:1"]
VALUES = [b"", b"0", b"1", b"10", b"99", b"abc", b"hello world", b"4294967296", b" 5", b"007"]
UNUSED_CAS = 18446744073709000000

GET, SET, ADD, REPLACE, DELETE, INCR, DECR = 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06
FLUSH, GETQ, VERSION, GETK, GETKQ, APPEND, PREPEND = 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F
SETQ, ADDQ, REPLACEQ, DELETEQ, INCRQ, DECRQ = 0x11, 0x12, 0x13, 0x14, 0x15, 0x16
FLUSHQ, APPENDQ, PREPENDQ, TOUCH, GAT, GATQ, GATK, GATKQ = 0x18, 0x19, 0x1A, 0x1C, 0x1D, 0x1E, 0x23, 0x24


def packet(opcode, key=b"", extras=b"", value=b"", cas=0, opaque=0):
    body = extras + key + value
    return HEADER.pack(0x80, opcode, len(key), len(extras), 0, 0, len(body), opaque, cas) + body


class Generator:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        now = int(time.time())
        self.exptimes = [0, 0, 1000, 5000, now + 100000, 2592001, 0xFFFFFFFF]

    def pick(self, seq):
        return self.rng.choice(seq)

    def cas(self):
        r = self.rng.random()
        return 0 if r < 0.6 else ("KEY" if r < 0.9 else UNUSED_CAS)

    def request(self):
        """(packet fields) with the CAS left symbolic: 'KEY' means the key's last CAS."""
        key = self.pick(KEYS)
        opaque = self.rng.randrange(1 << 16)
        r = self.rng.random()
        if r < 0.3:
            op = self.pick([SET, ADD, REPLACE, SETQ, ADDQ, REPLACEQ])
            extras = struct.pack(">II", self.pick([0, 1, 42, 0xFFFFFFFF]), self.pick(self.exptimes))
            if self.rng.random() < 0.05:
                extras = extras[:4]  # a wrong extras length: Invalid arguments
            return (op, key, extras, self.pick(VALUES), self.cas(), opaque)
        if r < 0.4:
            op = self.pick([APPEND, PREPEND, APPENDQ, PREPENDQ])
            return (op, key, b"", self.pick(VALUES), self.cas(), opaque)
        if r < 0.6:
            op = self.pick([GET, GETQ, GETK, GETKQ])
            return (op, key, b"", b"", 0, opaque)
        if r < 0.7:
            op = self.pick([INCR, DECR, INCRQ, DECRQ])
            delta = self.pick([0, 1, 5, 100, 18446744073709551615])
            initial = self.pick([0, 7, 1000])
            exptime = self.pick([0, 1000, 0xFFFFFFFF])  # 0xFFFFFFFF: no auto-create
            return (op, key, struct.pack(">QQI", delta, initial, exptime), b"", self.cas(), opaque)
        if r < 0.8:
            op = self.pick([DELETE, DELETEQ])
            return (op, key, b"", b"", self.cas(), opaque)
        if r < 0.92:
            op = self.pick([TOUCH, GAT, GATQ, GATK, GATKQ])
            return (op, key, struct.pack(">I", self.pick(self.exptimes)), b"", 0, opaque)
        op = self.pick([FLUSH, FLUSHQ, VERSION, NOOP, FLUSH])
        extras = b"" if op != FLUSH or self.rng.random() < 0.7 else struct.pack(">I", 0)
        return (op, b"", extras, b"", 0, opaque)


class Conn(memcached_diff.ServerConn):
    """A binary protocol connection; renames CAS uniques as integers."""

    def _take(self, n):
        while len(self.buf) < n:
            try:
                d = self.sock.recv(1 << 16)
            except (ConnectionResetError, BrokenPipeError):
                d = b""
            if not d:
                raise EOFError
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def exchange(self, requests):
        """Send the requests and the marker NOOP; return the responses before the NOOP's, each
        as a tuple of fields with its CAS renamed."""
        payload = []
        for op, key, extras, value, cas, opaque in requests:
            if cas == "KEY":
                cas = self.key_cas.get(key, UNUSED_CAS)
            payload.append(packet(op, key, extras, value, cas, opaque))
        self.sock.sendall(b"".join(payload) + packet(NOOP, opaque=MARK_OPAQUE))
        keys_by_opaque = {r[5]: r[1] for r in requests}
        responses = []
        while True:
            try:
                magic, op, keylen, extlen, dtype, status, bodylen, opaque, cas = HEADER.unpack(self._take(24))
                body = self._take(bodylen)
            except EOFError:  # a protocol error closes the connection after its response
                self.sock.close()
                self._connect()
                return responses + ["<closed>"]
            if op == NOOP and opaque == MARK_OPAQUE:
                return responses
            if cas:
                key = keys_by_opaque.get(opaque)
                if key is not None and status == 0:
                    self.key_cas[key] = cas
                cas = self.cas_ids.setdefault(cas, len(self.cas_ids) + 1)
            extras, key, value = body[:extlen], body[extlen:extlen + keylen], body[extlen + keylen:]
            if op == VERSION:
                value = b"<version>"
            # memcached pads a number incr/decr shortened in place with spaces, which later
            # appends keep; Tessera stores the number (a documented difference).
            value = re.sub(rb"(?<=\d) +", b"", value)
            responses.append((magic, op, status, opaque, cas, extras, key, value))


def run(tessera_port, memcached_port, count, seed, pipeline=1):
    """Send `count` random requests to both servers, `pipeline` per write; return the
    differences as (index, requests, tessera responses, memcached responses)."""
    flush = (FLUSH, b"", b"", b"", 0, 1)
    return memcached_diff.compare_stream([Conn(tessera_port), Conn(memcached_port)],
                                         Generator(seed), count, pipeline, flush)


def format_diffs(diffs, limit=10):
    return memcached_diff.format_diffs(diffs, limit, render=lambda batch: batch)


if __name__ == "__main__":
    sys.exit(memcached_diff.main(run, format_diffs))
