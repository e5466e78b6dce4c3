"""Differential testing against Redis: the same random command stream to Tessera and to
redis-server, every reply compared byte for byte.

The generator draws from the commands both servers support (strings, keys, expiry, a few
connection commands) over a small key space, so commands collide on the same keys, and it
mixes valid calls with the edge cases Redis documents: option combinations, wrong arity,
out-of-range and malformed numbers, negative offsets. Replies are compared as raw RESP bytes
(RESP2, or RESP3 after HELLO 3); only time-dependent integers (TTL, PTTL, EXPIRETIME,
PEXPIRETIME of keys set with relative times) are compared coarsely. Every expiry time the
generator uses is either in the past or at least 100 s away, so no key expires during a run.

Used by test_redis_differential.py (fixed seeds, bounded count) and runnable by hand for long
runs against two servers already listening:

    /usr/bin/python3 tests/integration/redis_diff.py TESSERA_PORT REDIS_PORT [COUNT] [SEED] [PIPELINE]
"""

import random
import socket
import sys
import time

KEYS = ["k0", "k1", "k2", "k3", "k4", "{k}5"]
VALUES = ["", "0", "1", "-1", "10", "abc", "3.5", "-0", "007", "9223372036854775807",
          "-9223372036854775808", "9223372036854775808", "1e3", "inf", " 1", "1 ", "0x10",
          "hello world", "a\x00b", "+1", "12345678901234567890123", "-5.25", "1.0", "nan"]
INTS = ["0", "1", "-1", "2", "7", "100", "-100", "9223372036854775807",
        "-9223372036854775808", "9223372036854775808", "99999999999999999999", "abc",
        "1.5", "", " 5", "5 ", "+3", "0x1", "-0", "00"]
FLOATS = ["1.5", "-2", "0", "inf", "-inf", "+inf", "nan", "1e308", "abc", "3.0e3", "0.1",
          "1e-320", "-1.25", "", " 1", "5.0000000000000000001", "1e400", "0x10", "10"]
RANGE_INDEXES = ["0", "1", "-1", "-3", "2", "5", "100", "-100", "9223372036854775807",
                 "-9223372036854775808", "x", "1.5"]
PATTERNS = ["*", "k*", "k?", "k[0-2]", "k[^1]", "*5", "\\{k\\}*", "{k}*", "[", "k[", "*\\",
            "?", "k[1-]*", "K*"]

# Relative expiry arguments never fire within a run; 0 and negatives are immediate deletes
# (or errors) in both servers.
SECONDS = ["100000", "300000", "2000000", "0", "-5", "abc", "1.5", "9223372036854775807",
           "4611686018427387904", "922337203685477", "922337203685478"]
MILLIS = ["100000000", "300000000", "2000000000", "0", "-5", "x", "9223372036854775807",
          "9223372036854775806"]


def _case(rng, word):
    r = rng.random()
    if r < 0.6:
        return word
    if r < 0.85:
        return word.lower()
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in word)


