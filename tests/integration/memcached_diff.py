"""Differential testing against memcached: the same random text and meta protocol stream to
Tessera's memcached listener and to Debian's memcached 1.6.18, replies compared byte for
byte.

Each batch of requests is followed by a meta no-op (`mn`), and everything received before
its `MN` is that batch's answer, so quiet modes, noreply and bad data chunks (memcached's
resynchronisation) are compared as sent. CAS uniques are each server's own: they are
renamed by order of first appearance per server (so "the same CAS again" and "a new CAS" are
still compared), and a `cas`/`C` argument is the last CAS the same server returned for that
key, or a number neither server has handed out (CASes of different keys are not ordered
alike: memcached numbers every store, Tessera an item when a client first asks). After a
difference both servers are flushed, so each difference is reported once, not as a cascade. Tessera's documented differences (README, memcached)
are kept out of the stream or evened out: `mg l`, the `E` token, vivify TTLs in the past and
keys over 250 bytes in get-family commands are not generated; values are compared without
spaces after a digit (memcached's padding of a number incr/decr shortened), and memcached's
unsigned wrap of an expired `t` as -1. Relative exptimes are 0, negative or at least 1000 s, so nothing expires mid-run.

Used by test_memcached_differential.py; by hand, against two listening servers:

    /usr/bin/python3 tests/integration/memcached_diff.py TESSERA_MC_PORT MEMCACHED_PORT [COUNT] [SEED] [PIPELINE]
"""

import random
import re
import socket
import sys
import time

KEYS = ["a", "b", "c", "k:1", "x" * 250]
BAD_KEYS = ["x" * 251]
# No value or delta brings a number to 2^63 or beyond: memcached 1.6.18's safe_strtoull then
# looks for a '-' with strchr in the item's data, which is not NUL-terminated, so whether
# incr/decr/ma call such a value numeric depends on the bytes after it in its slab (seen
# here: the same stream answered either way from run to run). Wrapping at 2^64 is checked
# by hand in test_memcached.py.
VALUES = [b"", b"0", b"1", b"10", b"99", b"abc", b"9223372036854775000", b"-1", b" 5",
          b"007", b"hello world", b"a\r\nb", b"12a", b"4294967296",
          b"12345678901234567890123"]
FLAGS = ["0", "1", "42", "4294967295", "4294967296", "-1", "abc"]
DELTAS = ["1", "0", "5", "18446744073709551616", "-1", "abc", "100"]
TOUCH_TTLS = ["0", "1000", "5000", "-1", "2592000", "abc"]
UNUSED_CAS = "18446744073709000000"

END = b"mn\r\n"
END_REPLY = b"MN\r\n"


