"""Tessera's memcached listener and Debian's memcached 1.6.18 given the same random text and
meta protocol stream answer byte for byte the same, and so do they for a binary protocol
stream (memcached_diff.py and memcached_binary_diff.py say what is generated and what is
compared coarsely).

The reference memcached runs without its LRU crawler and maintainer threads: a reference
they hold on an item makes memcached store an incr/decr result as a new item instead of
rewriting it in place, so that the same stream is answered differently from run to run.
Fixed seeds: a failure names the request's index, and `memcached_diff.py TESSERA_MC_PORT
MEMCACHED_PORT COUNT SEED PIPELINE` against two running servers replays the stream.
"""

import pytest

import memcached_binary_diff
import memcached_diff
from conftest import tessera_only
from test_memcached import start_memcached

pytestmark = tessera_only

REQUESTS = 4000


@pytest.fixture(scope="module")
def reference():
    m = start_memcached(["-o", "no_lru_crawler,no_lru_maintainer"])
    yield m
    alive = m.proc.poll() is None
    m.stop()
    assert alive, "memcached died during the module"


@pytest.mark.parametrize("seed,pipeline", [(1, 1), (2, 1), (3, 20)])
def test_same_replies_as_memcached(server, reference, seed, pipeline):
    diffs = memcached_diff.run(server.memcache_port, reference.port, REQUESTS, seed, pipeline)
    assert not diffs, (f"seed {seed}: {len(diffs)} differences\n"
                       + memcached_diff.format_diffs(diffs))
    server.assert_alive()


@pytest.mark.parametrize("seed,pipeline", [(1, 1), (5, 20)])
def test_same_binary_responses_as_memcached(server, reference, seed, pipeline):
    diffs = memcached_binary_diff.run(server.memcache_port, reference.port, REQUESTS, seed,
                                      pipeline)
    assert not diffs, (f"seed {seed}: {len(diffs)} differences\n"
                       + memcached_binary_diff.format_diffs(diffs))
    server.assert_alive()
