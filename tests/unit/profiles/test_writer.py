"""_profiles.writer: deterministic XML, mode 0644 whatever the umask, atomic replacement, reading back."""

import os
import plistlib
from xml.etree import ElementTree

import pytest

from credsync_testlib import in_collection_tree

if not in_collection_tree():
    pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)", allow_module_level=True)

from ansible_collections.macfleet.credsync.plugins.module_utils._profiles import writer  # noqa: E402
from ansible_collections.macfleet.credsync.plugins.module_utils._profiles.validators import ProfileError  # noqa: E402

PROFILE = {"PayloadType": "Configuration", "PayloadVersion": 1, "b": [{"z": 1, "a": True}], "a": "x<&>y"}


def test_serialize_sorts_keys_and_escapes():
    data = writer.serialize(PROFILE)
    assert data == writer.serialize(dict(reversed(list(PROFILE.items()))))
    keys = [element.text for element in ElementTree.fromstring(data).iter("key")]
    assert keys == ["PayloadType", "PayloadVersion", "a", "b", "a", "z"]
    assert b"x&lt;&amp;&gt;y" in data and plistlib.loads(data) == PROFILE


def test_write_is_0644_whatever_the_umask(tmp_path):
    path = str(tmp_path / "p.mobileconfig")
    old = os.umask(0o077)
    try:
        writer.write_atomic(path, b"one")
    finally:
        os.umask(old)
    assert os.stat(path).st_mode & 0o7777 == 0o644
    assert writer.read(path) == (b"one", 0o644)
    writer.write_atomic(path, b"two")
    assert writer.read(path)[0] == b"two" and os.listdir(str(tmp_path)) == ["p.mobileconfig"]


def test_failed_writes_leave_nothing_behind(tmp_path, monkeypatch):
    path = str(tmp_path / "p.mobileconfig")
    writer.write_atomic(path, b"kept")

    def broken(_source, _target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(ProfileError, match="cannot write .*No space left"):
        writer.write_atomic(path, b"lost")
    assert writer.read(path)[0] == b"kept" and os.listdir(str(tmp_path)) == ["p.mobileconfig"]


def test_missing_directory_and_missing_file(tmp_path):
    with pytest.raises(ProfileError, match="does not exist"):
        writer.write_atomic(str(tmp_path / "nowhere" / "p.mobileconfig"), b"x")
    assert writer.read(str(tmp_path / "absent")) == (None, None)


def test_unwrap_and_text_of_xml_and_binary_plists():
    xml = writer.serialize(PROFILE)
    binary = plistlib.dumps(PROFILE, fmt=plistlib.FMT_BINARY)
    assert writer.unwrap(xml) == (xml, None) and writer.unwrap(binary) == (binary, None)
    assert writer.as_text(binary) == xml.decode()
    with pytest.raises(ProfileError, match="neither a plist nor a CMS-signed profile"):
        writer.unwrap(b"hello")


@pytest.mark.parametrize("data, reason", [(b"<plist><dict><key>x</key></dict>", "not a property list"),
                                          (plistlib.dumps({"PayloadType": "Other"}), "not a configuration profile"),
                                          (plistlib.dumps([1, 2]), "not a configuration profile")])
def test_load_refuses_what_is_not_a_profile(data, reason):
    with pytest.raises(ProfileError, match=reason):
        writer.load(data)
