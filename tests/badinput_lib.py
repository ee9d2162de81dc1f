"""The bad-input and fault suites' common ground: what a case is, its verdict, and the figure lines.

A bad-input case is one set of options (or playbook vars) given to a module or playbook, and what should happen:
refused with a message that names the option or rule (`mentions`), or accepted (a good input beside the bad ones).
Each test records its verdict with `record(request, ...)`; pytest_terminal_summary in tests/conftest.py adds the
verdicts up (across xdist workers: they travel as user_properties) and prints one figure line per suite:

  bad input: 160 tried (128 bad), 128 refused with a clear message, 0 wrote before failing, 0 tracebacks, 0 accepted
  faults: 48 directory calls failed before or after their effect; 0 users reported failed whose password was set

Importable as `badinput_lib` (tests/ is on sys.path).
"""

import json

PROPERTY = "credsync_figure"

REFUSED = "refused"          # bad input, failed with a clear message, nothing written
WROTE = "wrote"              # bad input, failed, but something was written first
TRACEBACK = "traceback"      # a Python traceback (module or controller) instead of a message
ACCEPTED = "accepted"        # bad input that succeeded
UNCLEAR = "unclear"          # bad input refused, but the message does not name the option or rule
ECHOED = "echoed"            # a secret appeared in the result or in ansible-playbook's output
OK = "ok"                    # good input, succeeded
GOOD_REFUSED = "good_refused"  # good input that failed

# The hostile shapes of password every suite tries on every password option: (id, value, a word the refusal
# must contain). A lone surrogate is not among them: Ansible refuses one wherever it could enter (YAML, JSON
# vars, from_json) before a module runs; the validator's unit tests cover it.
HOSTILE_PASSWORDS = (
    ("empty", "", "empty"),
    ("blank", "   ", "blank"),
    ("nul", "Nul\x00Byte-Pass-1", "NUL"),
    ("tab", "Tab\tPass-1", "control character"),
    ("esc", "Esc\x1b[0mPass-1", "control character"),
    ("del", "Del\x7fPass-1", "control character"),
    ("c1", "C1\x85Pass-1", "control character"),
    ("cr", "Carriage\rReturn-1", "line break"),
    ("lf", "Line\nFeed-1", "line break"),
    ("ascii128", "L" * 128, "127 bytes"),
    ("twobyte64", "\u00e9" * 64, "127 bytes"),
    ("dict", {"password": "Dict-Pass-1"}, "mapping"),
    ("list", ["List-Pass-1"], "list"),
    ("int", 12345678, "number"),
    ("bool", True, "boolean"),
    ("null", None, "missing"),
)

_TRACEBACK_MARKS = ("Traceback (most recent call last)", "module_stderr", "MODULE FAILURE", "Unexpected failure during")


class Case:
    """One input and its expected outcome.

    name:     short id (the pytest id)
    args:     module options (or playbook vars)
    bad:      True when it must be refused
    mentions: words the failure message must contain (the option or the rule), case-insensitive
    secrets:  values that must appear nowhere in the result or the output
    """

    def __init__(self, name, args, bad=True, mentions=(), secrets=()):
        self.name = name
        self.args = args
        self.bad = bad
        self.mentions = tuple(mentions)
        self.secrets = tuple(s for s in secrets if isinstance(s, str) and s)

    def __repr__(self):
        return "Case(%r)" % self.name


def verdict(case, result, output="", wrote=False):
    """The case's verdict from its task result (a dict), what ansible printed, and whether anything was written."""
    text = json.dumps(result, default=str) + "\n" + (output or "")
    # ansible-core 2.19+ puts "exception": "(traceback unavailable)" in every failed task, a plain fail_json too.
    exception = str(result.get("exception") or "")
    if any(mark in text for mark in _TRACEBACK_MARKS) or "Traceback" in exception or 'File "' in exception:
        return TRACEBACK
    if any(secret in text or secret.strip() in text for secret in case.secrets if secret.strip()):
        return ECHOED
    failed = bool(result.get("failed"))
    if not case.bad:
        return GOOD_REFUSED if failed else OK
    if not failed:
        return ACCEPTED
    if wrote:
        return WROTE
    message = str(result.get("msg", "")).lower()
    if not message or not all(word.lower() in message for word in case.mentions):
        return UNCLEAR
    return REFUSED


def record(request, suite, **figures):
    """Keep a test's figures for the summary line: record(request, "bad input", verdict=REFUSED, bad=True)."""
    request.node.user_properties.append((PROPERTY, json.dumps(dict(figures, suite=suite))))


def _count(entries, **match):
    return sum(1 for entry in entries if all(entry.get(k) == v for k, v in match.items()))


def summary_lines(entries):
    """The figure lines for the recorded entries (dicts), one per suite that recorded anything."""
    lines = []
    bad_input = [e for e in entries if e.get("suite") == "bad input"]
    if bad_input:
        line = "bad input: %d tried (%d bad), %d refused with a clear message, %d wrote before failing, " \
               "%d tracebacks, %d accepted" % (
                   len(bad_input), _count(bad_input, bad=True), _count(bad_input, verdict=REFUSED),
                   _count(bad_input, verdict=WROTE), _count(bad_input, verdict=TRACEBACK),
                   _count(bad_input, verdict=ACCEPTED))
        extra = [(UNCLEAR, "refused without naming the option or rule"), (ECHOED, "echoed a secret"),
                 (GOOD_REFUSED, "good inputs refused")]
        line += "".join("; %d %s" % (_count(bad_input, verdict=key), what) for key, what in extra
                        if _count(bad_input, verdict=key))
        lines.append(line)
    faults = [e for e in entries if e.get("suite") == "faults"]
    if faults:
        lines.append("faults: %d directory calls failed before or after their effect; %d users reported failed whose "
                     "password was set; %d users reported done whose password was not set" % (
                         sum(e.get("faults", 0) for e in faults),
                         sum(e.get("set_but_failed", 0) for e in faults),
                         sum(e.get("done_but_not_set", 0) for e in faults)))
    return lines
