"""Account policy shared by dscl (authonly, passwd) and pwpolicy: the lockout rule."""

import time

MAX_FAILED = "policyAttributeMaximumFailedAuthentications"
RESET_MINUTES = "policyAttributeMinutesUntilFailedAuthenticationReset"


def _as_int(value, default=0):
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def applicable_policies(host, name):
    """The global policy and the user's own (pwpolicy -u U -setaccountpolicies). Open Directory evaluates every
    account policy that applies to the user and refuses when any one of them fails, so a user policy does not
    replace the global one: the lowest threshold locks (docs/macos-candidates.md)."""
    return [host.data["policy"]["global"], host.data["policy"]["users"].get(name, {})]


def failed_count(user):
    return _as_int(user["accountPolicyData"].get("failedLoginCount", 0))


def is_locked_out(host, name):
    """True when the failed attempts reached the threshold of any policy that applies and its reset window has not
    passed."""
    user = host.user(name)
    for policy in applicable_policies(host, name):
        limit = _as_int(policy.get("maxFailedLoginAttempts", policy.get(MAX_FAILED)), 0)
        if not limit or failed_count(user) < limit:
            continue
        reset = policy.get(RESET_MINUTES)
        if not reset:
            return True
        since = time.time() - float(user["accountPolicyData"].get("failedLoginTimestamp") or 0)
        if since < float(reset) * 60:
            return True
    return False


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
