"""The README stays true: its command table is exactly what the registry says."""
import os
import pathlib
import subprocess

import pytest

from conftest import tessera_only

ROOT = pathlib.Path(__file__).resolve().parents[2]


@tessera_only
def test_readme_command_table_matches_registry():
    server = os.environ.get("TESSERA_SERVER", str(ROOT / "build" / "tessera-server"))
    table = subprocess.run([server, "--commands-markdown"], check=True, capture_output=True, text=True).stdout
    readme = (ROOT / "README.md").read_text()
    section = readme.split("<!-- commands:begin -->\n", 1)[1].split("<!-- commands:end -->", 1)[0]
    assert section == table, "README command table is stale: run scripts/update_readme_commands.py"
    assert "| GET | string |" in table and "| SCAN | generic |" in table
