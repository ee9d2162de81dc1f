"""The inventory plugin macfleet.credsync.jumpcloud through ansible-inventory, against jcsim.

--graph and --list on a fleet the way fleetsim seeds it, thousands of systems paged with retries, the cache (no
API call the second time), compose / keyed_groups / groups / strict, bad options (a clear error and no API call)
and the API key kept out of every output and cache file.
"""

import json
import os
import subprocess
import sys

import pytest

import jcsim
from credsync_testlib import COLLECTIONS_PATH, in_collection_tree

BIN = os.path.dirname(sys.executable)

pytestmark = pytest.mark.skipif(not in_collection_tree(),
                                reason="needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)")


@pytest.fixture(name="sim")
def _sim():
    with jcsim.JumpCloudSim() as server:
        yield server
        assert server.internal_errors == []


def write_config(tmp_path, sim, name="fleet.jumpcloud.yml", **options):
    config = dict({"plugin": "macfleet.credsync.jumpcloud", "base_url": sim.url, "api_key": sim.api_key}, **options)
    path = tmp_path / name
    path.write_text(json.dumps(config))  # JSON is YAML
    return str(path)


def inventory(tmp_path, *sources, args=("--list",), env=None):
    run_env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH, ANSIBLE_NOCOLOR="1",
                   ANSIBLE_LOCAL_TEMP=str(tmp_path / "local"), ANSIBLE_INVENTORY_UNPARSED_FAILED="True",
                   **(env or {}))
    run_env.pop("ANSIBLE_CONFIG", None)
    argv = [os.path.join(BIN, "ansible-inventory")]
    for source in sources:
        argv += ["-i", source]
    proc = subprocess.run(argv + list(args), cwd=str(tmp_path), env=run_env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300, check=False)
    return proc


def listed(proc):
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(proc.stdout)
    hostvars = {host: {key: _plain(value) for key, value in hvars.items()}
                for host, hvars in data["_meta"]["hostvars"].items()}
    groups = {name: set(group.get("hosts", [])) for name, group in data.items() if name != "_meta"}
    return groups, hostvars