class Generator:
    """Random commands; `now` fixes the absolute expiry times of one run."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        now = int(time.time())
        self.abs_seconds = [str(now + 400000), str(now + 900000), str(now - 100), "1",
                            "0", "-1", "x", str(now + 5000000)]
        self.abs_millis = [str((now + 400000) * 1000), str((now + 900000) * 1000),
                           str((now - 100) * 1000), "1", "-2", "x"]

    def pick(self, seq):
        return self.rng.choice(seq)

    def key(self):
        return self.pick(KEYS)

    def value(self):
        if self.rng.random() < 0.1:
            return "".join(chr(self.rng.randrange(32, 127))
                           for _ in range(self.rng.randrange(0, 40)))
        return self.pick(VALUES)

    def keys(self, lo=1, hi=4):
        return [self.key() for _ in range(self.rng.randint(lo, hi))]

    def expiry_option(self):
        which = self.pick(["EX", "PX", "EXAT", "PXAT"])
        arg = {"EX": SECONDS, "PX": MILLIS, "EXAT": self.abs_seconds,
               "PXAT": self.abs_millis}[which]
        return [_case(self.rng, which), self.pick(arg)]

    def set_options(self):
        opts = []
        for _ in range(self.rng.choice([0, 0, 1, 1, 2, 3])):
            kind = self.pick(["NX", "XX", "GET", "KEEPTTL", "expiry", "expiry", "bogus"])
            if kind == "expiry":
                opts += self.expiry_option()
            elif kind == "bogus":
                opts.append(self.pick(["EX", "PX", "FOO", "NXX", "10"]))
            else:
                opts.append(_case(self.rng, kind))
        return opts

    def getex_options(self):
        r = self.rng.random()
        if r < 0.3:
            return []
        if r < 0.45:
            return [_case(self.rng, "PERSIST")]
        if r < 0.85:
            return self.expiry_option()
        return self.pick([["PERSIST", "EX", "100000"], ["EX"], ["FOO"], ["EX", "100000", "PX",
                                                                          "100000000"]])

    def expire_flags(self):
        flags = [_case(self.rng, self.pick(["NX", "XX", "GT", "LT", "FOO"]))
                 for _ in range(self.rng.choice([0, 0, 1, 1, 2]))]
        return flags

    def chaos(self):
        """Any shared command with 0-5 arguments from every pool: arity and parse errors."""
        pools = [KEYS, VALUES, INTS, FLOATS, SECONDS, PATTERNS,
                 ["NX", "XX", "GT", "LT", "EX", "PX", "GET", "KEEPTTL", "PERSIST", "MATCH",
                  "COUNT", "TYPE", "EXAT", "PXAT"]]
        args = [_case(self.rng, self.pick(CHAOS_NAMES))]
        for _ in range(self.rng.randint(0, 5)):
            args.append(self.pick(self.pick(pools)))
        return args

    def command(self):
        if self.rng.random() < 0.1:
            return self.chaos()
        g = self.pick(COMMANDS)
        args = g(self)
        # Occasionally break the arity: drop the last argument or add a stray one.
        r = self.rng.random()
        if r < 0.03 and len(args) > 1:
            args = args[:-1]
        elif r < 0.06:
            args = args + [self.value()]
        return args


def _mset_pairs(g):
    out = []
    for _ in range(g.rng.randint(1, 3)):
        out += [g.key(), g.value()]
    return out


COMMANDS = [
    lambda g: ["GET", g.key()],
    lambda g: ["SET", g.key(), g.value(), *g.set_options()],
    lambda g: ["SET", g.key(), g.value(), *g.set_options()],
    lambda g: ["SETNX", g.key(), g.value()],
    lambda g: ["SETEX", g.key(), g.pick(SECONDS), g.value()],
    lambda g: ["PSETEX", g.key(), g.pick(MILLIS), g.value()],
    lambda g: ["MGET", *g.keys()],
    lambda g: ["MSET", *_mset_pairs(g)],
    lambda g: ["MSETNX", *_mset_pairs(g)],
    lambda g: ["GETSET", g.key(), g.value()],
    lambda g: ["GETDEL", g.key()],
    lambda g: ["GETEX", g.key(), *g.getex_options()],
    lambda g: ["APPEND", g.key(), g.value()],
    lambda g: ["STRLEN", g.key()],
    lambda g: ["GETRANGE", g.key(), g.pick(RANGE_INDEXES), g.pick(RANGE_INDEXES)],
    lambda g: ["SETRANGE", g.key(), g.pick(["0", "1", "3", "10", "-1", "x", "536870912",
                                            "100"]), g.value()],
    lambda g: ["INCR", g.key()],
    lambda g: ["DECR", g.key()],
    lambda g: ["INCRBY", g.key(), g.pick(INTS)],
    lambda g: ["DECRBY", g.key(), g.pick(INTS)],
    lambda g: ["INCRBYFLOAT", g.key(), g.pick(FLOATS)],
    lambda g: ["DEL", *g.keys()],
    lambda g: ["UNLINK", *g.keys()],
    lambda g: ["EXISTS", *g.keys()],
    lambda g: ["TOUCH", *g.keys()],
    lambda g: ["TYPE", g.key()],
    lambda g: ["KEYS", g.pick(PATTERNS)],
    lambda g: ["RENAME", g.key(), g.key()],
    lambda g: ["RENAMENX", g.key(), g.key()],
    lambda g: ["EXPIRE", g.key(), g.pick(SECONDS), *g.expire_flags()],
    lambda g: ["PEXPIRE", g.key(), g.pick(MILLIS), *g.expire_flags()],
    lambda g: ["EXPIREAT", g.key(), g.pick(g.abs_seconds), *g.expire_flags()],
    lambda g: ["PEXPIREAT", g.key(), g.pick(g.abs_millis), *g.expire_flags()],
    lambda g: ["TTL", g.key()],
    lambda g: ["PTTL", g.key()],
    lambda g: ["EXPIRETIME", g.key()],
    lambda g: ["PEXPIRETIME", g.key()],
    lambda g: ["PERSIST", g.key()],
    lambda g: ["DBSIZE"],
    lambda g: ["ECHO", g.value()],
    lambda g: ["PING", *([g.value()] if g.rng.random() < 0.5 else [])],
    lambda g: ["SELECT", g.pick(["0", "1", "0", "15", "16", "-1", "x"])],
    lambda g: ["FLUSHDB"] if g.rng.random() < 0.1 else ["EXISTS", g.key()],
    lambda g: ["SCAN", "0", *g.pick([[], ["MATCH", g.pick(PATTERNS)], ["COUNT", "100"],
                                      ["TYPE", g.pick(["string", "hash", "STRING"])],
                                      ["COUNT", "0"], ["COUNT", "x"], ["FOO"]])],
]

CHAOS_NAMES = ["GET", "SET", "SETNX", "SETEX", "PSETEX", "MGET", "MSET", "MSETNX", "GETSET",
               "GETDEL", "GETEX", "APPEND", "STRLEN", "GETRANGE", "SETRANGE", "INCR", "DECR",
               "INCRBY", "DECRBY", "INCRBYFLOAT", "DEL", "UNLINK", "EXISTS", "TOUCH", "TYPE",
               "KEYS", "RENAME", "RENAMENX", "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT",
               "TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST", "DBSIZE", "ECHO", "PING",
               "SELECT", "FLUSHDB", "NOSUCHCOMMAND"]

# Replies that carry a time: (command, its relative ttl class). Positive integers are
# rounded so that the milliseconds between the two servers' calls do not matter.
TIME_REPLIES = {"TTL": 1000, "PTTL": 1000000, "EXPIRETIME": 1000, "PEXPIRETIME": 1000000}
UNORDERED = {"KEYS"}


class Conn:
    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _fill(self):
        d = self.sock.recv(1 << 16)
        if not d:
            raise ConnectionError("closed")
        self.buf += d

    def _line(self, pos):
        while True:
            i = self.buf.find(b"\r\n", pos)
            if i >= 0:
                return i
            self._fill()

    def _reply_end(self, pos):
        """Index just past the reply starting at pos (reads more as needed)."""
        eol = self._line(pos)
        t = self.buf[pos:pos + 1]
        if t in b"+-:_#,(":
            return eol + 2
        n = int(self.buf[pos + 1:eol])
        if t in b"$!=":
            if n < 0:
                return eol + 2
            while len(self.buf) < eol + 2 + n + 2:
                self._fill()
            return eol + 2 + n + 2
        if t in b"*~>%|":
            end = eol + 2
            for _ in range(max(n, 0) * (2 if t in b"%|" else 1)):
                end = self._reply_end(end)
            return end
        raise AssertionError(f"bad reply {self.buf[pos:pos + 80]!r}")

    @staticmethod
    def encode(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            b = a.encode("latin-1")
            out.append(b"$%d\r\n%s\r\n" % (len(b), b))
        return b"".join(out)

    def call_many(self, commands):
        """Send every command in one write; return their raw replies in order."""
        self.sock.sendall(b"".join(self.encode(a) for a in commands))
        replies = []
        for _ in commands:
            end = self._reply_end(0)
            replies.append(self.buf[:end])
            self.buf = self.buf[end:]
        return replies

    def call(self, args):
        return self.call_many([args])[0]


def _split_top(reply):
    """The elements of a top-level aggregate reply, as raw byte strings."""
    c = Conn.__new__(Conn)
    c.buf = reply
    c.sock = None
    items = []
    eol = reply.find(b"\r\n")
    pos = eol + 2
    for _ in range(int(reply[1:eol])):
        end = c._reply_end(pos)
        items.append(reply[pos:end])
        pos = end
    return items


def normalize(args, reply):
    name = args[0].upper()
    if name in TIME_REPLIES and reply.startswith(b":"):
        v = int(reply[1:-2])
        if v > 0:
            unit = TIME_REPLIES[name]
            return b":~%d\r\n" % round(v / unit)
    if name in UNORDERED and reply[:1] in (b"*", b"~") and not reply.startswith(b"*-"):
        return reply[:reply.find(b"\r\n") + 2] + b"".join(sorted(_split_top(reply)))
    return reply


def scan_all(conn, args, max_calls=200):
    """A whole SCAN iteration from cursor 0 with args' options: the sorted set of keys seen,
    or the first error. Cursors and page sizes are each server's own; the set is not."""
    cursor, seen = "0", set()
    for _ in range(max_calls):
        reply = conn.call([args[0], cursor, *args[2:]])
        if not reply.startswith(b"*2\r\n"):
            return reply
        cur, keys = _split_top(reply)
        cursor = cur.split(b"\r\n")[1].decode()
        seen.update(_split_top(keys))
        if cursor == "0":
            return b"SCAN " + b"".join(sorted(seen))
    return b"SCAN did not end after %d calls" % max_calls