class Generator:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        now = int(time.time())
        # Absolute exptimes: one in the future, one in the past (beyond 30 days of seconds).
        self.exptimes = ["0", "0", "1000", "5000", "-1", str(now + 100000), "2592001", "abc"]

    def pick(self, seq):
        return self.rng.choice(seq)

    def key(self):
        return self.pick(BAD_KEYS) if self.rng.random() < 0.02 else self.pick(KEYS)

    def value(self):
        if self.rng.random() < 0.1:
            return bytes(self.rng.randrange(33, 127) for _ in range(self.rng.randrange(0, 30)))
        return self.pick(VALUES)

    def noreply(self):
        return " noreply" if self.rng.random() < 0.15 else ""

    def cas(self, key):
        return "{CAS:%s}" % key if self.rng.random() < 0.7 else UNUSED_CAS

    def data_line(self, value):
        """`<bytes>` and the data block; sometimes a length that does not match. Only
        shorter: a longer one would take the no-op that ends the batch as data."""
        r = self.rng.random()
        if r < 0.04 and value:
            return str(len(value) - 1), value + b"\r\n"
        if r < 0.05:
            return "abc", value + b"\r\n"
        return str(len(value)), value + b"\r\n"

    def storage(self):
        cmd = self.pick(["set", "set", "add", "replace", "append", "prepend", "cas"])
        value = self.value()
        n, data = self.data_line(value)
        key = self.key()
        cas = " " + self.cas(key) if cmd == "cas" else ""
        line = f"{cmd} {key} {self.pick(FLAGS)} {self.pick(self.exptimes)} {n}{cas}"
        return (line + self.noreply() + "\r\n").encode() + data

    def retrieval(self):
        cmd = self.pick(["get", "gets", "gat", "gats"])
        # No key over 250 bytes here: memcached fetches (and gat touches) the keys before it,
        # then refuses the command and drops the replies still queued on the connection,
        # also those of earlier pipelined commands; Tessera refuses it whole (documented).
        keys = " ".join(self.pick(KEYS) for _ in range(self.rng.randint(1, 3)))
        ttl = f" {self.pick(TOUCH_TTLS)}" if cmd.startswith("gat") else ""
        return f"{cmd}{ttl} {keys}\r\n".encode()

    def other_text(self):
        r = self.rng.random()
        if r < 0.3:
            return f"delete {self.key()}{self.noreply()}\r\n".encode()
        if r < 0.7:
            cmd = self.pick(["incr", "decr"])
            return f"{cmd} {self.key()} {self.pick(DELTAS)}{self.noreply()}\r\n".encode()
        if r < 0.85:
            return f"touch {self.key()} {self.pick(TOUCH_TTLS)}{self.noreply()}\r\n".encode()
        if r < 0.88:
            return b"flush_all\r\n"
        if r < 0.92:
            return self.pick([b"verbosity 1\r\n", b"version\r\n", b"bogus a b\r\n",
                              b"get\r\n", b"set a 0 0\r\n", b"incr a\r\n", b"touch a\r\n",
                              b"delete\r\n", b"\r\n", b"GET a\r\n"])
        return f"delete {self.key()} 0\r\n".encode()

    def meta_flags(self, choices, n_max=4):
        return [self.pick(choices) for _ in range(self.rng.randint(0, n_max))]

    def meta(self):
        r = self.rng.random()
        key = self.key()
        if r < 0.35:
            flags = self.meta_flags(["v", "k", "c", "f", "s", "O12", "q", "t", "h",
                                     f"T{self.pick(TOUCH_TTLS)}", "N1000", "R30"])
            return (" ".join(["mg", key] + flags) + "\r\n").encode()
        if r < 0.7:
            value = self.value()
            n, data = self.data_line(value)
            flags = self.meta_flags(["c", "k", "O7", "q", f"F{self.pick(FLAGS)}",
                                     f"T{self.pick(TOUCH_TTLS)}", f"C{self.cas(key)}", "I",
                                     "MS", "ME", "MA", "MP", "MR", "Mx"])
            return (" ".join(["ms", key, n] + flags) + "\r\n").encode() + data
        if r < 0.85:
            flags = self.meta_flags(["q", "k", "O3", f"C{self.cas(key)}", "I", "T1000"])
            return (" ".join(["md", key] + flags) + "\r\n").encode()
        flags = self.meta_flags(["N1000", "J13", f"D{self.pick(DELTAS)}", "MI", "M+", "MD",
                                 "M-", "q", "O5", "t", "c", "v", "k"])
        return (" ".join(["ma", key] + flags) + "\r\n").encode()

    def request(self):
        r = self.rng.random()
        if r < 0.3:
            return self.storage()
        if r < 0.55:
            return self.retrieval()
        if r < 0.75:
            return self.other_text()
        return self.meta()


class ServerConn:
    """One server's connection (reopened after the server closes it) and the state that
    renames its CAS uniques: their first-appearance ids and each key's last CAS."""

    def __init__(self, port, timeout=10.0):
        self.port = port
        self.timeout = timeout
        self.cas_ids = {}
        self.key_cas = {}
        self._connect()

    def _connect(self):
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def forget_cas(self):
        """After a flush that resynchronises the two servers: number CAS uniques afresh."""
        self.cas_ids.clear()
        self.key_cas.clear()


