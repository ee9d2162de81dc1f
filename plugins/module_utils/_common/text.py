# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one definition of a control character, for every check of text the collection takes.

A control character is one of Unicode category Cc: the C0 controls (U+0000-U+001F), DEL (U+007F) and
the C1 controls (U+0080-U+009F). None is meant in a password, a user name, an HTTP header or a profile:
they are invisible, the login window cannot type them, and the tools and formats take them differently.
Each caller says which of them it allows (a profile's free text keeps tabs and line feeds) or reports
with its own words first (a password's line break and NUL).

Private to the collection; runs on the Mac too: Python 3.9, standard library only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

# What XML 1.0 cannot carry although it is no control character: the surrogates (never a character on their own,
# as a lone one reaches Python from broken input) and the noncharacters U+FFFE and U+FFFF.
_NOT_XML = (0xFFFE, 0xFFFF)


def is_control(character):
    """Whether `character` is a control character (Unicode category Cc: C0, DEL, C1)."""
    code = ord(character)
    return code < 0x20 or 0x7F <= code < 0xA0


def _not_xml(character):
    code = ord(character)
    return 0xD800 <= code < 0xE000 or code in _NOT_XML


def control_characters(value, allowed="", xml=False):
    """The control characters in the text `value` that are not in `allowed`, as [(position, character)], in order.

    xml: also the characters an XML document (so a plist) cannot carry at all: lone surrogates, U+FFFE, U+FFFF.
    [] when there is none.
    """
    return [(position, character) for position, character in enumerate(value)
            if character not in allowed and (is_control(character) or (xml and _not_xml(character)))]
