"""plugin_utils: the password generator, the vault-encrypted password file, and the progress lines, without a run."""

import json
import os
import stat
import string

import pytest

from credsync_testlib import in_collection_tree

if not in_collection_tree():
    pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)", allow_module_level=True)

from ansible.parsing.vault import VaultSecret  # noqa: E402

from ansible_collections.macfleet.credsync.plugins.module_utils._common.passwords import password_problems  # noqa: E402
from ansible_collections.macfleet.credsync.plugins.module_utils._directory.progress import ProgressFile  # noqa: E402
from ansible_collections.macfleet.credsync.plugins.plugin_utils import _generated as generated  # noqa: E402
from ansible_collections.macfleet.credsync.plugins.plugin_utils._progress import ProgressWatch, progress_line  # noqa: E402


def test_generated_passwords_have_every_kind_no_template_characters_and_no_user_name():
    made = [generated.generate_password(20, "amelia@example.com") for _attempt in range(500)]
    assert len(set(made)) == 500
    for password in made:
        assert len(password) == 20 and password_problems(password) == []
        assert not set(password) & set("{}%# '\"\\lIO01")
        assert "amelia" not in password.lower()
        assert all(any(c in kind for c in password) for kind in (string.ascii_lowercase, string.ascii_uppercase,
                                                                 string.digits, generated.SYMBOLS))


def _file(tmp_path, secret=b"s3cret"):
    return generated.PasswordFile(str(tmp_path / "p.vault.yml"), VaultSecret(secret), "helpdesk")


def test_the_password_file_is_encrypted_0600_and_round_trips(tmp_path):
    store = _file(tmp_path)
    assert store.load() == {}
    entries = {"amelia": {"password": "Ab3!xyzXYZ-9876", "state": "pending", "generated": "2026-12-03T10:00:00Z"}}
    store.save(entries)
    data = (tmp_path / "p.vault.yml").read_bytes()
    assert data.startswith(b"$ANSIBLE_VAULT;1.2;AES256;helpdesk") and b"Ab3!" not in data
    assert stat.S_IMODE(os.stat(str(tmp_path / "p.vault.yml")).st_mode) == 0o600
    assert store.load() == entries
    assert os.listdir(str(tmp_path)) == ["p.vault.yml"]  # nothing left beside it


def test_a_file_the_secret_does_not_open_or_not_encrypted_is_refused_and_kept(tmp_path):
    _file(tmp_path).save({"a": {"password": "Ab3!xyzXYZ-9876", "state": "set", "generated": "x"}})
    with pytest.raises(generated.PasswordFileError, match="does not open"):
        _file(tmp_path, b"other").load()
    (tmp_path / "plain.yml").write_text("a: b\n")
    plain = generated.PasswordFile(str(tmp_path / "plain.yml"), VaultSecret(b"s3cret"), "helpdesk")
    with pytest.raises(generated.PasswordFileError, match="not encrypted"):
        plain.load()
    assert (tmp_path / "plain.yml").read_text() == "a: b\n"


def test_progress_file_counts_and_the_watch_prints_counts_only(tmp_path):
    path = str(tmp_path / "progress.json")
    clock = iter(range(100)).__next__
    progress = ProgressFile(path, total=3, every=5, clock=clock)
    progress.tick()
    progress.tick(failed=True)
    progress.tick()
    assert json.load(open(path)) == {"done": 1, "failed": 0, "total": 3}  # written once, then throttled
    progress.close()
    assert json.load(open(path)) == {"done": 3, "failed": 1, "total": 3}
    assert progress_line("x", {"done": 3, "failed": 1, "total": 3}, 2.0) == \
        "x: 3 of 3 users done (100%), 1.5 users/s, 1 failed so far"
    shown = []
    with ProgressWatch("x", path, shown.append, interval=0.05) as watch:
        while not shown:
            watch._stop.wait(0.01)  # pylint: disable=protected-access
    assert shown and all("3 of 3 users done" in line for line in shown)


def test_set_passwords_keeps_only_users_set_and_the_filter_refuses_what_is_not_a_file():
    from ansible.errors import AnsibleFilterError
    from ansible_collections.macfleet.credsync.plugins.filter.set_passwords import FilterModule

    entries = {"alice": {"password": "A-1", "state": "set", "generated": "t"},
               "bob": {"password": "B-1", "state": "pending", "generated": "t"},
               "carol": {"password": "C-1", "state": "unknown", "generated": "t"},
               "dave": {"password": "D-1", "state": "set", "generated": "t"},
               "erin": "not an entry"}
    set_passwords = FilterModule().filters()["set_passwords"]
    assert set_passwords(entries) == {"alice": "A-1", "dave": "D-1"}
    assert set_passwords(entries, users=["dave", "bob"]) == {"dave": "D-1"}
    assert set_passwords({}, users=["alice"]) == {}
    with pytest.raises(AnsibleFilterError, match="expected the mapping a password_file holds, got list"):
        set_passwords(["alice"])
    with pytest.raises(AnsibleFilterError, match="users must be a list of user names, got str"):
        set_passwords(entries, users="alice")
