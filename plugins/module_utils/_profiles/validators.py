# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Checks of the values a profile carries: bundle ids, team ids, code requirements, alert types.

Each check returns None when the value is fine, else a short reason (the schema walk adds the
key path). Private to the collection; runs on the controller, standard library only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import re

from .._common.text import control_characters


class ProfileError(Exception):
    """A profile that must not be written; `problems` lists every reason found."""

    def __init__(self, problems):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super(ProfileError, self).__init__("; ".join(self.problems))


# Apple: a bundle id holds only A-Z, a-z, 0-9, hyphen and period; we also ask for the reverse-DNS
# form (two components or more, none empty) that every real bundle id has.
# \Z, not $: $ also matches before a final line feed, which would let "com.example.app\n" through.
_BUNDLE_ID = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+\Z")
_TEAM_ID = re.compile(r"^[A-Z0-9]{10}\Z")
_UUID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\Z")
# Characters a profile string may hold although they are control characters: tabs and line feeds, which XML and
# the plist keep. Every other control character is refused (_common.text: C0, DEL, C1; the carriage return too,
# which plistlib silently turns into a line feed), and so is what XML 1.0 cannot carry at all (lone surrogates,
# U+FFFE, U+FFFF).
PLIST_CONTROLS_KEPT = u"\t\n"
# Alert styles by name, as the modules take them; the integers are Apple's AlertType values.
ALERT_TYPES = {"none": 0, "banner": 1, "alert": 2}


def bundle_id(value):
    if not _BUNDLE_ID.match(value):
        return ("%r is not a bundle id (reverse-DNS, letters, digits, hyphens and periods only, "
                "e.g. com.example.app)" % value)
    return None


def team_id(value):
    if not _TEAM_ID.match(value):
        return "%r is not an Apple team id (10 upper-case letters or digits, e.g. N985MXSH85)" % value
    return None


def payload_uuid(value):
    if not _UUID.match(value):
        return "%r is not a UUID" % value
    return None


def plist_text(value):
    found = control_characters(value, allowed=PLIST_CONTROLS_KEPT, xml=True)
    if found:
        position, character = found[0]
        return "holds the control character U+%04X at position %d" % (ord(character), position)
    return None


def absolute_path(value):
    if not value.startswith("/") or "\n" in value:
        return "%r is not an absolute path" % value
    return None


def non_empty(value):
    return None if value.strip() else "must not be empty"


def alert_type(name):
    """Apple's AlertType integer for an alert style given by name."""
    try:
        return ALERT_TYPES[name]
    except (KeyError, TypeError):
        raise ProfileError("alert type %r is not one of %s" % (name, ", ".join(sorted(ALERT_TYPES, key=ALERT_TYPES.get))))


# --- code requirements ---------------------------------------------------------------------------
# A parse of Apple's code requirement language (the text `codesign --display -r -` prints):
# enough to catch truncation, unbalanced quotes or brackets, a dangling `and`, an unknown clause or
# a pasted `designated =>` prefix. It does not evaluate anything.

_TOKEN = re.compile(r'\s*(?:(?P<hash>H"[0-9A-Fa-f]*")|(?P<string>"(?:[^"\\]|\\.)*")|(?P<op><=|>=|[()\[\]!=<>])'
                    r'|(?P<word>[^\s()\[\]!=<>"]+))')
_CONSTANTS = ("always", "never", "true", "false", "notarized", "legacy")
_MATCH_OPERATORS = ("=", "<", ">", "<=", ">=")


class _Requirement:
    def __init__(self, text):
        self.tokens = self._tokens(text)
        self.index = 0

    @staticmethod
    def _tokens(text):
        stripped = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        if "/*" in stripped or "*/" in stripped:
            raise ValueError("an unterminated /* comment */")
        tokens = []
        position = 0
        for found in _TOKEN.finditer(stripped):
            if found.start() != position:  # the pattern eats leading blanks: a gap is text no token matches
                break
            kind = found.lastgroup
            tokens.append((kind, found.group(kind)))
            position = found.end()
        rest = stripped[position:].strip()
        if rest:
            raise ValueError("unexpected text at %r (an unterminated quote?)" % rest[:20])
        return tokens

    def peek(self):
        return self.tokens[self.index][1] if self.index < len(self.tokens) else None

    def take(self, *expected):
        value = self.peek()
        if value is None:
            raise ValueError("it ends too early%s" % (" (expected %s)" % " or ".join(expected) if expected else ""))
        if expected and value not in expected:
            raise ValueError("expected %s, found %r" % (" or ".join(expected), value))
        self.index += 1
        return value

    def take_kind(self, *kinds):
        if self.index >= len(self.tokens):
            raise ValueError("it ends too early (expected a %s)" % " or ".join(kinds))
        kind, value = self.tokens[self.index]
        if kind not in kinds:
            raise ValueError("expected a %s, found %r" % (" or ".join(kinds), value))
        self.index += 1
        return value

    def parse(self):
        if not self.tokens:
            raise ValueError("it is empty")
        if self.peek() in ("designated", "host", "guest", "library", "plugin"):
            raise ValueError("give the requirement alone, without the %r => prefix codesign prints" % self.peek())
        self.expression()
        if self.peek() is not None:
            raise ValueError("unexpected %r after a complete requirement" % self.peek())

    def expression(self):
        self.conjunction()
        while self.peek() == "or":
            self.take()
            self.conjunction()

    def conjunction(self):
        self.unary()
        while self.peek() == "and":
            self.take()
            self.unary()

    def unary(self):
        value = self.peek()
        if value == "!":
            self.take()
            self.unary()
        elif value == "(":
            self.take()
            self.expression()
            self.take(")")
        else:
            self.clause()

    def clause(self):
        word = self.take()
        if word in _CONSTANTS:
            return
        if word == "identifier":
            if self.peek() == "=":
                self.take()
            self.take_kind("string", "word")
        elif word == "cdhash":
            self.take_kind("hash")
        elif word == "platform":
            self.take("=")
            if not self.take_kind("word").isdigit():
                raise ValueError("platform takes a number")
        elif word == "anchor":
            self.anchor()
        elif word in ("certificate", "cert"):
            position = self.take_kind("word")
            if position not in ("root", "leaf", "anchor") and not re.match(r"^-?\d+$", position):
                raise ValueError("%r is not a certificate position (root, leaf, anchor or a number)" % position)
            self.certificate_test()
        elif word in ("info", "entitlement"):
            self.key()
            self.match(required=False)
        else:
            raise ValueError("%r does not start a requirement clause" % word)

    def anchor(self):
        value = self.take()
        if value == "apple":
            if self.peek() == "generic":
                self.take()
        elif value == "=":
            self.take_kind("hash", "string")
        elif value != "trusted":
            raise ValueError("anchor takes apple, apple generic, trusted or = H\"...\", not %r" % value)

    def certificate_test(self):
        value = self.peek()
        if value == "trusted":
            self.take()
        elif value == "=":
            self.take()
            self.take_kind("hash", "string")
        else:
            self.key()
            self.match(required=False)

    def key(self):
        self.take("[")
        self.take_kind("word", "string")
        self.take("]")

    def match(self, required):
        value = self.peek()
        if value in ("exists", "absent"):
            self.take()
        elif value in _MATCH_OPERATORS:
            self.take()
            self.take_kind("string", "word")
        elif required:
            raise ValueError("expected exists or a comparison")


def code_requirement(value):
    try:
        _Requirement(value).parse()
    except ValueError as exc:
        return "%r is not a code requirement: %s" % (value if len(value) <= 80 else value[:77] + "...", exc)
    return None
