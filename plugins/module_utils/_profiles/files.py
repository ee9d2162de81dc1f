# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Reading the files the profile modules are given (profiles, certificates, keys), with bounds.

Only a regular file is read (a device or a FIFO given by mistake could block or never end), and
only up to a size no profile, certificate or key comes near. Private to the collection; standard
library only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import os
import stat

from .validators import ProfileError

MAX_FILE_SIZE = 4 * 1024 * 1024


def read(path, what="", limit=MAX_FILE_SIZE):
    """(bytes, mode) of the file at `path`, or (None, None) when it does not exist.

    what: the option that named the file, for messages. ProfileError when it cannot be read, is not a
    regular file, or is larger than `limit` bytes.
    """
    label = "%s %s" % (what, path) if what else path
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise ProfileError("%s is not a regular file" % label)
            if info.st_size > limit:
                raise ProfileError("%s is %d bytes, more than the %d a profile, certificate or key can be"
                                   % (label, info.st_size, limit))
            return handle.read(limit + 1)[:limit], info.st_mode & 0o7777
    except FileNotFoundError:
        return None, None
    except (IOError, OSError) as exc:
        raise ProfileError("cannot read %s: %s" % (label, exc.strerror or exc))
