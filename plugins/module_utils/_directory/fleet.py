# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The fleet as JumpCloud knows it: system records and their bound users made into hosts.

No Ansible inventory objects here (the inventory plugin macfleet.credsync.jumpcloud adds hosts and groups from
what this returns), so the rules are unit-testable. Private to the collection; runs on the controller.

Which user a Mac is synced for (credsync_user) is never guessed: the system's primarySystemUser, or else the one
bound user who is not an administrator of it. Anything else (several such users, none, a primary user the
directory does not know) leaves credsync_user unset and says why.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import collections
import datetime

from .base import timestamp_age

# The JcSystem fields the hosts are built from (one projection for every page of systems).
SYSTEM_FIELDS = ("_id", "hostname", "displayName", "os", "osFamily", "version", "arch", "serialNumber", "active",
                 "lastContact", "remoteIP", "networkInterfaces", "fde", "hasServiceAccount", "serviceAccountState",
                 "userMetrics", "primarySystemUser", "agentVersion")
USER_FIELDS = ("_id", "username", "email", "suspended", "account_locked")
OS_FAMILIES = ("darwin", "windows", "linux")
HOST_SOURCES = ("hostname", "remote_ip", "interface")
NAME_SOURCES = ("hostname", "display_name")
BINDINGS = ("when_needed", "always")


def _primary_id(system):
    primary = system.get("primarySystemUser") or {}
    return primary.get("id") if isinstance(primary, dict) else None


def needs_bindings(system, always=False):
    """Whether the system's bound users must be read to name its user (no primarySystemUser)."""
    return always or not _primary_id(system)


def choose_user(system, users, bound):
    """(username or None, problem or None, candidates) for one system.

    users: {user id: user record}; bound: [{"id", "admin"}] of the users bound to the system (None: not read).
    Administrators are known from the binding's sudo attribute and from the agent's userMetrics.
    """
    primary = _primary_id(system)
    if primary:
        user = users.get(primary)
        if user is None:
            return None, "its primarySystemUser %s is not a user of this organisation" % primary, []
        return user.get("username"), None, [user.get("username")]
    if bound is None:
        return None, "its bound users were not read", []
    admins = {metric.get("userName") for metric in system.get("userMetrics") or [] if metric.get("admin")}
    candidates = sorted(users[entry["id"]].get("username") for entry in bound
                        if entry["id"] in users and not entry.get("admin")
                        and users[entry["id"]].get("username") not in admins)
    if len(candidates) == 1:
        return candidates[0], None, candidates
    if not candidates:
        return None, ("no primarySystemUser and no bound user who is not an administrator of it"
                      if bound else "no primarySystemUser and no bound user"), []
    return None, ("no primarySystemUser and %d bound users who are not administrators (%s): which one uses it is "
                  "not guessed; set its primary user in JumpCloud" % (len(candidates), ", ".join(candidates))), candidates


def _address(system, source, interface):
    if source == "hostname":
        return system.get("hostname") or None
    if source == "remote_ip":
        return system.get("remoteIP") or None
    found = [entry for entry in system.get("networkInterfaces") or [] if entry.get("name") == interface]
    found.sort(key=lambda entry: (entry.get("family") != "IPv4", bool(entry.get("internal"))))
    return found[0].get("address") if found else None


def facts(system, users, bound, online_window, now):
    """The jumpcloud_* hostvars of one system (nothing secret: JumpCloud returns no secret in a system)."""
    metrics = system.get("userMetrics") or []
    fde = system.get("fde") or {}
    service = system.get("serviceAccountState") or {}
    age = timestamp_age(system.get("lastContact"), now)
    result = {
        "jumpcloud_id": system.get("_id"),
        "jumpcloud_hostname": system.get("hostname"),
        "jumpcloud_display_name": system.get("displayName"),
        "jumpcloud_os": system.get("os"),
        "jumpcloud_os_family": system.get("osFamily"),
        "jumpcloud_os_version": system.get("version"),
        "jumpcloud_arch": system.get("arch"),
        "jumpcloud_serial_number": system.get("serialNumber"),
        "jumpcloud_agent_version": system.get("agentVersion"),
        "jumpcloud_active": bool(system.get("active")),
        "jumpcloud_last_contact": system.get("lastContact"),
        "jumpcloud_online": age is not None and age <= online_window,
        "jumpcloud_remote_ip": system.get("remoteIP"),
        "jumpcloud_network_interfaces": system.get("networkInterfaces") or [],
        "jumpcloud_filevault": bool(fde.get("active")),
        "jumpcloud_filevault_key_escrowed": bool(fde.get("keyPresent")),
        "jumpcloud_service_account": {
            "present": bool(system.get("hasServiceAccount")),
            "secure_token": bool(service.get("hasSecureToken")),
            "password_apfs_valid": service.get("passwordAPFSValid"),
            "password_od_valid": service.get("passwordODValid")},
        "jumpcloud_local_users": [{"name": metric.get("userName"), "admin": bool(metric.get("admin")),
                                   "managed": bool(metric.get("managed")),
                                   "secure_token": bool(metric.get("secureTokenEnabled")),
                                   "suspended": bool(metric.get("suspended"))} for metric in metrics],
        "jumpcloud_secure_token_users": sorted(metric.get("userName") for metric in metrics
                                               if metric.get("secureTokenEnabled") and metric.get("userName")),
        "jumpcloud_admin_users": sorted(metric.get("userName") for metric in metrics
                                        if metric.get("admin") and metric.get("userName")),
    }
    primary = users.get(_primary_id(system)) if _primary_id(system) else None
    result["jumpcloud_primary_user"] = primary.get("username") if primary else None
    if bound is not None:
        result["jumpcloud_bound_users"] = sorted(users[entry["id"]].get("username") for entry in bound
                                                 if entry["id"] in users)
    return result


