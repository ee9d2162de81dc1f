"""Account policy shared by dscl (authonly, passwd) and pwpolicy: the lockout rule."""

import time

MAX_FAILED = "policyAttributeMaximumFailedAuthentications"
RESET_MINUTES = "policyAttributeMinutesUntilFailedAuthenticationReset"


def _as_int(value, default=0):
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def effective_policy(host, name):
    """Global policy overlaid with the user's own (pwpolicy -u U -setaccountpolicies)."""
    policy = dict(host.data["policy"]["global"])
    policy.update(host.data["policy"]["users"].get(name, {}))
    return policy


def failed_count(user):
    return _as_int(user["accountPolicyData"].get("failedLoginCount", 0))


def is_locked_out(host, name):
    """True when failed attempts reached the threshold and the reset window has not passed."""
    user = host.user(name)
    policy = effective_policy(host, name)
    limit = _as_int(policy.get("maxFailedLoginAttempts", policy.get(MAX_FAILED)), 0)
    if not limit or failed_count(user) < limit:
        return False
    reset = policy.get(RESET_MINUTES)
    if reset:
        since = time.time() - float(user["accountPolicyData"].get("failedLoginTimestamp") or 0)
        return since < float(reset) * 60
    return True


def record_attempt(host, name, success):
    """What opendirectoryd does after each password check: count failures, reset on success."""
    data = host.user(name)["accountPolicyData"]
    if success:
        if failed_count(host.user(name)):
            data["failedLoginCount"] = 0
            host.mark()
        return
    data["failedLoginCount"] = failed_count(host.user(name)) + 1
    data["failedLoginTimestamp"] = time.time()
    host.mark()
