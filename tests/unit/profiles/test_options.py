"""_profiles.options: the text options' checks (type as given, control characters, empty, length), the schema's
backstop for strings a plist cannot hold, and the writer's checks of the target and of files it reads."""

import os

import pytest

from credsync_testlib import in_collection_tree

if not in_collection_tree():
    pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)", allow_module_level=True)

from ansible_collections.macfleet.credsync.plugins.module_utils._profiles import (  # noqa: E402
    options, payloads, schema, validators, writer)
from ansible_collections.macfleet.credsync.plugins.module_utils._profiles.validators import ProfileError  # noqa: E402

SPEC = dict(
    path=dict(type="path"), display_name=dict(type="str"), description=dict(type="str"), notes=dict(type="str"),
    agent_path=dict(type="str"), signing_key_passphrase=dict(type="str", no_log=True), count=dict(type="int"),
    receivers=dict(type="list", elements="str"),
    apps=dict(type="list", elements="dict", options=dict(bundle_id=dict(type="str"), comment=dict(type="str"))),
)


def problems(**given):
    converted = dict((name, str(value) if SPEC[name].get("type") in ("str", "path") and value is not None
                      and not isinstance(value, str) else value) for name, value in given.items())
    return options.option_problems(SPEC, given, converted)


@pytest.mark.parametrize("character", [u"\x00", u"\x01", u"\x08", u"\x0b", u"\x0c", u"\r", u"\x1b", u"\x1f", u"\x7f",
                                       u"\x85", u"\x9f", u"\ud800", u"\ufffe", u"\uffff", u"\t", u"\n"])
def test_one_line_options_refuse_control_characters(character):
    (problem,) = problems(display_name=u"Agent" + character + u"Notifications")
    assert problem.startswith("display_name must not hold control characters or line breaks") and "position 5" in problem


@pytest.mark.parametrize("character", [u"\x00", u"\r", u"\x1b", u"\x7f", u"\x85", u"\ud800"])
def test_free_text_refuses_control_characters_but_tabs_and_line_feeds(character):
    assert problems(description=u"one\ttwo\nthree") == []
    (problem,) = problems(description=u"one" + character)
    assert problem.startswith("description must not hold control characters other than tabs and line feeds")


def test_what_is_named_nul_and_carriage_return():
    assert "NUL at position 1" in problems(notes=u"a\x00")[0]
    assert "a carriage return at position 3" in problems(notes=u"one\r\ntwo")[0]
    assert "U+001B" in problems(display_name=u"\x1b[31mred")[0]


def test_unicode_text_is_fine():
    assert problems(display_name=u"Agent \u2013 notifications \u00e9\u4e2d\U0001F600", description=u"\u00e9t\u00e9") == []


@pytest.mark.parametrize("value, kind", [({"a": 1}, "a dictionary"), (["a"], "a list"), (True, "a boolean")])
def test_a_container_or_boolean_is_not_a_string(value, kind):
    assert problems(display_name=value) == ["display_name must be a string, not %s" % kind]
    assert problems(path=value) == ["path must be a string, not %s" % kind]
    assert problems(receivers=["com.apple.finder", value]) == ["receivers[1] must be a string, not %s" % kind]
    assert problems(apps=[{"bundle_id": value}]) == ["apps[0].bundle_id must be a string, not %s" % kind]


def test_numbers_are_taken_as_their_digits():
    assert problems(display_name=2026) == []


def test_empty_and_blank():
    assert problems(display_name="") == ["display_name must not be empty (leave the option out instead)"]
    assert problems(display_name="   ") == ["display_name must not be blank (leave the option out instead)"]
    assert problems(description="", notes="", agent_path="", apps=[{"bundle_id": "com.x.y", "comment": ""}]) == []
    assert problems(path="") == ["path must not be empty"]
    assert problems(description=" ") == ["description must not be blank"]


def test_names_matched_exactly_have_no_white_space_around_them():
    spec = dict(name=dict(type="str"), identifier=dict(type="str"), display_name=dict(type="str"))
    given = dict(name="Agent notifications ", identifier=" com.example.p", display_name=" Agent ")
    assert options.option_problems(spec, given, given) == [
        "identifier must not start or end with white space (it is matched exactly)",
        "name must not start or end with white space (it is matched exactly)"]


def test_lengths():
    assert problems(display_name="x" * options.LINE_MAX) == []
    assert problems(display_name="x" * (options.LINE_MAX + 1)) == [
        "display_name is %d characters long; at most %d are allowed" % (options.LINE_MAX + 1, options.LINE_MAX)]
    assert problems(description="x" * options.TEXT_MAX) == []
    assert problems(description="x" * (options.TEXT_MAX + 1))
    assert problems(path="/" + "x" * options.PATH_MAX)
    assert problems(apps=[{"bundle_id": "x" * 300}]) == [
        "apps[0].bundle_id is 300 characters long; at most 255 are allowed"]


