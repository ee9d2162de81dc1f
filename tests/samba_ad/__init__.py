"""samba_ad: a real Active Directory (a Samba AD DC) for tests and benchmarks, never shipped.

    with SambaDC(workdir) as dc:     # provision (once), start, wait for LDAPS; stopped by its PID on exit
        dc.new_user("Initial-Pass-1!", mail="a@example.test")   # -> "user001"
        dc.bind_error("user001", "Initial-Pass-1!")             # None, or AD's bind data code: 52e, 775, 773...

pytest fixtures in samba_ad.fixture: `samba_domain` (provisioned once per session) and `samba_dc` (its DC,
running for one test module).
"""

from ._dc import PACKAGES, ConnectionCounter, SambaDC, unavailable_reason

__all__ = ["PACKAGES", "ConnectionCounter", "SambaDC", "unavailable_reason"]
