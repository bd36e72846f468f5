"""The current ``hetzner.hcloud`` inventory plugin (6.x) against the simulator, unchanged, with its defaults.

hetzner.hcloud cannot be installed from Galaxy here, but the community package ``ansible`` on PyPI bundles it.
The test downloads that one wheel (``pip download --no-deps``), extracts only ``ansible_collections/hetzner/hcloud``
into ``.tmp/hetzner.hcloud/<version>/`` (kept between runs) and checks it is 6.x. The plugin talks to the API through
the copy of the ``hcloud`` library vendored in the collection (``plugins/module_utils/_vendor/hcloud``), not the one
installed here.

It runs ``ansible-inventory`` with the example configuration of ``playbooks/inventory/hcloud.yml.example`` (endpoint
from ``HCLOUD_ENDPOINT``) and with one that sets ``api_endpoint``, against the simulator's default settings
(``datacenters: removed``: servers carry no datacenter, as the API has since 2026-07-01), and checks the hosts, the
groups and the ``hcloud_*`` variables against the simulator's state. Then ``playbooks/snapshot_hosts.yml`` on that
inventory makes one snapshot per host, read back through the API with the ``hcloud`` library.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from hcloud_sim.launcher import SimControl, SimulatorProcess

from .conftest import TOKEN, make_client

REPO_ROOT = Path(__file__).resolve().parents[2]
# The community package that bundles hetzner.hcloud 6.x; 14.x needs Python 3.12, which pip is told for the download
# only (the wheel is pure Python and not installed).
ANSIBLE_PACKAGE = "ansible==14.5.0"
CACHE = REPO_ROOT / ".tmp" / "hetzner.hcloud"
COLLECTION_IN_WHEEL = "ansible_collections/hetzner/hcloud/"
OWN_COLLECTIONS = REPO_ROOT / ".tmp" / "collections"
EXAMPLE = REPO_ROOT / "playbooks" / "inventory" / "hcloud.yml.example"
HOSTS_PLAYBOOK = REPO_ROOT / "playbooks" / "snapshot_hosts.yml"
SELECTED = "backup=daily"  # the example's label_selector


def download_collection() -> Path:
    """``.tmp/hetzner.hcloud/<version>``, a collections root holding hetzner.hcloud; downloaded and extracted once."""
    marker = CACHE / f"{ANSIBLE_PACKAGE.replace('==', '-')}.version"
    if marker.exists() and (CACHE / marker.read_text().strip() / COLLECTION_IN_WHEEL / "MANIFEST.json").exists():
        return CACHE / marker.read_text().strip()
    wheels = CACHE / "wheels"
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version", "3.12", "-d", str(wheels), ANSIBLE_PACKAGE]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    found = sorted(wheels.glob("ansible-*.whl"))
    if done.returncode != 0 or not found:
        pytest.skip(f"cannot download {ANSIBLE_PACKAGE} from PyPI (pip exit status {done.returncode}): {done.stderr.strip()[-300:]}")
    with zipfile.ZipFile(found[-1]) as wheel:
        version = json.loads(wheel.read(COLLECTION_IN_WHEEL + "MANIFEST.json"))["collection_info"]["version"]
        root = CACHE / version
        wheel.extractall(root, [name for name in wheel.namelist() if name.startswith(COLLECTION_IN_WHEEL)])
    marker.write_text(version)
    found[-1].unlink()
    return root


@pytest.fixture(scope="module")
def hetzner_collections() -> Path:
    """A collections root with hetzner.hcloud 6.x in it."""
    root = download_collection()
    manifest = json.loads((root / COLLECTION_IN_WHEEL / "MANIFEST.json").read_text())
    version = manifest["collection_info"]["version"]
    assert version.split(".")[0] == "6", f"{ANSIBLE_PACKAGE} bundles hetzner.hcloud {version}, not 6.x"
    return root


def own_collection() -> Path:
    """``.tmp/collections``: a collections root with this checkout as lockaware.hcloud."""
    link = OWN_COLLECTIONS / "ansible_collections" / "lockaware" / "hcloud"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink():
            link.unlink()
        link.symlink_to(REPO_ROOT, target_is_directory=True)
    return OWN_COLLECTIONS


def ansible_env(sim: SimulatorProcess, collections: Path, home: Path, endpoint_in_env: bool = True) -> dict[str, str]:
    """The controller's environment: the token (and the endpoint) as a user of hetzner.hcloud sets them."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "HCLOUD_"))}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        ANSIBLE_COLLECTIONS_PATH=f"{collections}{os.pathsep}{own_collection()}",
        ANSIBLE_HOME=str(home),
        ANSIBLE_LOCAL_TEMP=str(home / "tmp"),
        ANSIBLE_NOCOLOR="1",
        HCLOUD_TOKEN=TOKEN,
    )
    if endpoint_in_env:
        env["HCLOUD_ENDPOINT"] = sim.url
    return env


def tool(name: str) -> str:
    """An Ansible command line tool of this virtual environment."""
    return str(Path(sys.executable).parent / name)