def test_secrets_and_non_text_options_are_left_alone():
    assert problems(signing_key_passphrase=u"pass\x00word", count=3) == []
    (problem,) = problems(signing_key_passphrase={"a": "b"})
    assert problem == "signing_key_passphrase must be a string, not a dictionary"


def test_every_problem_is_reported():
    assert len(problems(display_name="", description=u"\x00", apps=[{"bundle_id": u"a\n"}, {"bundle_id": "b"}])) == 3


def test_the_real_module_specs_pass_their_defaults():
    params = {"identifier": payloads.TRAY_BUNDLE_ID, "display_name": "JumpCloud Agent Notifications",
              "agent_path": payloads.AGENT_PATH, "apple_events_receivers": list(payloads.APPLE_EVENTS_RECEIVERS)}
    spec = dict(identifier=dict(type="str"), display_name=dict(type="str"), agent_path=dict(type="str"),
                apple_events_receivers=dict(type="list", elements="str"))
    assert options.option_problems(spec, params, params) == []


# --- the schema's backstop and plistlib's refusal ----------------------------------------------------------------

def test_the_schema_refuses_strings_a_plist_cannot_hold():
    profile = payloads.assemble("com.example.p", [(schema.NOTIFICATIONS.payload_type, payloads.notification_settings(
        [{"bundle_id": "com.x.y", "alert_type": "banner"}]), "Notifications")], display_name=u"bad\x01name")
    with pytest.raises(ProfileError, match="PayloadDisplayName is invalid: holds the control character U\\+0001"):
        schema.validate_profile(profile)


def test_serialize_turns_plistlib_s_refusal_into_a_profile_error():
    with pytest.raises(ProfileError, match="cannot be written as a property list"):
        writer.serialize({"PayloadDisplayName": u"a\x00b"})
    with pytest.raises(ProfileError, match="cannot be written as a property list"):
        writer.serialize({"a": object()})


@pytest.mark.parametrize("check, value", [(validators.bundle_id, "com.example.app\n"), (validators.team_id, "N985MXSH85\n"),
                                          (validators.payload_uuid, "DA1BACD3-238D-5F80-A5B5-8F9F1639B9E6\n")])
def test_a_final_line_feed_does_not_pass_the_patterns(check, value):
    assert check(value) is not None and check(value.strip()) is None


def test_empty_lists_are_refused():
    with pytest.raises(ProfileError, match="apps is empty"):
        payloads.notification_profile({"apps": [], "identifier": "com.x.y", "removal_disallowed": True})
    params = dict(team_id=payloads.TEAM_ID, extension_bundle_id=payloads.EXTENSION_BUNDLE_ID, system_extension=True,
                  extension_types=[], privacy=False, login_items=True, login_item_rules=[], identifier="com.x.y",
                  removal_disallowed=True)
    with pytest.raises(ProfileError) as raised:
        payloads.endpoint_security_profile(params)
    assert [problem.split(" ")[0] for problem in raised.value.problems] == ["extension_types", "login_item_rules"]


# --- the target and the files read --------------------------------------------------------------------------------

def test_check_target(tmp_path):
    writer.check_target(str(tmp_path / "new.mobileconfig"))
    (tmp_path / "old.mobileconfig").write_bytes(b"x")
    writer.check_target(str(tmp_path / "old.mobileconfig"))
    os.symlink(str(tmp_path / "gone"), str(tmp_path / "dangling"))
    writer.check_target(str(tmp_path / "dangling"))
    with pytest.raises(ProfileError, match="directory .*nowhere does not exist"):
        writer.check_target(str(tmp_path / "nowhere" / "p.mobileconfig"))
    with pytest.raises(ProfileError, match="old.mobileconfig is not a directory"):
        writer.check_target(str(tmp_path / "old.mobileconfig" / "p.mobileconfig"))
    with pytest.raises(ProfileError, match="exists and is not a regular file"):
        writer.check_target(str(tmp_path))
    with pytest.raises(ProfileError, match="path /dev/null exists and is not a regular file"):
        writer.check_target("/dev/null")
    os.symlink("/dev/null", str(tmp_path / "to-null"))
    with pytest.raises(ProfileError, match="exists and is not a regular file"):
        writer.check_target(str(tmp_path / "to-null"))


def test_read_refuses_special_and_huge_files(tmp_path):
    with pytest.raises(ProfileError, match="src /dev/zero is not a regular file"):
        writer.read("/dev/zero", "src")
    huge = tmp_path / "huge"
    with open(str(huge), "wb") as handle:
        handle.truncate(writer.MAX_FILE_SIZE + 1)
    with pytest.raises(ProfileError, match="is %d bytes, more than" % (writer.MAX_FILE_SIZE + 1)):
        writer.read(str(huge))
    with pytest.raises(ProfileError, match="cannot read"):
        writer.read(str(tmp_path))
    assert writer.read(str(tmp_path / "missing")) == (None, None)


def test_as_text_of_a_damaged_binary_plist():
    assert "not a readable property list" in writer.as_text(b"bplist00garbage")