def state(conn, dbs=(0, 1, 15)):
    """Every key of the given databases with its value and coarse TTL, as bytes."""
    out = []
    for db in dbs:
        conn.call(["SELECT", str(db)])
        keys = sorted(_split_top(conn.call(["KEYS", "*"])))
        for k in keys:
            name = k.split(b"\r\n")[1].decode("latin-1")
            out.append(b"%d %s %s %s" % (db, k, conn.call(["GET", name]),
                                         normalize(["TTL"], conn.call(["TTL", name]))))
    conn.call(["SELECT", "0"])
    return b"\n".join(out)


def _special(conn, args):
    """The commands compared through more than one call; None for every other command."""
    if args[0] == "SCAN" and len(args) > 1 and args[1] == "0":
        return scan_all(conn, args)
    if args[0].upper() == "DBSIZE" and len(args) == 1:
        # Both count keys whose time has passed until something deletes them, which each
        # server's active expiry does at its own moment: compared is the number of live keys
        # and that DBSIZE is not below it.
        size = int(conn.call(args)[1:-2])
        live = len(_split_top(conn.call(["KEYS", "*"])))
        return b"DBSIZE %s %d" % (b">=" if size >= live else b"<", live)
    return None


def _is_special(args):
    return (args[0] == "SCAN" and len(args) > 1 and args[1] == "0") or \
        (args[0].upper() == "DBSIZE" and len(args) == 1)


