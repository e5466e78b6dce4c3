#!/usr/bin/python3
"""Regenerates the README's command table from the registry (tessera-server --commands-markdown).

Usage: scripts/update_readme_commands.py [path/to/tessera-server]
"""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- commands:begin -->", "<!-- commands:end -->"


def main():
    server = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "build" / "tessera-server")
    table = subprocess.run([server, "--commands-markdown"], check=True, capture_output=True, text=True).stdout
    readme = ROOT / "README.md"
    text = readme.read_text()
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(head + BEGIN + "\n" + table + END + tail)


if __name__ == "__main__":
    main()
