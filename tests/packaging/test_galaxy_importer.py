"""The tarball through galaxy-importer, which Galaxy runs on every upload: no warning, no error."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from conftest import Installed, user_env  # pylint: disable=import-error

CONFIG = Path(__file__).with_name("galaxy-importer.cfg")
PLUGINS = {
    ("module", "snapshot"),
    ("module", "snapshot_info"),
    ("module", "rollback"),
    ("module", "scratch_server"),
    ("lookup", "servers"),
    ("filter", "fleet_projects"),
    ("filter", "fleet_projects_summary"),
}


def test_galaxy_importer_accepts_the_tarball_without_a_warning(tools, tarball, tmp_path):
    env = user_env(Installed(tmp_path, tmp_path / "collections", tmp_path), tools, GALAXY_IMPORTER_CONFIG=str(CONFIG))
    run = subprocess.run(
        [tools / "python", "-m", "galaxy_importer.main", tarball], cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=600
    )
    log = run.stdout + run.stderr
    assert run.returncode == 0, log
    assert [line for line in log.splitlines() if re.match(r"(WARNING|ERROR|CRITICAL)\b", line)] == [], log
    assert run.stderr == "", log
    assert "Importer processing completed successfully" in run.stdout, log
    # It did check: ansible-doc read every plugin's documentation, ansible-lint ran over the collection.
    assert "Linting collection via ansible-lint" in run.stdout, log
    result = json.loads((tmp_path / "importer_result.json").read_text(encoding="utf-8"))
    documented = {(item["content_type"], item["content_name"]) for item in result["docs_blob"]["contents"] if item.get("doc_strings")}
    assert documented == PLUGINS
    assert result["docs_blob"]["collection_readme"]["html"]
