"""The simulated tools: one module per Apple tool, each with main(ctx) -> exit code."""

TOOLS = ("dscl", "sysadminctl", "fdesetup", "diskutil", "security", "pwpolicy", "dscacheutil", "sw_vers", "scutil")
