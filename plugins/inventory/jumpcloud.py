# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r"""
name: jumpcloud
short_description: The Macs of a JumpCloud organisation, each with the user whose password is synced
version_added: 0.1.0
description:
  - Builds the fleet from JumpCloud's systems (V1 C(/api/systems)) and, where needed, the users bound to them (V2
    graph C(/api/v2/systems/{id}/users) or C(/api/v2/users/{id}/systems)), so that no hand-written map of who
    uses which Mac is needed.
  - Each host is named after the system's hostname and gets C(credsync_user) - the system's primary user in
    JumpCloud, or else the one bound user who is not an administrator of it. When that is ambiguous (several such
    users) the host is put in group C(user_ambiguous) and C(jumpcloud_user_problem) says why; when there is no
    user at all, in group C(no_user). C(credsync_user) is never guessed.
  - "Groups: C(macs) (osFamily darwin), C(online) and C(offline) (last contact within O(online_window) minutes),
    C(filevault_on) and C(filevault_off), C(no_service_account) (the agent's service account is missing or holds
    no secure token, so FileVault cannot be brought in line without the user's previous password),
    C(user_ambiguous), C(no_user)."
  - "Host variables: C(credsync_user), C(ansible_host) (see O(ansible_host_source)) and C(jumpcloud_*) facts:
    C(jumpcloud_id), C(jumpcloud_hostname), C(jumpcloud_os), C(jumpcloud_os_family), C(jumpcloud_os_version),
    C(jumpcloud_active), C(jumpcloud_last_contact), C(jumpcloud_online), C(jumpcloud_remote_ip),
    C(jumpcloud_network_interfaces), C(jumpcloud_filevault), C(jumpcloud_filevault_key_escrowed),
    C(jumpcloud_service_account) (present, secure_token), C(jumpcloud_local_users), C(jumpcloud_secure_token_users)
    (the local accounts holding a secure token), C(jumpcloud_admin_users), C(jumpcloud_primary_user),
    C(jumpcloud_bound_users) (when read), C(jumpcloud_user_problem) and C(jumpcloud_user_candidates)."
  - Systems and users are read 100 at a time with the directory modules' client and its retries. Bound users are
    read only for systems without a primary user (or all, O(bound_users=always)), by whichever graph call costs
    fewer requests. See C(docs/inventory-jumpcloud.md) for the figures on 10,000 Macs.
  - The configuration file's name must end in C(jumpcloud.yml) or C(jumpcloud.yaml).
author:
  - macfleet.credsync contributors (@macfleet)
requirements:
  - requests
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: The name of this plugin; it makes the file a source for it.
    type: str
    required: true
    choices: [macfleet.credsync.jumpcloud]
  api_key:
    description:
      - A JumpCloud API key (sent as C(x-api-key)), as for the directory modules. Mutually exclusive with
        O(client_id). Keep it in the environment or a vault, not in the file in clear.
    type: str
    env:
      - name: JUMPCLOUD_API_KEY
  client_id:
    description: Client id of a JumpCloud service account (OAuth2 client credentials), as for the directory modules.
    type: str
  client_secret:
    description: Client secret of the service account.
    type: str
    env:
      - name: JUMPCLOUD_CLIENT_SECRET
  org_id:
    description: The organisation id, sent as C(x-org-id). Required with a multi-tenant (MSP) key.
    type: str
  region:
    description: JumpCloud region of the organisation.
    type: str
    choices: [us, eu, in]
    default: us
  base_url:
    description: API root (for example C(https://console.jumpcloud.com)); overrides O(region).
    type: str
  oauth_token_url:
    description: OAuth2 token endpoint for O(client_id); defaults to JumpCloud's.
    type: str
  validate_certs:
    description: Verify the server's TLS certificate. Only switch off for a lab.
    type: bool
    default: true
  ca_path:
    description: A PEM CA bundle to verify the server with.
    type: path
  timeout:
    description: Seconds to wait for each answer, at least V(1).
    type: int
    default: 30
  retries:
    description: Retries of a call answered 429, 500, 502, 503 or 504 or not answered in time (jittered backoff).
    type: int
    default: 3
  os_families:
    description:
      - The systems' C(osFamily) values to include. V([]) includes every system.
      - Only Macs (V(darwin)) by default; the playbooks of this collection work on Macs only.
    type: list
    elements: str
    default: [darwin]
  online_window:
    description: Minutes since a system's last contact with JumpCloud during which it counts as C(online).
    type: int
    default: 60
  hostname_source:
    description: What names a host, V(hostname) or V(display_name); a name several systems share gets each system's id appended.
    type: str
    choices: [hostname, display_name]
    default: hostname
  ansible_host_source:
    description:
      - Where C(ansible_host) comes from. V(hostname) is the system's hostname; V(remote_ip) is the address
        JumpCloud last saw it from (behind NAT, often not the Mac's); V(interface) is the address of the network
        interface O(ansible_host_interface) (IPv4 preferred).
      - When the chosen source has no value for a system, C(ansible_host) is not set.
    type: str
    choices: [hostname, remote_ip, interface]
    default: hostname
  ansible_host_interface:
    description: With O(ansible_host_source=interface), the interface name as the agent reports it.
    type: str
    default: en0
  bound_users:
    description:
      - V(when_needed) reads the users bound to a system only when it has no primary user (the fewest API calls);
        V(always) reads them for every system (C(jumpcloud_bound_users) on every host).
    type: str
    choices: [when_needed, always]
    default: when_needed
notes:
  - Every option is checked before JumpCloud is first contacted; a bad one fails naming the option and the rule.
    A key that is not an option of this plugin (a misspelt one) fails too, instead of being ignored.
  - The cache is kept per configuration file and per value of the options the hosts depend on (O(os_families),
    O(online_window), O(hostname_source), O(ansible_host_source), O(ansible_host_interface), O(bound_users),
    the API root, O(org_id), O(client_id)), so changing one of them is never answered from the cache. Hosts
    from the cache are as JumpCloud saw them when it was written - C(online) included - so keep O(cache_timeout)
    short next to O(online_window) when that group matters.
  - The API key and client secret are never written to the cache, host variables or errors.
  - Combine it with a static inventory (a second C(-i)) that says how to reach the Macs (C(ansible_user),
    C(ansible_python_interpreter), C(credsync_enabled)); variables from a later source win.
"""

EXAMPLES = r"""
# fleet.jumpcloud.yml -- ansible-inventory -i fleet.jumpcloud.yml --graph
plugin: macfleet.credsync.jumpcloud
region: eu
# api_key from JUMPCLOUD_API_KEY
online_window: 30
ansible_host_source: interface
ansible_host_interface: en0
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/credsync-inventory
cache_timeout: 3600
keyed_groups:
  - key: jumpcloud_os_version.split('.')[0]
    prefix: macos
compose:
  ansible_user: "'ansible-admin'"
groups:
  needs_attention: "'no_service_account' in group_names and not jumpcloud_filevault"
"""

import datetime
import difflib
import hashlib
import json
from collections.abc import Mapping

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.macfleet.credsync.plugins.module_utils._common.redact import redact
from ansible_collections.macfleet.credsync.plugins.module_utils._directory import fleet, jumpcloud
from ansible_collections.macfleet.credsync.plugins.module_utils._directory.base import DirectoryError
from ansible_collections.macfleet.credsync.plugins.module_utils._directory.module import cleartext_warnings, option_problems

_CONNECTION = ("api_key", "client_id", "client_secret", "org_id", "region", "base_url", "oauth_token_url",
               "validate_certs", "ca_path", "timeout", "retries")
_SECRETS = ("api_key", "client_secret")
# The options the hosts depend on: part of the cache key.
_SHAPING = ("os_families", "online_window", "hostname_source", "ansible_host_source", "ansible_host_interface",
            "bound_users")


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    """The inventory plugin: options checked, hosts read (or taken from the cache), then added with groups."""

    NAME = "macfleet.credsync.jumpcloud"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("jumpcloud.yml", "jumpcloud.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        config = self._read_config(path)
        params = {name: self.get_option(name) for name in _CONNECTION}
        secrets = [params[name] for name in _SECRETS if params.get(name)]
        problems = self._unknown_options(config) + self._problems(params)
        if problems:
            raise AnsibleParserError(redact("%s: %s" % (path, "; ".join(problems)), secrets))
        for warning in cleartext_warnings(dict(params, provider="jumpcloud")):
            self.display.warning("%s: %s" % (path, warning))
        cache_key = self._cache_key(path, params)
        use_cache = self.get_option("cache") and cache
        update_cache = self.get_option("cache") and not cache
        hosts = None
        if use_cache:
            try:
                hosts = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if hosts is None:
            try:
                hosts = self._read(params)
            except DirectoryError as exc:
                raise AnsibleError(redact("JumpCloud inventory %s: %s" % (path, exc), secrets))
        if update_cache:
            self._cache[cache_key] = hosts
        self._populate(hosts)

    def _read_config(self, path):
        """_read_config_data, without quoting a secret: Ansible's error for an option of the wrong type quotes the
        value, which for api_key or client_secret given as a list or a mapping (a YAML slip) holds the secret."""
        try:
            return self._read_config_data(path)
        except AnsibleError as exc:
            try:
                raw = self.loader.load_from_file(path, cache="none")
            except Exception:  # pylint: disable=broad-exception-caught  # the error above says what is wrong
                raw = None
            if not isinstance(raw, Mapping):
                raise
            given = {name: raw.get(name) for name in _SECRETS if raw.get(name) is not None}
            wrong = ["%s must be one text value, not a %s (its value is not shown)" % (
                name, "mapping" if isinstance(value, Mapping) else "list") for name, value in given.items()
                if isinstance(value, (Mapping, list, tuple))]
            if wrong:
                raise AnsibleParserError("%s: %s" % (path, "; ".join(wrong))) from None
            raise AnsibleParserError(redact(str(exc), _texts(list(given.values())))) from None

    def _unknown_options(self, config):
        """A key this plugin does not know (a misspelt option would otherwise be ignored without a word)."""
        problems = []
        for key in sorted(str(key) for key in config if key not in self._options):
            close = difflib.get_close_matches(key, list(self._options), n=1)
            problems.append("%s is not an option of this plugin%s" % (key, " (did you mean %s?)" % close[0] if close
                                                                      else ""))
        return problems

    def _cache_key(self, path, params):
        """The file's cache key, plus a digest of the options the hosts depend on (never a secret), so that a
        changed option is not answered with hosts cached under the old one."""
        shape = {name: self.get_option(name) for name in _SHAPING}
        shape.update(base_url=params.get("base_url") or jumpcloud.REGIONS[params.get("region") or "us"],
                     org_id=params.get("org_id"), client_id=params.get("client_id"))
        digest = hashlib.sha256(json.dumps(shape, sort_keys=True, default=str).encode("utf-8")).hexdigest()
        return "%s_%s" % (self.get_cache_key(path), digest[:16])

    def _problems(self, params):
        """Every bad option, as "<option> <rule>" texts, before JumpCloud is contacted."""
        problems = []
        if not params.get("api_key") and not (params.get("client_id") and params.get("client_secret")):
            problems.append("give api_key (or JUMPCLOUD_API_KEY), or client_id and client_secret of a service account")
        if params.get("api_key") and params.get("client_id"):
            problems.append("api_key and client_id are mutually exclusive")
        if bool(params.get("client_id")) != bool(params.get("client_secret")) and not params.get("api_key"):
            problems.append("client_id and client_secret go together")
        problems += option_problems(dict(params, provider="jumpcloud"))
        families = self.get_option("os_families") or []
        unknown = [family for family in families if family not in fleet.OS_FAMILIES]
        if unknown:
            problems.append("os_families may hold %s, not %s" % (", ".join(fleet.OS_FAMILIES), ", ".join(
                str(family) for family in unknown)))
        if self.get_option("online_window") < 1:
            problems.append("online_window must be at least 1 (minutes)")
        if self.get_option("ansible_host_source") == "interface" and not (
                self.get_option("ansible_host_interface") or "").strip():
            problems.append("ansible_host_interface must name an interface with ansible_host_source=interface")
        if not jumpcloud.HAS_REQUESTS:
            problems.append("the Python library requests is needed on the controller")
        return problems

    def _read(self, params):
        """The hosts, from JumpCloud (no Ansible objects: cacheable as they are)."""
        client = jumpcloud.build_client(params)
        reader = fleet.FleetReader(client)
        systems = reader.systems(self.get_option("os_families") or [])
        users = reader.users()
        bindings = reader.bindings(systems, users, always=self.get_option("bound_users") == "always")
        self.display.vvv("JumpCloud inventory: %d systems, %d users, bound users read %s, %d API calls"
                         % (len(systems), len(users), reader.strategy, client.calls))
        return fleet.build_hosts(systems, users, bindings, online_window=self.get_option("online_window") * 60,
                                 host_source=self.get_option("ansible_host_source"),
                                 interface=self.get_option("ansible_host_interface"),
                                 name_source=self.get_option("hostname_source"),
                                 now=datetime.datetime.now(datetime.timezone.utc))

    def _populate(self, hosts):
        strict = self.get_option("strict")
        for host in hosts:
            name = self.inventory.add_host(host["name"])
            for group in host["groups"]:
                self.inventory.add_group(group)
                self.inventory.add_child(group, name)
            for key, value in host["vars"].items():
                self.inventory.set_variable(name, key, value)
            hostvars = self.inventory.get_host(name).get_vars()
            self._set_composite_vars(self.get_option("compose"), hostvars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, name, strict=strict)


def _texts(value):
    """Every text inside a value given for a secret option (a list or mapping in a misshapen file)."""
    if isinstance(value, Mapping):
        return _texts(list(value.keys())) + _texts(list(value.values()))
    if isinstance(value, (list, tuple)):
        return [text for item in value for text in _texts(item)]
    return [str(value)] if value is not None else []
