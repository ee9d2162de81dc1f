# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Checks of the profile modules' own options, run before anything is built, read, sent or written.

AnsibleModule turns a dict, list or boolean given for a string option into its Python text without a
word, and lets through any character; a profile is an XML plist, which cannot carry most control
characters (plistlib then fails mid-way), and what the MDM shows is a one-line name. So each string
or path option, top level or inside a list of dictionaries, is checked as it was given:

- it must be text: a dict, list or boolean is refused (a number is taken as its digits, as Ansible does);
- no control character (_common.text: C0 controls, DEL and the C1 range), nor what XML 1.0 cannot hold at all
  (lone surrogates, U+FFFE, U+FFFF). Free text (descriptions, comments, notes) may hold tabs and line feeds,
  which XML and the plist keep; a carriage return is refused there, as plistlib would turn it into a line feed;
- not empty or blank, unless leaving it empty means something (EMPTY_OK); no white space around a name
  matched exactly (EXACT);
- not absurdly long: a one-line value at most LINE_MAX characters, free text TEXT_MAX, a path PATH_MAX.

Apple's schema sets no length or character rules of its own for these keys (PayloadDisplayName is
"the human-readable name for the profile"): the limits are ours, generous for any real name.
Private to the collection; runs on the controller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

from .._common.text import control_characters
from .validators import PLIST_CONTROLS_KEPT

LINE_MAX = 255       # a name, an identifier, a bundle id: one line on a settings screen
TEXT_MAX = 4096      # descriptions, notes, comments, code requirements
PATH_MAX = 1024      # macOS's PATH_MAX

# Options whose value is free text (tabs and line feeds allowed) or a long one-liner.
MULTILINE = ("description", "notes", "comment")
LONG = ("description", "notes", "comment", "agent_code_requirement", "extension_code_requirement")
# Names looked up or matched exactly (JumpCloud filters by exact name; a profile is replaced by identifier):
# white space around them is a copy-paste accident that would make every run miss the existing record.
EXACT = ("name", "template", "template_field", "device_group", "identifier")
# Options where "" has a meaning: no description/organization/comment, clear the notes, no agent grants.
EMPTY_OK = ("description", "organization", "notes", "comment", "agent_path")

_TEXT_TYPES = ("str", "path")
_NOT_TEXT = (dict, list, tuple, set, bool)


def _describe(character):
    names = {u"\x00": "NUL", u"\t": "a tab", u"\n": "a line feed", u"\r": "a carriage return", u"\x7f": "DEL"}
    return names.get(character, "U+%04X" % ord(character))


def text_problem(value, name, kind="str", empty_ok=None, multiline=None, max_length=None):
    """None when the text `value` of option `name` may go into a profile or an MDM call, else the rule it breaks.

    kind: the option's type ("str" or "path"); the other arguments default from the option's name.
    """
    multiline = name in MULTILINE if multiline is None else multiline
    empty_ok = name in EMPTY_OK if empty_ok is None else empty_ok
    if max_length is None:
        max_length = PATH_MAX if kind == "path" or name.endswith("_path") else TEXT_MAX if name in LONG else LINE_MAX
    if not value.strip():
        if value == "" and empty_ok:
            return None
        return "must not be %s%s" % ("blank" if value else "empty", "" if empty_ok else
                                     " (leave the option out instead)" if kind != "path" else "")
    found = control_characters(value, allowed=PLIST_CONTROLS_KEPT if multiline else "", xml=True)
    if found:
        rule = ("control characters other than tabs and line feeds" if multiline else
                "control characters or line breaks (it is one line)")
        position, character = found[0]
        return "must not hold %s: %s at position %d" % (rule, _describe(character), position)
    if name in EXACT and value != value.strip():
        return "must not start or end with white space (it is matched exactly)"
    if len(value) > max_length:
        return "is %d characters long; at most %d are allowed" % (len(value), max_length)
    return None


def _walk(spec, given, checked, where, problems):
    for name, option in sorted(spec.items()):
        if not isinstance(given, dict) or given.get(name) is None:
            continue
        kind = option.get("type", "str")
        label = where + name
        raw = given[name]
        if kind == "list" and option.get("elements") == "dict" and not (
                isinstance(raw, list) and all(isinstance(item, dict) for item in raw)):
            found = "" if isinstance(raw, list) else ", not %s" % _type_name(raw)
            problems.append("%s must be a list of dictionaries%s" % (label, found))
        elif kind in _TEXT_TYPES:
            if isinstance(raw, _NOT_TEXT):
                problems.append("%s must be a string, not %s" % (label, _type_name(raw)))
            elif not option.get("no_log"):
                problem = text_problem(checked.get(name) if isinstance(checked.get(name), str) else str(raw), name, kind)
                if problem:
                    problems.append("%s %s" % (label, problem))
        elif kind == "list" and option.get("elements") in _TEXT_TYPES and isinstance(raw, list):
            values = checked.get(name) if isinstance(checked.get(name), list) else []
            for index, item in enumerate(raw):
                if isinstance(item, _NOT_TEXT):
                    problems.append("%s[%d] must be a string, not %s" % (label, index, _type_name(item)))
                elif index < len(values) and isinstance(values[index], str):
                    problem = text_problem(values[index], name, option.get("elements"))
                    if problem:
                        problems.append("%s[%d] %s" % (label, index, problem))
        elif kind == "list" and option.get("options") and isinstance(raw, list):
            values = checked.get(name) if isinstance(checked.get(name), list) else []
            for index, item in enumerate(raw):
                if index < len(values) and isinstance(values[index], dict):
                    _walk(option["options"], item, values[index], "%s[%d]." % (label, index), problems)
        elif kind == "dict" and option.get("options") and isinstance(checked.get(name), dict):
            _walk(option["options"], raw, checked[name], label + ".", problems)


def _type_name(value):
    return {dict: "a dictionary", list: "a list", tuple: "a list", set: "a list", bool: "a boolean", str: "a string",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def option_problems(spec, raw, params):
    """Every problem of the text options in `spec` (an argument spec), as given (`raw`: the options as the
    task passed them, before AnsibleModule converted them) and as converted (`params`)."""
    problems = []
    _walk(spec, raw, params, "", problems)
    return problems
