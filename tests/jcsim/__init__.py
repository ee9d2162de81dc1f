"""jcsim: a strict stand-in of JumpCloud's directory API, for tests only (never shipped, never
imported by plugins/). See README.md in this directory."""

from ._policy import COMMON_PASSWORDS, DEFAULT_PASSWORD_POLICY
from ._sim import CONTROLS, JumpCloudSim

__all__ = ["COMMON_PASSWORDS", "CONTROLS", "DEFAULT_PASSWORD_POLICY", "JumpCloudSim"]