def can_sync_filevault(system):
    """The agent's service account is there and holds a secure token (JumpCloud's FileVault route)."""
    service = system.get("serviceAccountState") or {}
    return bool(system.get("hasServiceAccount")) and bool(service.get("hasSecureToken"))


def build_hosts(systems, users, bindings, online_window=3600, host_source="hostname", interface="en0",
                name_source="hostname", now=None):
    """[{"name", "groups", "vars"}] for the systems, in their order.

    systems: JcSystem records (already filtered by OS); users: {id: user}; bindings: {system id: [{"id", "admin"}]}
    for the systems whose bound users were read; online_window: seconds since lastContact still counted online.
    Names are the hostname (or displayName); a name several systems share gets each system's id appended, so
    no two systems become one host.
    """
    now = now or datetime.datetime.now(datetime.timezone.utc)
    hosts = []
    for name, system in zip(_unique_names(systems, name_source), systems):
        bound = bindings.get(system.get("_id"))
        hostvars = facts(system, users, bound, online_window, now)
        user, problem, candidates = choose_user(system, users, bound)
        groups = []
        if system.get("osFamily") == "darwin":
            groups.append("macs")
        groups.append("online" if hostvars["jumpcloud_online"] else "offline")
        groups.append("filevault_on" if hostvars["jumpcloud_filevault"] else "filevault_off")
        if not can_sync_filevault(system):
            groups.append("no_service_account")
        if user:
            hostvars["credsync_user"] = user
        else:
            hostvars["jumpcloud_user_problem"] = problem
            hostvars["jumpcloud_user_candidates"] = candidates
            groups.append("user_ambiguous" if len(candidates) > 1 else "no_user")
        address = _address(system, host_source, interface)
        if address:
            hostvars["ansible_host"] = address
        hosts.append({"name": name, "groups": groups, "vars": hostvars})
    return hosts


def _unique_names(systems, name_source):
    """A host name per system: its hostname (or displayName), with the system's id appended when several systems
    share it. A name so made may still be another system's own name (a hostname such as mbp_<id>): then that
    system's id is appended too, until no two systems have the same name."""
    key = "hostname" if name_source == "hostname" else "displayName"
    ids = [system.get("_id") or str(index) for index, system in enumerate(systems)]
    names = [system.get(key) or system.get("hostname") or system_id for system, system_id in zip(systems, ids)]
    while True:
        shared = {name for name, count in collections.Counter(names).items() if count > 1}
        if not shared:
            return names
        names = ["%s_%s" % (name, system_id) if name in shared else name for name, system_id in zip(names, ids)]


class FleetReader:
    """Reads the systems, users and bindings from JumpCloud with as few calls as the rules need.

    Systems and users are listed 100 at a time. Bound users are read only for the systems that need them (no
    primarySystemUser, or every system with always=True), by whichever graph traversal costs fewer calls: one
    GET /v2/systems/{id}/users per such system, or one GET /v2/users/{id}/systems per user of the organisation.
    The client's `calls` counts the API calls made (retries included).
    """

    def __init__(self, client):
        self.client = client
        self.strategy = None

    def _listing(self, path, params):
        return self.client.iter_listing(path, params)

    def _graph(self, path):
        return self.client.iter_graph(path)

    def systems(self, os_families):
        """The systems of the given OS families (all with an empty list); one family is filtered by the server."""
        params = {"fields": " ".join(SYSTEM_FIELDS)}
        if len(os_families) == 1:
            params["filter"] = ["osFamily:$eq:%s" % os_families[0]]
        found = list(self._listing("/api/systems", params))
        return [system for system in found if not os_families or system.get("osFamily") in os_families]

    def users(self):
        return {user["_id"]: user for user in self._listing("/api/systemusers", {"fields": " ".join(USER_FIELDS)})}

    def bindings(self, systems, users, always=False):
        """{system id: [{"id", "admin"}]} for the systems that need their bound users read."""
        wanted = [system["_id"] for system in systems if needs_bindings(system, always)]
        if not wanted:
            self.strategy = "none"
            return {}
        if len(users) < len(wanted):
            self.strategy = "per_user"
            wanted_set = set(wanted)
            found = {system_id: [] for system_id in wanted}
            for user_id in users:
                for entry in self._graph("/api/v2/users/%s/systems" % user_id):
                    if entry.get("id") in wanted_set:
                        found[entry["id"]].append({"id": user_id, "admin": _sudo(entry)})
            return found
        self.strategy = "per_system"
        return {system_id: [{"id": entry.get("id"), "admin": _sudo(entry)}
                            for entry in self._graph("/api/v2/systems/%s/users" % system_id)]
                for system_id in wanted}


def _sudo(entry):
    """Whether a binding makes the user an administrator of the system (the association's sudo attribute)."""
    attributes = entry.get("compiledAttributes") or {}
    sudo = attributes.get("sudo") or {}
    return bool(sudo.get("enabled")) if isinstance(sudo, dict) else False
