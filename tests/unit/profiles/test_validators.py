"""_profiles.validators: bundle ids, team ids, code requirements, alert types."""

import pytest

from credsync_testlib import in_collection_tree

if not in_collection_tree():
    pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)", allow_module_level=True)

from ansible_collections.macfleet.credsync.plugins.module_utils._profiles import validators  # noqa: E402

JUMPCLOUD_AGENT = ('identifier "jumpcloud-agent" and anchor apple generic and certificate 1[field.1.2.840.113635.100.6.2.6]'
                   ' /* exists */ and certificate leaf[field.1.2.840.113635.100.6.1.13] /* exists */ and certificate '
                   'leaf[subject.OU] = N985MXSH85')


@pytest.mark.parametrize("value", ["com.jumpcloud.jcagent-tray", "com.jumpcloud.jcagent-tray.EndpointSecurity",
                                   "com.apple.finder", "io.x-y.Z9"])
def test_good_bundle_ids(value):
    assert validators.bundle_id(value) is None


@pytest.mark.parametrize("value", ["jcagent", "com..x", ".com.x", "com.x.", "com.x y", "com.x_y", "com.é.x", ""])
def test_bad_bundle_ids(value):
    assert "is not a bundle id" in validators.bundle_id(value)


@pytest.mark.parametrize("value, good", [("N985MXSH85", True), ("ABCDE12345", True), ("n985mxsh85", False),
                                         ("N985MXSH8", False), ("N985MXSH851", False), ("N985-XSH85", False)])
def test_team_ids(value, good):
    assert (validators.team_id(value) is None) == good


@pytest.mark.parametrize("value", [
    JUMPCLOUD_AGENT,
    'identifier "com.apple.finder" and anchor apple',
    'identifier = com.example.app and anchor apple generic',
    'cdhash H"0123456789abcdef0123456789abcdef01234567"',
    '(identifier "a.b" or identifier "c.d") and !legacy and anchor trusted',
    'anchor = H"00ff" and info [CFBundleVersion] >= "1.2"',
    'entitlement ["com.apple.security.app-sandbox"] exists and platform = 1',
    'certificate root = H"abcdef" and certificate -1 trusted and notarized',
])
def test_good_code_requirements(value):
    assert validators.code_requirement(value) is None


@pytest.mark.parametrize("value, reason", [
    ("", "it is empty"),
    ('designated => identifier "a.b" and anchor apple', "without the 'designated' => prefix"),
    ('identifier "a.b" and', "ends too early"),
    ('identifier "a.b', "unterminated quote"),
    ('identifier "a.b" anchor apple', "unexpected 'anchor'"),
    ('anchor apple and certificate leaf[subject.OU = X', "expected ]"),
    ('anchor applesauce', "anchor takes"),
    ('certificate middle[subject.OU] = X', "is not a certificate position"),
    ('(identifier "a.b" or anchor apple', "expected )"),
    ('identifier "a.b" /* comment', "unterminated /* comment */"),
    ('platform = mac', "platform takes a number"),
    ('cdhash "abc"', "expected a hash"),
    ('whatever "x"', "'whatever' does not start a requirement clause"),
])
def test_bad_code_requirements(value, reason):
    problem = validators.code_requirement(value)
    assert problem and "is not a code requirement" in problem and reason in problem


def test_long_requirements_are_shortened_in_messages():
    problem = validators.code_requirement(JUMPCLOUD_AGENT + " and")
    assert "..." in problem and len(problem) < 200


@pytest.mark.parametrize("name, value", [("none", 0), ("banner", 1), ("alert", 2)])
def test_alert_types_by_name(name, value):
    assert validators.alert_type(name) == value


@pytest.mark.parametrize("name", ["Banner", "persistent", 1, None])
def test_unknown_alert_types(name):
    with pytest.raises(validators.ProfileError, match="is not one of none, banner, alert"):
        validators.alert_type(name)


def test_uuid_and_path_checks():
    assert validators.payload_uuid("DA1BACD3-238D-5F80-A5B5-8F9F1639B9E6") is None
    assert validators.payload_uuid("DA1BACD3238D5F80A5B58F9F1639B9E6")
    assert validators.absolute_path("/opt/jc/bin/jumpcloud-agent") is None
    assert validators.absolute_path("opt/jc")
    assert validators.non_empty("  ")
