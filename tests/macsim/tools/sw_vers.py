"""sw_vers: ProductName / ProductVersion / BuildVersion."""

_KEYS = {"-productName": "ProductName", "--productName": "ProductName",
         "-productVersion": "ProductVersion", "--productVersion": "ProductVersion",
         "-buildVersion": "BuildVersion", "--buildVersion": "BuildVersion"}


def main(ctx):
    ctx.begin("sw_vers", "read")
    info = ctx.host.data["os"]
    if not ctx.argv:
        for key in ("ProductName", "ProductVersion", "BuildVersion"):
            ctx.out("%s:\t\t%s" % (key, info[key]))
        return 0
    if len(ctx.argv) == 1 and ctx.argv[0] in _KEYS:
        ctx.out(info[_KEYS[ctx.argv[0]]])
        return 0
    ctx.err("usage: sw_vers [-productName|-productVersion|-buildVersion]")
    return 1
