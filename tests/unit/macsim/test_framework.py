"""macsim's shared machinery: audit log, faults, prompts, strictness."""


def test_sw_vers_and_audit(make_host, run):
    host = make_host({"os_version": "14.6.1"})
    result = run(host, "sw_vers", "-productVersion")
    assert (result.rc, result.stdout) == (0, "14.6.1\n")
    record = host.audit()[-1]
    assert record["tool"] == "sw_vers" and record["argv"] == ["-productVersion"]
    assert record["exit"] == 0 and record["kind"] == "read" and record["stdin"] is None


def test_unknown_flag_is_a_usage_error(make_host, run):
    host = make_host()
    result = run(host, "sw_vers", "-bogus")
    assert result.rc != 0 and "usage" in result.stderr.lower()