class Conn(ServerConn):
    """A text/meta protocol connection; renames its CAS uniques as bytes."""

    def _cas_id(self, raw, key):
        if key is not None:
            self.key_cas[key] = raw
        return b"%d" % self.cas_ids.setdefault(raw, len(self.cas_ids) + 1)

    def _resolve(self, request):
        """{CAS:key} -> the last CAS this server returned for key, or one it never gave."""
        return re.sub(rb"\{CAS:([^}]*)\}",
                      lambda m: self.key_cas.get(m.group(1), UNUSED_CAS.encode()), request)

    def exchange(self, requests):
        """Send the requests and the no-op; return what came back before its reply
        (normalized), or that plus b'<EOF>' when the server closed (then reconnect)."""
        payload = b"".join(self._resolve(r) for r in requests)
        self.sock.sendall(payload + END)
        deadline = time.monotonic() + self.timeout
        while not self.buf.endswith(END_REPLY):
            if time.monotonic() > deadline:
                raise AssertionError(f"port {self.port}: no reply to mn; got {self.buf[:300]!r}")
            try:
                d = self.sock.recv(1 << 16)
            except (ConnectionResetError, BrokenPipeError):
                d = b""
            if not d:
                out = self.buf + b"<EOF>"
                self.sock.close()
                self._connect()
                return self.normalize(out, None)
            self.buf += d
        out, self.buf = self.buf[:-len(END_REPLY)], b""
        # A meta reply's CAS belongs to the request's key when the batch has one request.
        key = None
        if len(requests) == 1 and requests[0][:1] == b"m" and requests[0][2:3] == b" ":
            parts = requests[0].split(b"\r\n")[0].split(b" ")
            key = parts[1] if len(parts) > 1 else None
        return self.normalize(out, key)

    def normalize(self, out, meta_key):
        """CAS renamed, decr padding and remaining TTLs evened out."""
        result = []
        pos = 0
        while pos < len(out):
            eol = out.find(b"\r\n", pos)
            if eol < 0:
                result.append(out[pos:])
                break
            line, pos = out[pos:eol], eol + 2
            value = re.fullmatch(rb"VALUE (\S+) (\d+) (\d+)(?: (\d+))?", line)
            meta_value = re.fullmatch(rb"VA (\d+)(.*)", line)
            if value or meta_value:
                n = int(value.group(3) if value else meta_value.group(1))
                # memcached pads a number incr/decr shortened in place with spaces, which
                # later appends keep; Tessera stores the number (a documented difference).
                data = re.sub(rb"(?<=\d) +", b"", out[pos:pos + n])
                pos += n + 2
                if value:
                    line = b"VALUE %s %s %d" % (value.group(1), value.group(2), len(data))
                    if value.group(4) is not None:
                        line += b" " + self._cas_id(value.group(4), value.group(1))
                else:
                    line = b"VA %d" % len(data) + self.meta_flags(meta_value.group(2), meta_key)
                result += [line, data]
                continue
            if line[:2] in (b"HD", b"EN", b"NF", b"NS", b"EX") and line[2:3] in (b"", b" "):
                line = line[:2] + self.meta_flags(line[2:], meta_key)
            result.append(line)
        return b"\r\n".join(result)

    def meta_flags(self, flags, key):
        flags = re.sub(rb"(?<= )c(\d+)(?= |$)", lambda m: b"c" + self._cas_id(m.group(1), key), flags)
        # Remaining TTLs: seconds, at most one apart between the two calls. memcached prints
        # an expired TTL as an unsigned wrap (a documented difference): compared as -1.
        return re.sub(rb"(?<= )t(\d+)(?= |$)",
                      lambda m: b"t-1" if int(m.group(1)) >= 1 << 31
                      else b"t~%d" % round(int(m.group(1)), -2), flags)


def compare_stream(conns, gen, count, pipeline, flush, final=None):
    """The loop both memcached runners share: `count` requests from gen.request(),
    `pipeline` per exchange, to Tessera's and memcached's connection (in that order). After
    a difference both are sent `flush` and rename CAS uniques afresh, so they go on from the
    same (empty) state. `final`, if given, is one more exchange, compared too. Returns the
    differences as (index, requests, tessera answer, memcached answer)."""
    diffs = []
    try:
        for c in conns:
            c.exchange([flush])
        i = 0
        while i < count:
            batch = [gen.request() for _ in range(min(pipeline, count - i))]
            answers = []
            for name, c in zip(("tessera", "memcached"), conns):
                try:
                    answers.append(c.exchange(batch))
                except (ConnectionError, OSError) as e:
                    raise AssertionError(f"#{i} {batch!r}: {name}: {e!r}") from e
            t, m = answers
            if t != m:
                diffs.append((i, batch, t, m))
                for c in conns:
                    c.exchange([flush])
                    c.forget_cas()
            i += len(batch)
        if final is not None:
            t, m = (c.exchange(final) for c in conns)
            if t != m:
                diffs.append((count, [b"<final state>"], t, m))
    finally:
        for c in conns:
            c.close()
    return diffs


def run(tessera_port, memcached_port, count, seed, pipeline=1):
    """Send `count` random requests to both servers, `pipeline` per write; return the
    differences as (index, requests, tessera reply, memcached reply)."""
    keys = " ".join(KEYS).encode()
    final = [b"gets " + keys + b"\r\n", b"mg " + keys.split()[0] + b" t v f\r\n"]
    return compare_stream([Conn(tessera_port), Conn(memcached_port)], Generator(seed), count,
                          pipeline, b"flush_all\r\n", final)


def format_diffs(diffs, limit=10, render=b"".join):
    """The first `limit` differences, each request batch shown as render(batch)."""
    lines = []
    for i, batch, t, m in diffs[:limit]:
        lines.append(f"#{i} {render(batch)!r}"[:600])
        lines.append(f"  tessera:   {t!r}"[:600])
        lines.append(f"  memcached: {m!r}"[:600])
    if len(diffs) > limit:
        lines.append(f"... {len(diffs) - limit} more")
    return "\n".join(lines)


def main(run_stream=None, format_stream=None):
    """TESSERA_MC_PORT MEMCACHED_PORT [COUNT] [SEED] [PIPELINE]; also the binary runner's."""
    run_stream, format_stream = run_stream or run, format_stream or format_diffs
    tport, mport = int(sys.argv[1]), int(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    pipeline = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    diffs = run_stream(tport, mport, count, seed, pipeline)
    print(f"{count} requests, seed {seed}, pipeline {pipeline}: {len(diffs)} differences")
    if diffs:
        print(format_stream(diffs))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
