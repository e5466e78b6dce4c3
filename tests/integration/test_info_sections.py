"""INFO's sections in Redis 7.0's order, the fields tools read from them (HAProxy's `role:master`
check, cluster detection, CPU), and ROLE. Everything here also passes with TESSERA_TARGET=redis.
"""

import re

from conftest import IS_REDIS, wait_until

# Redis 7.0's default sections, in order; Tessera has all of these (Redis adds Modules).
DEFAULT_SECTIONS = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Errorstats",
                    "Cluster", "Keyspace"]


def section_headers(server, *sections):
    """The "# Name" headers of INFO's raw text (redis-py would parse it into a dict)."""
    with server.raw() as c:
        text = c.call("INFO", *sections).decode()
    return re.findall(r"^# (\w+)\r?$", text, flags=re.MULTILINE)


def is_subsequence(wanted, seen):
    rest = iter(seen)
    return all(name in rest for name in wanted)


def test_default_info_lists_redis_sections_in_redis_order(server):
    headers = section_headers(server)
    assert is_subsequence(DEFAULT_SECTIONS, headers), headers
    assert "Commandstats" not in headers  # only on request, as in Redis
    everything = section_headers(server, "everything")
    assert is_subsequence(["Stats", "Commandstats", "Errorstats", "Keyspace"], everything), everything


def test_several_sections_in_one_call(server):
    """Redis 7.0 takes any number of section names; unknown ones add nothing."""
    assert section_headers(server, "server", "CLIENTS") == ["Server", "Clients"]
    assert section_headers(server, "keyspace", "server") == ["Server", "Keyspace"]
    headers = section_headers(server, "default", "commandstats")
    assert is_subsequence(DEFAULT_SECTIONS[:5] + ["Commandstats", "Errorstats"], headers), headers
    assert section_headers(server, "nosuch") == []


def test_replication_persistence_and_cluster_say_standalone_master(r):
    replication = r.info("replication")
    assert replication["role"] == "master"
    assert replication["connected_slaves"] == 0
    assert replication["master_repl_offset"] == 0
    assert re.fullmatch(r"[0-9a-f]{40}", replication["master_replid"])
    assert r.info("persistence")["loading"] == 0
    assert r.info("cluster")["cluster_enabled"] == 0
    assert r.execute_command("ROLE") == [b"master", 0, []]


def test_server_section_identifies_the_run(r):
    first = r.info("server")
    assert re.fullmatch(r"[0-9a-f]{40}", first["run_id"])
    assert first["configured_hz"] == first["hz"]
    assert abs(first["server_time_usec"] / 1e6 - r.time()[0]) < 60
    assert r.info("server")["run_id"] == first["run_id"]


def test_cpu_section_counts_the_server_time(r):
    before = r.info("cpu")
    p = r.pipeline(transaction=False)
    for i in range(20000):
        p.set(f"cpu:{i}", "v")
    p.execute()
    after = r.info("cpu")
    for field in ("used_cpu_sys", "used_cpu_user", "used_cpu_sys_children", "used_cpu_user_children"):
        assert after[field] >= before[field] >= 0
    assert after["used_cpu_sys"] + after["used_cpu_user"] > before["used_cpu_sys"] + before["used_cpu_user"]


def from_human(text):
    """Redis's bytesToHuman back to bytes (to within its rounding)."""
    units = {"B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50}
    assert re.fullmatch(r"\d+B|\d+\.\d\d[KMGTP]", text), text
    return float(text[:-1]) * units[text[-1]]


def test_memory_fields_and_peak(r):
    p = r.pipeline(transaction=False)
    for i in range(5000):
        p.set(f"mem:{i}", "v" * 100)
    p.execute()
    loaded = r.info("memory")
    for field in ("used_memory", "used_memory_rss", "used_memory_peak", "total_system_memory"):
        assert loaded[field] > 0, field
        assert abs(from_human(loaded[field + "_human"]) - loaded[field]) <= loaded[field] * 0.01 + 1, field
    assert loaded["used_memory_peak"] >= loaded["used_memory"]
    assert loaded["mem_fragmentation_ratio"] > 0
    if not IS_REDIS:  # Redis divides figures of its last cron run; Tessera those of this INFO
        ratio = loaded["used_memory_rss"] / loaded["used_memory"]
        assert abs(loaded["mem_fragmentation_ratio"] - ratio) <= 0.006, (loaded, ratio)
        assert loaded["mem_fragmentation_bytes"] == loaded["used_memory_rss"] - loaded["used_memory"]
    r.flushall()
    after = r.info("memory")
    assert after["used_memory"] < loaded["used_memory"]
    assert after["used_memory_peak"] >= loaded["used_memory"]


def test_instantaneous_rates_follow_the_load(r):
    """Sampled every 100 ms and averaged over 1.6 s, as Redis does: under a steady load they
    become positive (bounded wait, no timing assumption beyond that)."""
    def loaded_rates():
        p = r.pipeline(transaction=False)
        for i in range(500):
            p.set(f"rate:{i}", "v")
        p.execute()
        stats = r.info("stats")
        return stats["instantaneous_ops_per_sec"], stats["instantaneous_input_kbps"], stats["instantaneous_output_kbps"]
    wait_until(lambda: all(rate > 0 for rate in loaded_rates()), timeout=60, what="instantaneous rates under load")
