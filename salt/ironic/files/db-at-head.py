#!/usr/bin/python3
"""
Exit 0 when Ironic's database (ironic.conf [database]connection) is at the head of Ironic's
migrations; 1 when it is behind or has no schema yet; 2, with the reason on stderr, when it
cannot be reached (no server, no such database, the user refused). The database URL and its
password stay inside this process: neither is printed.

    db-at-head.py CONFIG                      the check (the state's `unless`)
    db-at-head.py CONFIG --upgrade DBSYNC     a reachable database is upgraded (DBSYNC
                                              --config-file CONFIG upgrade); else exit 2 naming
                                              what is missing, nothing run (the state retries)
"""

import os
import sys


def main(config, dbsync=None):
    from alembic import script as alembic_script
    from ironic.conf import CONF
    from ironic.db.sqlalchemy import migration

    CONF(["--config-file", config], project="ironic")
    head = alembic_script.ScriptDirectory.from_config(migration._alembic_config()).get_current_head()
    try:
        current = migration.version()
    except Exception as exc:  # noqa: BLE001 - reported, not raised: the caller retries
        orig = getattr(exc, "orig", None)
        reason = " ".join(str(a) for a in getattr(orig, "args", ())) or f"{type(exc).__name__}: {exc}"
        print(
            f"Ironic's database is not reachable: {reason}. The database and its user are made by"
            " the highstate of the host that owns the server (mariadb formula, pillar"
            " mariadb:databases/users and mariadb:user_passwords there); the password here is"
            " ironic:database_password",
            file=sys.stderr,
        )
        return 2
    if current == head:
        return 0
    if dbsync:
        sys.stdout.flush()
        os.execv(dbsync, [dbsync, "--config-file", config, "upgrade"])
    print(f"Ironic's database is at {current or 'no schema'}, the head is {head}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    if len(sys.argv) == 2:
        sys.exit(main(sys.argv[1]))
    if len(sys.argv) == 4 and sys.argv[2] == "--upgrade":
        sys.exit(main(sys.argv[1], sys.argv[3]))
    sys.exit(__doc__)
