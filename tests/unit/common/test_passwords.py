"""The one password validator (_common.passwords), the redaction it shares, and the password_problems filter."""

import json

import pytest

from credsync_testlib import in_collection_tree, run_on_python39

if not in_collection_tree():
    pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)",
                allow_module_level=True)

# pylint: disable=wrong-import-position
from ansible.errors import AnsibleFilterError
from ansible_collections.macfleet.credsync.plugins.filter.password_problems import FilterModule
from ansible_collections.macfleet.credsync.plugins.module_utils._common.passwords import (
    MAX_PASSWORD_BYTES, PasswordError, check_password, password_problems)
from ansible_collections.macfleet.credsync.plugins.module_utils._common.redact import REDACTED, redact

BAD = [
    ("", "is empty"),
    ("   ", "blank"),
    ("\t", "control character"),
    ("two\nlines", "line break"),
    ("carriage\rreturn", "line break"),
    ("nul\x00byte", "NUL"),
    ("escape\x1b[0m", "control character"),
    ("del\x7f", "control character"),
    ("c1\x85control", "control character"),
    ("bell\x07", "control character"),
    ("lone\ud800surrogate", "surrogate"),
    ("x" * (MAX_PASSWORD_BYTES + 1), "127 bytes"),
    ("é" * 64, "127 bytes"),  # 64 characters, 128 bytes
    ({"a": "b"}, "not a mapping"),
    (["a"], "not a list"),
    (12345678, "not a number"),
    (1.5, "not a number"),
    (True, "not a boolean"),
    (None, "missing"),
]
GOOD = ["x", "Good-Pass-1!", "x" * MAX_PASSWORD_BYTES, "é" * 63 + "x", "sp ace 'q' \"d\" \\ $HOME ;|&*",
        "ünïcødé-日本語-🔑", " leading and trailing ", "-starts-with-dash", "\u2028separator"]


@pytest.mark.parametrize("value,rule", BAD, ids=[r for _v, r in BAD])
def test_bad_passwords_are_refused_naming_the_rule(value, rule):
    with pytest.raises(PasswordError) as caught:
        check_password(value, "previous_password")
    message = str(caught.value)
    assert message.startswith("previous_password ") and rule in message
    if isinstance(value, str) and len(value) > 2:
        assert value not in message


@pytest.mark.parametrize("value", GOOD)
def test_good_passwords_pass(value):
    assert password_problems(value) == []
    check_password(value)


def test_optional_takes_none_but_not_empty():
    check_password(None, "previous_password", optional=True)
    with pytest.raises(PasswordError, match="previous_password is empty"):
        check_password("", "previous_password", optional=True)


def test_every_broken_rule_is_named():
    problems = password_problems("\t" * 130)
    assert any("blank" in p for p in problems) and any("control" in p for p in problems)
    assert any("127 bytes" in p for p in problems)


def test_the_validator_runs_on_the_macs_python():
    proc = run_on_python39(
        "import json\n"
        "from ansible_collections.macfleet.credsync.plugins.module_utils._common.passwords import password_problems\n"
        "print(json.dumps([password_problems(v) for v in %s]))" % json.dumps(["", "ok", "a\tb", "x" * 128]))
    assert proc.returncode == 0, proc.stderr.decode()
    problems = json.loads(proc.stdout.decode())
    assert [bool(p) for p in problems] == [True, False, True, True]


def test_redact_catches_the_secret_stripped_and_escaped():
    key = "k3y-with-newline\n"
    text = "bad header %r and %s and %s" % (key, key.strip(), key)
    out = redact(text, [key, None, ""])
    assert "k3y-with-newline" not in out and REDACTED in out
    assert redact("", [key]) == "" and redact(None, [key]) is None


def test_filter_names_users_never_passwords():
    problems = FilterModule().filters()["password_problems"]
    secret = "x" * 200
    out = problems({"alice": "Good-Pass-1!", "bob": "", "carol": secret, "dave": {"nested": 1}})
    assert len(out) == 3
    assert out[0].startswith("bob: password is empty")
    assert out[1].startswith("carol: password is longer") and secret not in " ".join(out)
    assert "dave: password must be a string" in out[2]
    assert problems("\x00") == ["password contains a NUL character, which ends the password early in the macOS tools"]
    assert problems({"alice": None}, optional=True) == []
    assert problems({"alice": None}) == ["alice: password is missing"]
    assert problems({"alice": ""}, what="previous password") == ["alice: previous password is empty"]
    assert problems("", what="temporary_password") == ["temporary_password is empty"]
    assert problems([{"user": "a", "password": "ok"}, {"user": "b", "password": 5}]) == [
        "b: password must be a string, not a number (quote it in YAML: a number or a mapping is not a password)"]
    with pytest.raises(AnsibleFilterError):
        problems(["just", "strings"])


def test_filter_checks_each_candidate_of_a_history_by_position():
    problems = FilterModule().filters()["password_problems"]
    secret = "Hist\nory-1"
    out = problems({"alice": ["Good-Pass-1!", secret, ""], "bob": "Good-Pass-2!", "carol": []},
                   optional=True, what="previous password")
    assert out[0].startswith("alice: previous password [1] contains a line break")
    assert out[1] == "alice: previous password [2] is empty"
    assert len(out) == 2 and secret not in " ".join(out)
