"""pytest fixtures (import both into a test module): `samba_domain`, the domain provisioned once per
session, and `samba_dc`, that domain's DC running for one test module.

Samba listens on the machine's fixed LDAP ports, so a running DC holds a lock other sessions wait on:
it runs only while a module that needs it runs.
"""

import pytest

from ._dc import SambaDC, unavailable_reason


@pytest.fixture(scope="session")
def samba_domain(tmp_path_factory):
    """A provisioned (not running) SambaDC; skipped only when Samba cannot run here."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    return SambaDC(str(tmp_path_factory.mktemp("samba-ad"))).provision()


@pytest.fixture(scope="module")
def samba_dc(samba_domain):  # pylint: disable=redefined-outer-name
    """The session's domain controller, started for this module and stopped by its PID after it."""
    samba_domain.start()
    try:
        yield samba_domain
    finally:
        samba_domain.stop()
