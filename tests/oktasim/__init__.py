"""oktasim: a strict stand-in of Okta's management API (users, lifecycle, credentials, password policies,
rate limits, Link paging, SSWS and OAuth 2.0 private_key_jwt), for tests only (never shipped, never imported
by plugins/). See README.md in this directory."""

from ._sim import ALL_SCOPES, CONTROLS, OktaSim

__all__ = ["ALL_SCOPES", "CONTROLS", "OktaSim"]