def _plain(value):
    """ansible-inventory marks the plugin's strings as unsafe ({"__ansible_unsafe": text}); the text."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


@pytest.fixture(name="small")
def _small(sim):
    """alice's Mac (primary), bob's two Macs (one primary, one bound only), a shared lab Mac (carol and dave, no
    primary), an admin-only Mac, a switched-off Mac without service account, a Mac with FileVault off, a Windows PC."""
    ids = {name: sim.add_user(name) for name in ("alice", "bob", "carol", "dave", "itadmin")}
    macs = {}
    macs["mbp-alice"] = sim.add_system("mbp-alice")
    sim.bind_user(macs["mbp-alice"], ids["alice"], primary=True, secure_token=True)
    sim.bind_user(macs["mbp-alice"], ids["itadmin"], admin=True, secure_token=True)
    macs["mbp-bob"] = sim.add_system("mbp-bob", fde={"active": False, "keyPresent": False})
    sim.bind_user(macs["mbp-bob"], ids["bob"], primary=True)
    macs["imac-bob"] = sim.add_system("imac-bob")
    sim.bind_user(macs["imac-bob"], ids["bob"], secure_token=True)
    sim.bind_user(macs["imac-bob"], ids["itadmin"], admin=True)
    macs["lab"] = sim.add_system("lab")
    sim.bind_user(macs["lab"], ids["carol"])
    sim.bind_user(macs["lab"], ids["dave"])
    macs["kiosk"] = sim.add_system("kiosk")
    sim.bind_user(macs["kiosk"], ids["itadmin"], admin=True)
    macs["old"] = sim.add_system("old", hasServiceAccount=False, lastContact="2020-01-01T00:00:00.000Z",
                                 serviceAccountState={"hasSecureToken": False})
    sim.bind_user(macs["old"], ids["dave"], primary=True)
    sim.add_system("win-1", os_family="windows")
    sim.clear_calls()
    return macs


def test_graph_and_list(tmp_path, sim, small):
    config = write_config(tmp_path, sim)
    graph = inventory(tmp_path, config, args=("--graph",))
    assert graph.returncode == 0, graph.stderr
    assert "@macs:" in graph.stdout and "win-1" not in graph.stdout
    groups, hostvars = listed(inventory(tmp_path, config))
    assert groups["macs"] == {"mbp-alice", "mbp-bob", "imac-bob", "lab", "kiosk", "old"}
    assert groups["offline"] == {"old"} and groups["no_service_account"] == {"old"}
    assert groups["filevault_off"] == {"mbp-bob"} and groups["user_ambiguous"] == {"lab"}
    assert groups["no_user"] == {"kiosk"}
    users = {host: hvars.get("credsync_user") for host, hvars in hostvars.items()}
    assert users == {"mbp-alice": "alice", "mbp-bob": "bob", "imac-bob": "bob", "lab": None, "kiosk": None,
                     "old": "dave"}
    alice = hostvars["mbp-alice"]
    assert alice["jumpcloud_secure_token_users"] == ["alice", "itadmin"] and alice["jumpcloud_admin_users"] == ["itadmin"]
    assert alice["jumpcloud_id"] == small["mbp-alice"] and alice["ansible_host"] == "mbp-alice"
    assert alice["jumpcloud_service_account"]["present"] is True and alice["jumpcloud_online"] is True
    assert hostvars["lab"]["jumpcloud_user_candidates"] == ["carol", "dave"]
    assert "not guessed" in hostvars["lab"]["jumpcloud_user_problem"]
    # Bound users read only for the three systems without a primary user, one call each; no per-system V1 call.
    counts = sim.route_counts()
    assert counts.get("GET /api/v2/systems/{system_id}/users") == 2 * 3
    assert "GET /api/systems/{id}" not in counts and counts["GET /api/systems"] == 2


def test_other_os_families_and_interface_address(tmp_path, sim, small):
    config = write_config(tmp_path, sim, os_families=["darwin", "windows"], ansible_host_source="interface",
                          online_window=1)
    groups, hostvars = listed(inventory(tmp_path, config))
    assert "win-1" in hostvars and "win-1" not in groups["macs"]
    assert hostvars["mbp-alice"]["ansible_host"].startswith("10.")
    everything = write_config(tmp_path, sim, name="all.jumpcloud.yaml", os_families=[])
    assert "win-1" in listed(inventory(tmp_path, everything))[1]
    assert small


def test_thousands_of_systems_paged_with_retries(tmp_path, sim):
    users = sim.seed_users(1500)
    sim.seed_systems(2500, users=users, no_primary_every=50)
    sim.set_rate_limit(every=7, retry_after=0)
    config = write_config(tmp_path, sim)
    groups, hostvars = listed(inventory(tmp_path, config))
    assert len(groups["macs"]) == 2500 == len(hostvars)
    assert all(hvars.get("credsync_user") for hvars in hostvars.values())
    answered = [call for call in sim.calls() if call["status"] == 200]
    assert sim.stats()["rate_limited"] > 0
    pages = {"GET /api/systems": 25, "GET /api/systemusers": 15, "GET /api/v2/systems/{system_id}/users": 50}
    assert {route: sum(1 for call in answered if call["route"] == route) for route in pages} == pages
    assert all("limit=100" in call["query"] for call in answered)


def test_cache_answers_without_a_call(tmp_path, sim, small):
    cache_dir = tmp_path / "cache"
    config = write_config(tmp_path, sim, cache=True, cache_plugin="ansible.builtin.jsonfile",
                          cache_connection=str(cache_dir), cache_timeout=600)
    first = listed(inventory(tmp_path, config))
    calls = sim.call_count()
    assert calls > 0
    second = listed(inventory(tmp_path, config))
    assert sim.call_count() == calls and first == second
    cached = "".join(path.read_text() for path in cache_dir.iterdir())
    assert "mbp-alice" in cached and sim.api_key not in cached
    flushed = inventory(tmp_path, config, args=("--list", "--flush-cache"))
    assert flushed.returncode == 0 and sim.call_count() > calls
    assert small


def test_a_changed_option_is_not_answered_from_the_cache(tmp_path, sim, small):
    """The cache is per file and per value of the options the hosts depend on; the same options, no call."""
    cache_dir = tmp_path / "cache"
    cached = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(cache_dir),
              "cache_timeout": 600}
    config = write_config(tmp_path, sim, **cached)
    assert "win-1" not in listed(inventory(tmp_path, config))[1]
    calls = sim.call_count()
    config = write_config(tmp_path, sim, os_families=["darwin", "windows"], ansible_host_source="remote_ip", **cached)
    hostvars = listed(inventory(tmp_path, config))[1]
    assert "win-1" in hostvars and hostvars["mbp-alice"]["ansible_host"].startswith("203.0.113.")
    assert sim.call_count() > calls
    calls = sim.call_count()
    assert listed(inventory(tmp_path, config))[1] == hostvars and sim.call_count() == calls
    cached_text = "".join(path.read_text() for path in cache_dir.iterdir())
    assert sim.api_key not in cached_text and sim.api_key not in "".join(os.listdir(str(cache_dir)))
    assert small


def test_compose_keyed_groups_groups_strict(tmp_path, sim, small):
    config = write_config(tmp_path, sim, compose={"ansible_user": "'admin-' ~ (credsync_user | default('none'))"},
                          keyed_groups=[{"key": "jumpcloud_os_version.split('.')[0]", "prefix": "macos"}],
                          groups={"bobs": "credsync_user | default('') == 'bob'"})
    groups, hostvars = listed(inventory(tmp_path, config))
    assert groups["bobs"] == {"mbp-bob", "imac-bob"} and groups["macos_14"] == groups["macs"]
    assert hostvars["mbp-alice"]["ansible_user"] == "admin-alice" and hostvars["lab"]["ansible_user"] == "admin-none"
    broken = write_config(tmp_path, sim, name="strict.jumpcloud.yml", strict=True, compose={"x": "credsync_user.upper()"})
    proc = inventory(tmp_path, broken)
    assert proc.returncode != 0 and "credsync_user" in proc.stderr
    lenient = write_config(tmp_path, sim, name="lenient.jumpcloud.yml", strict=False, compose={"x": "credsync_user.upper()"})
    assert listed(inventory(tmp_path, lenient))[1]["mbp-alice"]["x"] == "ALICE"
    assert small


def _config_with(tmp_path, sim, options, name):
    """The working config with `options` laid over it (None removes an option), written as `name`."""
    config = json.loads(open(write_config(tmp_path, sim)).read())
    config.update(options)
    path = tmp_path / name
    path.write_text(json.dumps({key: value for key, value in config.items() if value is not None}))
    return str(path)


@pytest.mark.parametrize("options, words", [
    ({"api_key": None}, "give api_key"),
    ({"client_id": "abc"}, "mutually exclusive"),
    ({"base_url": "ftp://example.com"}, "base_url must be an https:// URL"),
    ({"os_families": ["darwin", "beos"]}, "os_families may hold"),
    ({"online_window": 0}, "online_window must be at least 1"),
    ({"ansible_host_source": "interface", "ansible_host_interface": " "}, "ansible_host_interface"),
    ({"timeout": 0}, "timeout must be at least 1"),
    ({"api_key": "bad\nkey"}, "api_key contains a line break"),
    ({"ansible_host_source": "mac_address"}, "ansible_host_source"),
    ({"online_windw": 5}, "online_windw is not an option of this plugin (did you mean online_window?)"),
])
def test_bad_options_fail_clearly_before_any_call(tmp_path, sim, options, words):
    proc = inventory(tmp_path, _config_with(tmp_path, sim, options, "bad.jumpcloud.yml"), env={"JUMPCLOUD_API_KEY": ""})
    assert proc.returncode != 0 and words in proc.stderr, proc.stderr[-2000:]
    assert sim.call_count() == 0
    assert sim.api_key not in proc.stdout + proc.stderr and "bad\nkey" not in proc.stderr


@pytest.mark.parametrize("options, words", [
    ({"api_key": ["SECRET-in-a-list"]}, "api_key must be one text value, not a list"),
    ({"api_key": {"SECRET-as-a-key": "SECRET-as-a-value"}}, "api_key must be one text value, not a mapping"),
    ({"api_key": None, "client_id": "cid", "client_secret": ["SECRET-in-a-list"]}, "client_secret must be one text"),
    ({"api_key": "SECRET-with-a-bad-timeout", "timeout": "soon"}, "timeout"),
])
def test_a_secret_of_the_wrong_shape_is_not_quoted(tmp_path, sim, options, words):
    """Ansible's own error for an option of the wrong type quotes the value: never for the key or the secret."""
    proc = inventory(tmp_path, _config_with(tmp_path, sim, options, "shape.jumpcloud.yml"), args=("--list", "-vvv"))
    assert proc.returncode != 0 and words in proc.stderr, proc.stderr[-2000:]
    assert "SECRET" not in proc.stdout + proc.stderr and sim.call_count() == 0