def run(tessera_port, redis_port, count, seed, resp3=False, pipeline=1):
    """Send `count` random commands to both servers, up to `pipeline` of them in one write;
    return the list of differences as (index, args, tessera reply, redis reply)."""
    gen = Generator(seed)
    conns = [Conn(tessera_port), Conn(redis_port)]
    diffs = []

    def exchange(batch, first):
        per_server = []
        for name, c in zip(("tessera", "redis"), conns):
            try:
                if len(batch) == 1 and _is_special(batch[0]):
                    per_server.append([_special(c, batch[0])])
                else:
                    per_server.append([normalize(a, r) for a, r in zip(batch, c.call_many(batch))])
            except (ConnectionError, OSError) as e:
                raise AssertionError(f"#{first} {batch[0]!r}: {name} connection: {e!r}") from e
        for j, (t, r) in enumerate(zip(*per_server)):
            if t != r:
                diffs.append((first + j, batch[j], t, r))

    try:
        for c in conns:
            c.call(["FLUSHALL"])
            if resp3:
                c.call(["HELLO", "3"])
        batch, first = [], 0
        for i in range(count):
            args = gen.command()
            if _is_special(args):
                if batch:
                    exchange(batch, first)
                exchange([args], i)
                batch, first = [], i + 1
                continue
            batch.append(args)
            if len(batch) >= pipeline:
                exchange(batch, first)
                batch, first = [], i + 1
        if batch:
            exchange(batch, first)
        # SELECT may have left either connection elsewhere; compare whole databases too.
        states = [state(c) for c in conns]
        if states[0] != states[1]:
            diffs.append((count, ["<state>"], states[0], states[1]))
    finally:
        for c in conns:
            c.close()
    return diffs


def format_diffs(diffs, limit=20):
    lines = []
    for i, args, t, r in diffs[:limit]:
        lines.append(f"#{i} {' '.join(repr(a) for a in args)}\n  tessera: {t[:300]!r}\n"
                     f"  redis:   {r[:300]!r}")
    if len(diffs) > limit:
        lines.append(f"... {len(diffs) - limit} more")
    return "\n".join(lines)


def main():
    tport, rport = int(sys.argv[1]), int(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    pipeline = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    total = 0
    for resp3 in (False, True):
        diffs = run(tport, rport, count, seed, resp3, pipeline)
        total += len(diffs)
        print(f"resp{3 if resp3 else 2}: {count} commands, seed {seed}, pipeline {pipeline}: "
              f"{len(diffs)} differences")
        if diffs:
            print(format_diffs(diffs))
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
