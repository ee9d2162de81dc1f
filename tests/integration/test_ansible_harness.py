"""The `ansible` fixture itself: several macsim hosts per run, Python 3.9, options off argv."""

import pathlib

import pytest


@pytest.fixture
def two_hosts(make_host):
    return [make_host({"users": [{"name": "alice", "password": "Smoke-Pass-1"}]}) for _unused in range(2)]


def test_modules_run_on_the_hosts_python39(ansible, two_hosts):
    run = ansible(two_hosts, "ansible.builtin.setup", {"gather_subset": ["!all", "!min", "python"]})
    assert run.rc == 0, run
    for host in two_hosts:
        result = run[host.name]
        assert not result.get("failed"), result
        version = result["ansible_facts"]["ansible_python"]["version"]
        assert (version["major"], version["minor"]) == (3, 9), result


def test_per_host_options_stay_off_argv(ansible, two_hosts):
    secrets = {host.name: "Secret-%s-7" % host.name for host in two_hosts}
    run = ansible(two_hosts, "ansible.builtin.command", {name: {"argv": ["cat"], "stdin": secret} for name, secret in secrets.items()})
    assert run.rc == 0, run
    playbook = pathlib.Path(run.argv[-1]).read_text()
    for host in two_hosts:
        assert run[host.name]["stdout"] == secrets[host.name]
        assert not [arg for arg in run.argv if secrets[host.name] in arg]
        assert secrets[host.name] not in playbook


def test_verbose_runs_return_results_and_raw_output(ansible, two_hosts):
    run = ansible(two_hosts, "ansible.builtin.command", {"argv": ["sw_vers", "-productVersion"]}, verbosity=3)
    assert run.rc == 0, run
    assert "ESTABLISH LOCAL CONNECTION" in run.output, run
    for host in two_hosts:
        assert run[host.name]["stdout"] == "14.6.1", run