def test_the_key_never_shows(tmp_path, sim, small):
    """Not in --list at -vvv, nor in an error the directory answers (a wrong organisation, a refused key)."""
    config = write_config(tmp_path, sim)
    proc = inventory(tmp_path, config, args=("--list", "-vvv"))
    assert proc.returncode == 0 and sim.api_key not in proc.stdout + proc.stderr
    assert "API calls" in proc.stdout + proc.stderr
    wrong = write_config(tmp_path, sim, name="wrong.jumpcloud.yml", org_id="0" * 24)
    proc = inventory(tmp_path, wrong)
    assert proc.returncode != 0 and "404" in proc.stderr and sim.api_key not in proc.stdout + proc.stderr
    refused = write_config(tmp_path, sim, name="refused.jumpcloud.yml", api_key="f" * 40)
    proc = inventory(tmp_path, refused, env={"JUMPCLOUD_API_KEY": sim.api_key})
    assert proc.returncode != 0 and "401" in proc.stderr and "f" * 40 not in proc.stderr
    assert small


def test_an_http_url_is_warned_about_as_by_the_modules(tmp_path, sim, small):
    """The stand-in listens on http://: the key crosses the network in clear, which the modules warn about too."""
    proc = inventory(tmp_path, write_config(tmp_path, sim))
    assert proc.returncode == 0 and "base_url is http://: the connection is not encrypted" in proc.stderr
    quiet = inventory(tmp_path, write_config(tmp_path, sim, name="lab.jumpcloud.yml", validate_certs=False))
    assert quiet.returncode == 0 and "is http://" not in quiet.stderr
    assert small


