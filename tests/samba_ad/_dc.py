"""SambaDC: a real Active Directory domain controller (Samba) in a temporary directory on 127.0.0.1."""

import fcntl
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time

import ldap3
from ldap3.core.exceptions import LDAPInvalidCredentialsResult

from simhttp import make_certificates

PACKAGES = ("samba", "samba-dsdb-modules", "samba-vfs-modules", "samba-ad-provision", "ldb-tools")
ADDRESS = "127.0.0.1"
LDAPS_PORT = 636
# Samba has no port option: one DC per network namespace, so sessions wanting one take turns.
LOCK_PATH = os.path.join(tempfile.gettempdir(), "credsync-samba-ad-dc.lock")
ACCOUNT_OPERATORS = "CN=Account Operators,CN=Builtin,%s"


def _password(prefix):
    """A random password that meets AD's default policy (length 7, three character kinds)."""
    return "%s-%s-9a!" % (prefix, secrets.token_urlsafe(12))


def _utf16(password):
    return ('"%s"' % password).encode("utf-16-le")


def unavailable_reason():
    """Why a DC cannot run here (None when it can)."""
    missing = [tool for tool in ("samba", "samba-tool") if not shutil.which(tool)]
    if missing:
        return ("Samba AD DC not installed (%s missing): scripts/test.sh installs the Debian packages %s with "
                "apt-get when run as root" % (", ".join(missing), " ".join(PACKAGES)))
    if os.geteuid() != 0:
        return "a Samba AD DC needs root (it listens on the privileged ports 389 and 636)"
    return None


