# Sphinx configuration of the collection's docs site (built by `scripts/test.sh docs`, see README).
# Started from `antsibull-docs sphinx-init`; changed so that the build needs no network: the few Ansible
# labels the generated pages refer to come from a small local inventory written below, not from
# docs.ansible.com, and no other inventory is fetched.

import os
import zlib

project = "macfleet.credsync"
copyright = "macfleet.credsync contributors"  # pylint: disable=redefined-builtin
title = "macfleet.credsync"
html_short_title = "macfleet.credsync"

extensions = ["sphinx.ext.intersphinx", "sphinx_antsibull_ext"]
pygments_style = "ansible"
highlight_language = "YAML+Jinja"
html_theme = "sphinx_ansible_theme"
html_show_sphinx = False
display_version = False
html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False
default_role = "any"
nitpicky = True

ANSIBLE_DOCS = "https://docs.ansible.com/projects/ansible/devel/"
_CONFIG = "reference_appendices/config.html"
# (name, Sphinx role, page and anchor under ANSIBLE_DOCS, title). A new reference to Ansible's docs fails the build
# (nitpicky, -W) until it is added here.
ANSIBLE_OBJECTS = [
    ("common_return_values", "std:label", "reference_appendices/common_return_values.html#common-return-values",
     "Return Values"),
    ("ansible_configuration_settings", "std:label", _CONFIG + "#ansible-configuration-settings",
     "Ansible Configuration Settings"),
    # "This module has a corresponding action plugin" (directory_password).
    ("action_plugins", "std:label", "plugins/action.html#action-plugins", "Action plugins"),
] + [
    ("ansible_collections.ansible.builtin.%s_module" % name, "std:label",
     "collections/ansible/builtin/%s_module.html#ansible-collections-ansible-builtin-%s-module" % (name, name),
     "ansible.builtin.%s module" % name)
    for name in ("fail", "include_vars", "set_fact")
] + [
    # The inventory cache's settings (the inventory_cache documentation fragment).
    (name, "std:envvar", "%s#envvar-%s" % (_CONFIG, name), "-")
    for name in ("ANSIBLE_CACHE_PLUGIN", "ANSIBLE_CACHE_PLUGIN_CONNECTION", "ANSIBLE_CACHE_PLUGIN_PREFIX",
                 "ANSIBLE_CACHE_PLUGIN_TIMEOUT", "ANSIBLE_INVENTORY_CACHE", "ANSIBLE_INVENTORY_CACHE_PLUGIN",
                 "ANSIBLE_INVENTORY_CACHE_CONNECTION", "ANSIBLE_INVENTORY_CACHE_PLUGIN_PREFIX",
                 "ANSIBLE_INVENTORY_CACHE_TIMEOUT")
]


def _write_inventory(path):
    """A Sphinx (version 2) object inventory of ANSIBLE_OBJECTS, for intersphinx."""
    lines = "".join("%s %s -1 %s %s\n" % entry for entry in sorted(ANSIBLE_OBJECTS))
    with open(path, "wb") as handle:
        handle.write(b"# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n"
                     b"# The remainder of this file is compressed using zlib.\n")
        handle.write(zlib.compress(lines.encode("utf-8")))


_INVENTORY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ansible_devel.inv")
_write_inventory(_INVENTORY)
intersphinx_mapping = {"ansible_devel": (ANSIBLE_DOCS, _INVENTORY)}
