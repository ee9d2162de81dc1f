# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name


class ModuleDocFragment:
    """Options shared by the modules that generate configuration profiles."""

    DOCUMENTATION = r"""
options:
  path:
    description:
      - Where to write the profile (C(.mobileconfig)). Its directory must exist.
      - Written atomically (a temporary file in the same directory, then a rename) with mode C(0644).
    type: path
    required: true
  organization:
    description: The organisation shown with the profile (C(PayloadOrganization)); omitted when not set.
    type: str
  removal_disallowed:
    description:
      - Sets C(PayloadRemovalDisallowed). On macOS 10.15 and later it only protects a manually installed profile
        (removing it then needs an administrator); a profile an MDM installed can never be removed by a user.
    type: bool
    default: true
  scope:
    description:
      - C(PayloadScope). Payloads that only install on the device channel (system extensions, privacy,
        managed login items) refuse V(User).
    type: str
    choices: [System, User]
    default: System
  signing_certificate:
    description:
      - A certificate (PEM or DER) to sign the profile with. The profile is then written as CMS SignedData
        (DER, the plist embedded, SHA-256) and the signature is verified right after signing.
      - Signing stops an MDM from rewriting the payloads; MDMs that re-sign uploads (JumpCloud does) do not need it.
      - Requires O(signing_key).
    type: path
  signing_key:
    description: The private key (PEM, RSA or EC) of O(signing_certificate). Requires O(signing_certificate).
    type: path
  signing_key_passphrase:
    description: Passphrase of an encrypted O(signing_key).
    type: str
  signing_chain:
    description: Intermediate certificates (PEM) to embed with the signature.
    type: path
notes:
  - Runs on the controller (C(delegate_to=localhost)); signing needs the Python library C(cryptography).
  - The profile is checked against the key names, types, allowed values and macOS support of Apple's
    device-management schema before anything is written; every problem found is reported and nothing is written.
  - Text options are checked as given, before anything is built or written. A dictionary, list or boolean given
    for a text option is refused, not turned into its Python text. Control characters are refused (C0, DEL, C1,
    and what XML cannot hold); free text (O(description) and rule comments) may hold tabs and line feeds, other
    options are one line. Names and identifiers are at most 255 characters, free text and code requirements at
    most 4096, paths at most 1024. An empty O(identifier) or O(display_name) is refused, and so is white space around
    O(identifier) (an empty O(description) or O(organization) leaves the key out, as does not giving it).
  - O(path) must be in an existing, writable directory and must not be a directory, a device or another special
    file. Files read (an existing profile at O(path), certificates and keys) must be regular files of at most a few
    megabytes. Each of these is checked in check mode too.
  - Output is deterministic. Keys are sorted and every C(PayloadUUID) is derived from its C(PayloadIdentifier)
    (UUIDv5), so a second run with the same options reports C(changed=false). A re-pushed profile replaces
    its payloads instead of adding new ones.
  - A signed profile is compared by content. An existing file holding the same plist, signed by the same
    certificate, is left alone, so a signed profile is also idempotent although each signature differs.
requirements:
  - cryptography (only to sign)
"""
