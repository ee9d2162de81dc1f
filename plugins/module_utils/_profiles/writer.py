# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Profiles to bytes and back: deterministic XML plists, atomic writes, reading what is on disk.

Private to the collection; standard library only (signed files are unwrapped by signing.py,
which needs no third-party library for that).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import os
import plistlib
import stat
import tempfile

from . import files, signing
from .validators import ProfileError

MODE = 0o644
MAX_FILE_SIZE = files.MAX_FILE_SIZE


def serialize(profile):
    """XML plist bytes; keys sorted, so the same dictionary always gives the same bytes.

    The schema check refuses what a plist cannot hold first; this is the last guard, so that
    plistlib's own refusal (a control character, an unsupported type) is a ProfileError, not a traceback.
    """
    try:
        return plistlib.dumps(profile, fmt=plistlib.FMT_XML, sort_keys=True)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ProfileError("the profile cannot be written as a property list: %s" % exc)


def load(data):
    """The profile dictionary in plist bytes (XML or binary); ProfileError when they are not a profile."""
    try:
        profile = plistlib.loads(data)
    except Exception as exc:  # pylint: disable=broad-except  # plistlib raises several types for bad input
        raise ProfileError("not a property list (%s)" % type(exc).__name__)
    if not isinstance(profile, dict) or profile.get("PayloadType") != "Configuration":
        raise ProfileError("a property list, but not a configuration profile (no PayloadType Configuration)")
    return profile


def unwrap(data):
    """(plist bytes, signer certificate DER or None) of a profile file's bytes, signed or not.

    Raises ProfileError when the bytes are neither a plist nor a CMS-signed one we can read.
    """
    stripped = data.lstrip()
    if stripped.startswith((b"<?xml", b"<plist", b"<!DOCTYPE", b"bplist")):
        return data, None
    try:
        content, certificate = signing.open_signed(data)
    except signing.CmsError as exc:
        raise ProfileError("neither a plist nor a CMS-signed profile this collection can read (%s)" % exc)
    return content, certificate


def as_text(data):
    """A profile's plist as XML text, for diffs (a binary plist is converted)."""
    if data.lstrip().startswith(b"bplist"):
        try:
            data = serialize(plistlib.loads(data))
        except Exception:  # pylint: disable=broad-except  # plistlib raises several types for bad input
            return "(a binary file that is not a readable property list)\n"
    return data.decode("utf-8", "replace")


def read(path, what="", limit=MAX_FILE_SIZE):
    """The file's bytes and mode, or (None, None) when it does not exist (files.read)."""
    return files.read(path, what, limit)


def check_target(path, what="path"):
    """Raise ProfileError unless `path` can be written by write_atomic: its directory exists and is writable,
    and the path is not a directory, a device or another special file (a rename would replace it).

    Run before anything else, in check mode too, so that check mode predicts a refusal a real run would meet.
    """
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ProfileError("%s %s: directory %s %s" % (
            what, path, directory, "is not a directory" if os.path.exists(directory) else "does not exist"))
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ProfileError("%s %s: directory %s is not writable" % (what, path, directory))
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except (IOError, OSError) as exc:
        raise ProfileError("%s %s: %s" % (what, path, exc.strerror or exc))
    if stat.S_ISLNK(info.st_mode):
        try:
            info = os.stat(path)
        except OSError:
            return  # a dangling link is replaced, as a missing file is created
    if not stat.S_ISREG(info.st_mode):
        raise ProfileError("%s %s exists and is not a regular file: give the path of a profile file"
                           % (what, path))


def write_atomic(path, data, mode=MODE):
    """Write data to path through a temporary file in the same directory and a rename."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ProfileError("directory %s does not exist" % directory)
    try:
        handle, temporary = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    except (IOError, OSError) as exc:
        raise ProfileError("cannot write in %s: %s" % (directory, exc.strerror or exc))
    try:
        with os.fdopen(handle, "wb") as stream:
            os.fchmod(stream.fileno(), mode)  # explicit: the umask must not decide the mode
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except (IOError, OSError) as exc:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise ProfileError("cannot write %s: %s" % (path, exc.strerror or exc))