def test_api_key_from_the_environment_and_oauth(tmp_path, sim, small):
    config = tmp_path / "env.jumpcloud.yml"
    config.write_text(json.dumps({"plugin": "macfleet.credsync.jumpcloud", "base_url": sim.url}))
    assert "mbp-alice" in listed(inventory(tmp_path, str(config), env={"JUMPCLOUD_API_KEY": sim.api_key}))[1]
    oauth = write_config(tmp_path, sim, name="oauth.jumpcloud.yml", api_key=None, client_id=sim.client_id,
                         oauth_token_url=sim.token_url)
    data = json.loads(open(oauth).read())
    data.pop("api_key")
    with open(oauth, "w") as handle:
        json.dump(data, handle)
    proc = inventory(tmp_path, oauth, env={"JUMPCLOUD_CLIENT_SECRET": sim.client_secret})
    assert "mbp-alice" in listed(proc)[1] and sim.client_secret not in proc.stdout + proc.stderr
    assert sim.token_requests == 1 and small


def test_not_a_jumpcloud_file_is_left_to_other_plugins(tmp_path, sim):
    path = tmp_path / "hosts.yml"
    path.write_text(json.dumps({"plugin": "macfleet.credsync.jumpcloud", "base_url": sim.url, "api_key": sim.api_key}))
    proc = inventory(tmp_path, str(path))
    assert proc.returncode != 0 and sim.call_count() == 0