class ConnectionCounter:
    """A TCP forwarder to the DC's LDAPS port that counts the connections made through it.

    TLS passes through untouched, so clients verify the DC's certificate for `localhost` as usual.
    """

    def __init__(self, target=(ADDRESS, LDAPS_PORT)):
        self.target = target
        self.count = 0
        self._listener = socket.create_server((ADDRESS, 0))
        self.port = self._listener.getsockname()[1]
        self._threads = []
        self._start(self._accept)

    def _start(self, target, *args):
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self):
        while True:
            try:
                client, _address = self._listener.accept()
            except OSError:
                return
            self.count += 1
            upstream = socket.create_connection(self.target)
            self._start(self._pump, client, upstream)
            self._start(self._pump, upstream, client)

    @staticmethod
    def _pump(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self._listener.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class SambaDC:
    """Provision, start, use and stop a Samba AD DC for domain EXAMPLE.TEST inside `workdir`.

    Clients reach it as `localhost` (LDAPS 636, StartTLS 389) with `ca_path`, the CA of the throw-away
    certificate the DC serves. Lockout after 3 bad passwords, no minimum password age, and the old
    password stops working at once after a reset (Samba's default keeps it for an hour).
    """

    REALM = "EXAMPLE.TEST"
    DOMAIN = "EXAMPLE"
    BASE_DN = "DC=example,DC=test"
    USERS_DN = "CN=Users,DC=example,DC=test"
    HOST = "localhost"
    LOCKOUT_THRESHOLD = 3

    def __init__(self, workdir):
        self.workdir = workdir
        self.conf = os.path.join(workdir, "etc", "smb.conf")
        self.admin_password = _password("Admin")
        self.service_user = "svc-credsync@example.test"
        self.service_password = _password("Svc")
        self.ca_path = None
        self.timings = {}
        self._process = None
        self._lock = None
        self._admin = None
        self._serial = 0

    # -- life cycle ---------------------------------------------------------------------------
    def provision(self):
        """Make the domain in workdir, once (no port is used: no lock needed)."""
        if self.ca_path is None:
            reason = unavailable_reason()
            if reason:
                raise RuntimeError(reason)
            started = time.monotonic()
            self._provision()
            self.timings["provision"] = time.monotonic() - started
        return self

    def start(self, lock_timeout=900):
        """Provision if not yet done, take the machine's DC lock, start samba and wait for LDAPS.

        The first start adds the service account (svc-credsync, an Account Operator); a DC stopped
        and started again keeps its data.
        """
        self.provision()
        self._take_lock(lock_timeout)
        try:
            started = time.monotonic()
            self._spawn()
            self.timings.setdefault("start", time.monotonic() - started)
            if self.bind_error(self.service_user, self.service_password) is not None:
                self.add_user("svc-credsync", self.service_password, upn=self.service_user, display_name="Credsync Service")
                self.admin().modify(ACCOUNT_OPERATORS % self.BASE_DN,
                                    {"member": [(ldap3.MODIFY_ADD, [self.dn("svc-credsync")])]})
        except BaseException:
            self.stop()
            raise
        return self

    def _take_lock(self, timeout):
        self._lock = open(LOCK_PATH, "a+")  # pylint: disable=consider-using-with
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RuntimeError("another test session has held the Samba AD DC (lock %s) for %ss" % (LOCK_PATH, timeout))
                time.sleep(0.5)
        self._stop_stale()
        with socket.socket() as probe:
            if probe.connect_ex((ADDRESS, LDAPS_PORT)) == 0:
                raise RuntimeError("%s:%d is already in use by another program: cannot start a Samba AD DC"
                                   % (ADDRESS, LDAPS_PORT))

    def _stop_stale(self):
        """A DC left running by a killed session (its PID and smb.conf are in the lock file): stop it."""
        self._lock.seek(0)
        fields = self._lock.read().split()
        if len(fields) == 2 and fields[0].isdigit():
            pid, conf = int(fields[0]), fields[1]
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as handle:
                    argv = handle.read().split(b"\0")
            except OSError:
                argv = []
            if argv and os.path.basename(argv[0]) == b"samba" and conf.encode() in argv:
                os.kill(pid, 15)
                for _attempt in range(100):
                    if not os.path.exists("/proc/%d" % pid):
                        break
                    time.sleep(0.1)

    def _record(self, text):
        self._lock.seek(0)
        self._lock.truncate()
        self._lock.write(text)
        self._lock.flush()

    def _provision(self):
        tls = os.path.join(self.workdir, "tls")
        os.makedirs(tls)
        os.makedirs(os.path.dirname(self.conf))
        # Empty, so that nothing comes from /etc/samba.
        open(self.conf, "w").close()  # pylint: disable=consider-using-with
        self.ca_path, cert, key = make_certificates(tls)
        run = os.path.join(self.workdir, "run")
        options = {
            "netbios name": "DC1", "interfaces": ADDRESS, "bind interfaces only": "yes", "server services": "ldap",
            "log file": os.path.join(self.workdir, "log.%m"), "pid directory": run,
            "ncalrpc dir": os.path.join(run, "ncalrpc"), "ntp signd socket directory": os.path.join(run, "ntp_signd"),
            "winbindd socket directory": os.path.join(run, "winbindd"),
            "tls enabled": "yes", "tls keyfile": key, "tls certfile": cert, "tls cafile": self.ca_path,
        }
        self.samba_tool("domain", "provision", "--realm=" + self.REALM, "--domain=" + self.DOMAIN, "--server-role=dc",
                        "--dns-backend=NONE", "--host-name=dc1", "--adminpass=" + self.admin_password,
                        "--targetdir=" + self.workdir, *["--option=%s=%s" % item for item in options.items()])
        with open(self.conf) as handle:
            text = handle.read()
        with open(self.conf, "w") as handle:
            handle.write(text.replace("[global]\n", "[global]\n\told password allowed period = 0\n", 1))
        self.samba_tool("domain", "passwordsettings", "set", "--account-lockout-threshold=%d" % self.LOCKOUT_THRESHOLD,
                        "--min-pwd-age=0")

    def samba_tool(self, *args):
        proc = subprocess.run(["samba-tool"] + list(args) + ["-s", self.conf], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=300, check=False)
        output = proc.stdout.decode("utf-8", "replace").replace(self.admin_password, "********")
        if proc.returncode != 0:
            raise RuntimeError("samba-tool %s failed (rc %d):\n%s" % (" ".join(args[:2]), proc.returncode, output[-3000:]))
        return output

    def _spawn(self):
        log = open(os.path.join(self.workdir, "samba.out"), "wb")  # pylint: disable=consider-using-with
        with log:
            self._process = subprocess.Popen(["samba", "-i", "-M", "single", "-s", self.conf], stdout=log,  # pylint: disable=consider-using-with
                                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self._record("%d %s\n" % (self._process.pid, self.conf))
        context = ssl.create_default_context(cafile=self.ca_path)
        deadline = time.monotonic() + 60
        while True:
            if self._process.poll() is not None:
                raise RuntimeError("samba exited (rc %s) before listening:\n%s" % (self._process.returncode, self.log_tail()))
            try:
                with socket.create_connection((ADDRESS, LDAPS_PORT), timeout=2) as raw:
                    with context.wrap_socket(raw, server_hostname=self.HOST):
                        return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("samba did not answer on %s:%d within 60 s:\n%s" % (ADDRESS, LDAPS_PORT, self.log_tail()))
                time.sleep(0.1)

    def log_tail(self):
        with open(os.path.join(self.workdir, "samba.out"), "rb") as handle:
            return handle.read()[-3000:].decode("utf-8", "replace")

    def stop(self):
        """Stop samba by its PID (TERM, then KILL after 15 s) and let the next session have the DC."""
        if self._admin is not None:
            self._admin.unbind()
            self._admin = None
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(15)
            self._process = None
        if self._lock is not None:
            self._record("")
            self._lock.close()  # releases the flock
            self._lock = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- LDAP -----------------------------------------------------------------------------------
    def connection(self, user, password, port=LDAPS_PORT):
        """A bound LDAPS connection that verifies the DC's certificate (raises on a refused bind)."""
        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=self.ca_path)
        server = ldap3.Server(self.HOST, port=port, use_ssl=True, tls=tls, get_info=ldap3.NONE, connect_timeout=10)
        return ldap3.Connection(server, user=user, password=password, auto_bind=True, raise_exceptions=True,
                                receive_timeout=30)

    def admin(self):
        if self._admin is None:
            self._admin = self.connection("Administrator@" + self.REALM.lower(), self.admin_password)
        return self._admin

    def dn(self, sam):
        return "CN=%s,%s" % (sam, self.USERS_DN)

    def add_user(self, sam, password, mail=None, upn=None, display_name=None):
        """A new enabled user in CN=Users; returns its DN."""
        attributes = {"sAMAccountName": sam, "userPrincipalName": upn or "%s@example.test" % sam,
                      "unicodePwd": _utf16(password), "userAccountControl": 512}
        if mail:
            attributes["mail"] = mail
        if display_name:
            attributes["displayName"] = display_name
        self.admin().add(self.dn(sam), ["top", "person", "organizationalPerson", "user"], attributes)
        return self.dn(sam)

    def new_user(self, password, prefix="user", **attributes):
        """add_user with a name of its own (`prefix` + a serial); returns the sAMAccountName."""
        self._serial += 1
        sam = "%s%03d" % (prefix, self._serial)
        self.add_user(sam, password, **attributes)
        return sam

    def bind_error(self, user, password):
        """None when `user` (sAMAccountName, UPN or DN) binds with `password`, else AD's data code (52e, 775, ...)."""
        if "@" not in user and "=" not in user:
            user = "%s@%s" % (user, self.REALM.lower())
        try:
            self.connection(user, password).unbind()
            return None
        except LDAPInvalidCredentialsResult as exc:
            return exc.message.split("data ")[1].split(",")[0]

    def lock_out(self, sam):
        """Wrong passwords up to the lockout threshold; returns the bind code that follows (775 when locked)."""
        for _attempt in range(self.LOCKOUT_THRESHOLD):
            self.bind_error(sam, "not-the-password")
        return self.bind_error(sam, "not-the-password")

    def attributes(self, sam, *names):
        """{name: first value or None} of a user."""
        admin = self.admin()
        admin.search(self.dn(sam), "(objectClass=user)", search_scope=ldap3.BASE, attributes=list(names))
        found = admin.response[0]["attributes"]
        return {name: (found.get(name) or [None])[0] for name in names}
