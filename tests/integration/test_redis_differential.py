"""Tessera and Debian's redis-server given the same random command stream answer byte for
byte the same (redis_diff.py says what is generated and what is compared coarsely).

Fixed seeds, so a failure replays: the message names the command's index, and
`redis_diff.py TESSERA_PORT REDIS_PORT COUNT SEED PIPELINE` against two running servers
reproduces the stream. Covers RESP2 and RESP3, one command per round trip and 25 per write,
the default topology and one where keys spread over three workers (cross-shard MSET,
RENAME, MGET, SCAN).
"""

import pytest

import redis_diff
from conftest import IS_REDIS, READY_TIMEOUT, _start_redis

pytestmark = pytest.mark.skipif(IS_REDIS, reason="compares Tessera with redis-server")

COMMANDS = 5000
TOPOLOGIES = {
    "default": [],
    "three_workers": ["--workers", "3", "--parsers", "2", "--repliers", "2"],
}


@pytest.fixture(scope="module")
def redis_peer():
    srv = _start_redis([], READY_TIMEOUT)
    yield srv
    srv.stop()


@pytest.fixture(scope="module", params=sorted(TOPOLOGIES))
def tessera(request):
    from conftest import start_server
    srv = start_server(TOPOLOGIES[request.param])
    yield srv
    alive = srv.alive()
    logs = srv.logs() if not alive else ""
    srv.stop()
    assert alive, f"server died\n{logs}"


@pytest.mark.parametrize("pipeline", [1, 25])
@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
def test_same_replies_as_redis(tessera, redis_peer, resp3, pipeline):
    seed = 1000 * pipeline + (3 if resp3 else 2) + 10 * len(tessera.argv)
    diffs = redis_diff.run(tessera.port, redis_peer.port, COMMANDS, seed, resp3, pipeline)
    assert not diffs, (f"seed {seed}: {len(diffs)} differences\n"
                       + redis_diff.format_diffs(diffs))
    tessera.assert_alive()
