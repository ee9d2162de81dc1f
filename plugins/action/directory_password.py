# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""directory_password on the controller: progress of long list-form runs, and generated passwords in a vault file.

Everything else is the module's: this plugin runs it once (or, for generated passwords a policy refused, again for
those users only) and hands its result back.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import os
import shutil
import tempfile

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.macfleet.credsync.plugins.plugin_utils._generated import (
    MAX_LENGTH, MIN_LENGTH, PasswordFile, generate_password, now, vault_secret)
from ansible_collections.macfleet.credsync.plugins.plugin_utils._progress import MIN_USERS, ProgressWatch

MODULE = "macfleet.credsync.directory_password"
_GENERATE_OPTIONS = ("generate", "password_file", "vault_id", "vault_password_file", "generate_length")
# A generated password the directory's policy refuses (a rule about the user's own names, say) is made again.
POLICY_ROUNDS = 3
display = Display()


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = dict(self._task.args)
        kind = _Generation if args.get("generate") else _OktaTemporary if (
            args.get("generate_temporary") and args.get("password_file") is not None) else None
        if kind is None:
            for name in _GENERATE_OPTIONS[1:]:
                if args.get(name) is not None and name != "generate_length":
                    return dict(result, failed=True,
                                msg="%s: only with generate=true (or generate_temporary with provider okta)" % name)
            args.pop("generate", None)
            result.update(self._module(args, task_vars))
            return result
        try:
            result.update(kind(self, args, task_vars).run())
        except AnsibleError as exc:
            result.update(failed=True, msg="nothing was sent: %s" % exc.message)
        return result

    def _module(self, args, task_vars):
        """The module's result, with its progress shown while it runs when the list is long and runs here."""
        users = args.get("passwords") or args.get("users") or []
        interval = args.get("progress_interval", 10)
        shown = (args.get("user") is None and len(users) >= MIN_USERS and self._runs_here()
                 and isinstance(interval, int) and interval > 0)
        if not shown:
            return self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
        folder = tempfile.mkdtemp(prefix="credsync-progress-")  # 0700: only this user reads the counts
        try:
            args = dict(args, progress_path=os.path.join(folder, "progress.json"))
            label = "%s [%s]" % (MODULE, self._task.get_name())
            with ProgressWatch(label, args["progress_path"], display.display, interval=interval):
                return self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _runs_here(self):
        """Whether the module runs on this controller as this user, so it can write where the plugin reads."""
        transport = getattr(self._connection, "transport", None) or getattr(self._connection, "_load_name", "")
        return str(transport).rsplit(".", maxsplit=1)[-1] == "local" and not self._play_context.become


class _VaultRun:
    """A run whose passwords are kept only in the vault file: the users, the file, the result without a password."""

    what = "generate"
    excluded = ()

    def __init__(self, action, args, task_vars):
        self.action = action
        self.task_vars = task_vars
        self.check = action._task.check_mode or action._play_context.check_mode
        given = [name for name in self.excluded if args.get(name)]
        if given:
            raise AnsibleError("%s makes the passwords: %s must not be given" % (self.what, ", ".join(given)))
        if args.get("user") is not None and args.get("users") is not None:
            raise AnsibleError("user and users are mutually exclusive")
        self.single = args.get("user") is not None
        users = [args["user"]] if self.single else args.get("users")
        if not users or not isinstance(users, list) or not all(isinstance(u, str) and u.strip() for u in users):
            raise AnsibleError("%s needs user, or users as a list of user names" % self.what)
        if len(set(users)) != len(users):
            raise AnsibleError("each user may be given once")
        self.users = users
        try:
            self.length = int(args.get("generate_length", 20))
        except (TypeError, ValueError):
            raise AnsibleError("generate_length must be a number")
        if not MIN_LENGTH <= self.length <= MAX_LENGTH:
            raise AnsibleError("generate_length must be %d to %d" % (MIN_LENGTH, MAX_LENGTH))
        if not args.get("password_file"):
            raise AnsibleError("%s needs password_file, the vault-encrypted file the passwords are kept in"
                               % self.what)
        label, secret = vault_secret(action._loader, args.get("vault_id"), args.get("vault_password_file"))
        self.file = PasswordFile(os.path.expanduser(args["password_file"]), secret, label)
        self.args = dict((k, v) for k, v in args.items() if k not in _GENERATE_OPTIONS + ("user", "users"))
        self.warnings = []

    def _result(self, outcomes, done, generated):
        earlier = {"changed": False, "failed": False, "outcome": "set",
                   "note": "set by an earlier run; the password is in password_file"}
        results = [dict(earlier, user=user) if user in done else outcomes[user] for user in self.users]
        failed = [entry for entry in results if entry.get("failed")]
        changed = any(entry.get("changed") for entry in results)
        extra = dict(generated=generated, password_file=self.file.path, changed=changed)
        if self.warnings:
            extra["warnings"] = list(dict.fromkeys(self.warnings))
        if self.single:
            result = dict(results[0], **extra)
            if failed:
                result["failed"] = True
            else:
                result.pop("failed", None)
            return result
        summary = dict(total=len(results), changed=sum(1 for r in results if r.get("changed")), failed=len(failed),
                       unknown=sum(1 for r in results if r.get("outcome") == "unknown"))
        result = dict(extra, results=results, summary=summary)
        if failed:
            result.update(failed=True, msg="%d of %d users failed: %s" % (len(failed), len(results), "; ".join(
                "%s: %s" % (r["user"], r.get("msg")) for r in failed[:10])))
        return result

    def _entries(self, answer, users):
        """The module's per-user entries (in order), or None when it failed before any user was worked on."""
        if self.single:
            if "outcome" not in answer:
                return None
            entry = dict((k, v) for k, v in answer.items() if k not in ("invocation", "_ansible_no_log"))
            entry.update(user=users[0])
            return [entry]
        results = answer.get("results")
        if not isinstance(results, list) or len(results) != len(users):
            return None
        return results

    def _whole_failure(self, answer, generated):
        # Users the file holds as pending stay so: whatever was sent, a re-run sends these same passwords.
        result = dict((k, v) for k, v in answer.items() if k != "results")
        result.update(generated=[] if self.check else generated, password_file=self.file.path)
        return result


