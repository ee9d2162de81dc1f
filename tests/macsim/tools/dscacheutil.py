"""dscacheutil: -flushcache (silent) and -q user [-a name U]."""


def main(ctx):
    args = ctx.argv
    if args == ["-flushcache"]:
        ctx.begin("-flushcache", "read")
        return 0
    if len(args) in (2, 5) and args[0] == "-q" and args[1] == "user":
        users = ctx.host.data["users"]
        if len(args) == 5:
            if args[2] != "-a" or args[3] not in ("name", "uid"):
                return _usage(ctx)
            key, value = args[3], args[4]
            users = {n: u for n, u in users.items() if (n if key == "name" else str(u["UniqueID"])) == value}
        ctx.begin("-q", "read")
        for name, user in sorted(users.items(), key=lambda item: item[1]["UniqueID"]):
            ctx.out("name: %s" % name)
            ctx.out("password: ********")
            ctx.out("uid: %d" % user["UniqueID"])
            ctx.out("gid: %d" % user["PrimaryGroupID"])
            ctx.out("dir: %s" % user["NFSHomeDirectory"])
            ctx.out("shell: %s" % user["UserShell"])
            ctx.out("gecos: %s" % user["RealName"])
            ctx.out("")
        return 0
    return _usage(ctx)


def _usage(ctx):
    ctx.err("Usage: dscacheutil -h")
    ctx.err("       dscacheutil -q category [-a key value]")
    ctx.err("       dscacheutil -cachedump [-buckets] [-entries [category]]")
    ctx.err("       dscacheutil -configuration")
    ctx.err("       dscacheutil -flushcache")
    ctx.err("       dscacheutil -statistics")
    return 64
