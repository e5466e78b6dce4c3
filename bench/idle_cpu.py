#!/usr/bin/python3
"""Idle CPU of tessera-server: starts it with default flags (plus any given), lets it sit
idle with N connected but silent clients, and prints the CPU it used as % of one core.

Usage: bench/idle_cpu.py [seconds=10] [clients=10] [-- extra server flags]
"""
import os
import socket
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def main():
    args = sys.argv[1:]
    extra = []
    if "--" in args:
        extra = args[args.index("--") + 1:]
        args = args[:args.index("--")]
    seconds = float(args[0]) if args else 10.0
    clients = int(args[1]) if len(args) > 1 else 10
    server = os.environ.get("TESSERA_SERVER", os.path.join(ROOT, "build", "tessera-server"))
    proc = subprocess.Popen([server, "--port", "0", "--memcached-port", "0", *extra], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(proc.stdout.readline().split()[3])
        conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(clients)]
        conns[0].sendall(b"PING\r\n")
        conns[0].recv(16)
        time.sleep(1.0)  # let start-up settle
        before = cpu_ticks(proc.pid)
        t0 = time.monotonic()
        time.sleep(seconds)
        used = (cpu_ticks(proc.pid) - before) / CLK_TCK
        elapsed = time.monotonic() - t0
        print(f"idle {elapsed:.1f} s with {clients} silent clients: {used * 1000:.0f} ms CPU = "
              f"{100.0 * used / elapsed:.2f}% of one core (flags: {' '.join(extra) or 'defaults'})")
        for c in conns:
            c.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