class _Generation(_VaultRun):
    """generate=true: make the passwords, keep them in the vault file first, send them, record what became of each."""

    excluded = ("password", "passwords", "generate_temporary")

    def run(self):
        entries = self.file.load()
        done = [u for u in self.users if entries.get(u, {}).get("state") == "set"]
        fresh = [u for u in self.users if u not in entries]
        # In check mode the file is left alone: what would be made is made in memory and thrown away.
        work = dict(entries)
        for user in fresh:
            work[user] = {"password": generate_password(self.length, user), "state": "pending", "generated": now()}
        pending = [u for u in self.users if u not in done]
        generated = list(fresh)
        outcomes = {}
        for _round in range(POLICY_ROUNDS):
            if not pending:
                break
            if not self.check:
                self.file.save(work)  # before anything is sent: a password sent is a password kept
            answer = self.action._module(self._module_args(pending, work), self.task_vars)
            self.warnings.extend(answer.get("warnings") or [])
            entries_back = self._entries(answer, pending)
            if entries_back is None:  # the module failed as a whole (a connection, an option): nothing per user
                return self._whole_failure(answer, generated)
            refused = []
            for user, entry in zip(pending, entries_back):
                outcomes[user] = entry
                if entry.get("policy_rules") and user in fresh:
                    refused.append(user)
                    work[user] = {"password": generate_password(self.length, user), "state": "pending",
                                  "generated": now()}
                elif not self.check:
                    work[user]["state"] = entry.get("outcome") or ("failed" if entry.get("failed") else "set")
                    if work[user]["state"] == "already_set":
                        work[user]["state"] = "set"
            pending = refused
        for user in pending:  # refused by the policy every round: never sent, so not kept
            work.pop(user, None)
            generated.remove(user)
        if not self.check:
            self.file.save(work)
        return self._result(outcomes, done, generated)

    def _module_args(self, users, work):
        args = dict(self.args)
        if self.single:
            args.update(user=users[0], password=work[users[0]]["password"])
        else:
            args["passwords"] = [{"user": user, "password": work[user]["password"]} for user in users]
        return args


class _OktaTemporary(_VaultRun):
    """generate_temporary with password_file: Okta makes each temporary password; it goes into the vault file only.

    Okta makes the password, so it cannot be kept before it is sent: each answer's password is written to the file as
    soon as the module ends, and taken out of the result. A user already set in the file is left alone; a user whose
    password was lost (the controller died before the file was written) gets a new one on a re-run, which replaces
    the one nobody received.
    """

    what = "generate_temporary"
    excluded = ("password", "passwords")

    def run(self):
        entries = self.file.load()
        done = [u for u in self.users if entries.get(u, {}).get("state") == "set"]
        pending = [u for u in self.users if u not in done]
        if not pending:
            return self._result({}, done, [])
        args = dict(self.args, generate_temporary=True)
        args.update({"user": pending[0]} if self.single else {"users": pending})
        # The module returns what Okta made only to a no_log task; this plugin is that task's only reader.
        task = self.action._task
        was, task.no_log = task.no_log, True
        try:
            answer = self.action._module(args, self.task_vars)
        finally:
            task.no_log = was
        self.warnings.extend(answer.get("warnings") or [])
        answered = self._entries(answer, pending)
        if answered is None:
            return self._whole_failure(answer, [])
        outcomes, generated = {}, []
        for user, entry in zip(pending, answered):
            temporary = entry.pop("temporary_password", None)
            if temporary and not self.check:
                entries[user] = {"password": temporary, "state": "set", "generated": now()}
                generated.append(user)
            outcomes[user] = entry
        if generated:
            self.file.save(entries)
        return self._result(outcomes, done, generated)
