"""_common.text: the one definition of a control character, as passwords, directory options and profiles use it."""

import re
import sys
import unicodedata

import pytest

from credsync_testlib import in_collection_tree

if not in_collection_tree():
    pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)",
                allow_module_level=True)

# pylint: disable=wrong-import-position
from ansible_collections.macfleet.credsync.plugins.module_utils._common.text import control_characters, is_control

# What the profile checks refused before they used control_characters (a regex of their own).
_PROFILE_RULE = re.compile(u"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def test_a_control_character_is_unicode_category_cc():
    assert all(is_control(chr(code)) == (unicodedata.category(chr(code)) == "Cc") for code in range(sys.maxunicode + 1))


def test_positions_in_order_and_allowed_ones_left_out():
    assert control_characters(u"a\tb\x00c\x85") == [(1, u"\t"), (3, u"\x00"), (5, u"\x85")]
    assert control_characters(u"a\tb\x00c\x85", allowed=u"\t\x00") == [(5, u"\x85")]
    assert control_characters(u"caf\u00e9 \u4e2d\U0001F600") == []


def test_xml_adds_surrogates_and_the_two_noncharacters():
    assert control_characters(u"a\ud800b\ufffe\uffff") == []
    assert control_characters(u"a\ud800b\ufffe\uffff", xml=True) == [(1, u"\ud800"), (3, u"\ufffe"), (4, u"\uffff")]


def test_the_profile_rule_is_unchanged():
    for code in range(sys.maxunicode + 1):
        character = chr(code)
        assert bool(control_characters(character, allowed=u"\t\n", xml=True)) == bool(_PROFILE_RULE.match(character))