def plain(value: Any) -> Any:
    """``ansible-inventory --list`` output without ansible-core 2.19's ``{"__ansible_unsafe": ...}`` wrappers."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def inventory(config: Path, env: dict[str, str]) -> dict[str, Any]:
    """``ansible-inventory -i config --list``, decoded."""
    done = subprocess.run([tool("ansible-inventory"), "-i", str(config), "--list"], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"ansible-inventory failed:\n{done.stdout}\n{done.stderr}"
    assert "Invalid Hetzner Cloud API Token" not in done.stderr
    assert TOKEN not in done.stdout + done.stderr
    return plain(json.loads(done.stdout))


def selected_servers(control: SimControl) -> dict[str, dict[str, Any]]:
    """The simulator's servers the example's label_selector picks, by name."""
    key, _equals, value = SELECTED.partition("=")
    return {server["name"]: server for server in control.state()["servers"] if server["labels"].get(key) == value}


def check_inventory(listed: dict[str, Any], servers: dict[str, dict[str, Any]]) -> None:
    """Hosts, groups and hcloud_* variables as the simulator's state has them."""
    hostvars = listed["_meta"]["hostvars"]
    assert set(hostvars) == set(servers)
    assert set(listed["hcloud"]["hosts"]) == set(servers)
    for name, server in servers.items():
        found = hostvars[name]
        ipv4 = server["public_net"]["ipv4"]["ip"]
        expected = {
            "hcloud_id": server["id"],
            "hcloud_name": name,
            "hcloud_status": server["status"],
            "hcloud_server_type": server["server_type"]["name"],
            "hcloud_location": server["location"]["name"],
            "hcloud_labels": server["labels"],
            "hcloud_ipv4": ipv4,
            "hcloud_image_os_flavor": server["image"]["os_flavor"],
            "ansible_host": ipv4,
            # The API has no datacenter since 2026-07-01: the plugin's deprecated variable is left empty.
            "hcloud_datacenter": None,
        }
        assert {key: found.get(key) for key in expected} == expected, name
        assert name in listed[f"role_{server['labels']['role']}"]["hosts"]
        assert name in listed[f"location_{server['location']['name']}"]["hosts"]
    made = {group for group in listed if group.startswith(("role_", "location_"))}
    wanted = {f"role_{server['labels']['role']}" for server in servers.values()} | {f"location_{server['location']['name']}" for server in servers.values()}
    assert made == wanted


def check_request_log(control: SimControl) -> None:
    """The plugin read what it needed and nothing deprecated (no /datacenters), and wrote nothing."""
    requests = control.requests()
    assert requests, "the plugin sent no request to the simulator"
    assert [entry for entry in requests if entry["deprecated"]] == []
    assert [entry for entry in requests if entry["method"] not in ("GET", "HEAD")] == []
    assert all(entry["status"] == 200 for entry in requests), [(entry["path"], entry["status"]) for entry in requests]


def test_inventory_plugin_from_the_example(sim: SimulatorProcess, control: SimControl, hetzner_collections: Path, tmp_path: Path) -> None:
    config = tmp_path / "hcloud.yml"
    config.write_text(EXAMPLE.read_text())
    control.clear_requests()
    listed = inventory(config, ansible_env(sim, hetzner_collections, tmp_path / "home"))
    check_inventory(listed, selected_servers(control))
    check_request_log(control)


def test_inventory_plugin_with_api_endpoint_option(sim: SimulatorProcess, control: SimControl, hetzner_collections: Path, tmp_path: Path) -> None:
    config = tmp_path / "sim.hcloud.yml"
    config.write_text(f"{EXAMPLE.read_text()}\napi_endpoint: {sim.url}\nstrict: true\n")
    control.clear_requests()
    listed = inventory(config, ansible_env(sim, hetzner_collections, tmp_path / "home", endpoint_in_env=False))
    check_inventory(listed, selected_servers(control))
    check_request_log(control)


def utc_date() -> str:
    """Today's UTC date, as the module's default description has it."""
    return f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d}"


def test_snapshot_hosts_on_the_plugins_inventory(sim: SimulatorProcess, control: SimControl, hetzner_collections: Path, tmp_path: Path) -> None:
    config = tmp_path / "hcloud.yml"
    config.write_text(EXAMPLE.read_text())
    servers = selected_servers(control)
    others = {server["name"] for server in control.state()["servers"]} - set(servers)
    before = {image["id"] for image in control.state()["images"]}
    dates = {utc_date()}
    env = ansible_env(sim, hetzner_collections, tmp_path / "home")
    argv = [tool("ansible-playbook"), "-i", str(config), str(HOSTS_PLAYBOOK), "-f", str(len(servers))]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path)
    dates.add(utc_date())
    assert done.returncode == 0, f"snapshot_hosts.yml failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}"
    assert TOKEN not in done.stdout + done.stderr
    assert done.stdout.count(" failed=0 ") == len(servers), done.stdout[-2000:]
    client = make_client(sim.url)
    new = [image for image in client.images.get_all(type="snapshot") if image.id not in before]
    made = {}
    for image in new:
        made.setdefault(image.created_from.name, []).append(image)
    assert set(made) == set(servers), f"snapshots made for {sorted(made)}; the inventory has {sorted(servers)}; not for {sorted(others)}"
    for name, images in made.items():
        assert len(images) == 1, f"{name}: {[image.description for image in images]}"
        image = images[0]
        assert image.status == "available"
        assert image.description in {f"{name}-{date}" for date in dates}
        assert image.labels.get("lockaware.hcloud/managed") == "true"
        assert image.created_from.id == servers[name]["id"]
    assert [entry for entry in control.requests() if entry["deprecated"]] == []
