"""jcsim's certificates: simhttp's throw-away CA and server certificate, named for jcsim."""

import functools

from simhttp import make_certificates as _make_certificates

make_certificates = functools.partial(_make_certificates, organisation="jcsim")
