"""
Databases, users and their database-level grants on a MariaDB (or MySQL) server, through the
``mariadb``/``mysql`` command-line client: Salt's own mysql modules need a Python MySQL driver
that the Salt onedir lacks.

SQL goes to the client on stdin, never in argv. A password (the admin's, when it has one) goes
in a ``--defaults-extra-file`` of mode 0600 inside a private temporary directory (0700), removed
after the call. A user's password is never sent to the server in clear either: it is set as its
``mysql_native_password`` hash (``IDENTIFIED BY PASSWORD '*...'``), and checked by comparing that
hash with the one the server stores, so a password is never re-set when it already matches.

The admin connection: arguments ``connection_host``, ``connection_port``, ``connection_user``,
``connection_socket``, ``connection_password`` (the state passes them), else config/pillar ``mariadb:admin`` (same keys; its ``password_pillar``
names the pillar key of the admin password). Default: root on the local server's socket.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "mariadb"

CLIENTS = ("mariadb", "mysql")
TIMEOUT = 60
# Database-level privileges accepted in grants (GRANT ... ON `db`.*).
PRIVILEGES = frozenset(
    {
        "ALL",
        "ALTER",
        "ALTER ROUTINE",
        "CREATE",
        "CREATE ROUTINE",
        "CREATE TEMPORARY TABLES",
        "CREATE VIEW",
        "DELETE",
        "DELETE HISTORY",
        "DROP",
        "EVENT",
        "EXECUTE",
        "INDEX",
        "INSERT",
        "LOCK TABLES",
        "REFERENCES",
        "SELECT",
        "SHOW VIEW",
        "TRIGGER",
        "UPDATE",
    }
)
_CHARSET = re.compile(r"^[A-Za-z0-9_]{1,64}$")


def __virtual__():
    if not any(shutil.which(c) for c in CLIENTS):
        return (
            False,
            "mariadb: no mariadb or mysql client on PATH (install the Debian package mariadb-client)",
        )
    return __virtualname__


# ---------------------------------------------------------------- pure helpers (unit-tested)


def quote_identifier(name):
    """A database or account-part identifier in backticks (backticks doubled)."""
    if not isinstance(name, str) or not name or len(name) > 80 or "\x00" in name:
        raise SaltInvocationError(f"{name!r} is not a usable MariaDB name (1-80 characters, no NUL)")
    return "`" + name.replace("`", "``") + "`"


def quote_string(value):
    """A string literal that no sql_mode can misread: ``_utf8mb4 X'<hex>'``."""
    if not isinstance(value, str):
        raise SaltInvocationError(f"{value!r} is not a string")
    return "_utf8mb4 X'" + value.encode("utf-8").hex().upper() + "'"


def account(name, host):
    """The account ``name``@``host`` as SQL."""
    return f"{quote_identifier(name)}@{quote_identifier(host)}"


def native_hash(password):
    """The ``mysql_native_password`` hash of ``password``: '*' + SHA1(SHA1(password)), upper hex."""
    return "*" + hashlib.sha1(hashlib.sha1(password.encode("utf-8")).digest()).hexdigest().upper()


def option_file_text(user=None, password=None):
    """A ``[client]`` option file holding the connection's credentials (values quoted)."""

    def q(value):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    lines = ["[client]"]
    if user:
        lines.append(f"user={q(user)}")
    if password:
        lines.append(f"password={q(password)}")
    return "\n".join(lines) + "\n"


def normalize_privileges(privileges):
    """Upper-case privilege names, 'ALL PRIVILEGES' as 'ALL'; unknown ones are an error."""
    if isinstance(privileges, str):
        privileges = [p for p in privileges.split(",")]
    out = set()
    for priv in privileges or []:
        p = " ".join(str(priv).upper().split())
        if p == "ALL PRIVILEGES":
            p = "ALL"
        if p not in PRIVILEGES:
            raise SaltInvocationError(
                f"{priv!r} is not a database-level privilege ({', '.join(sorted(PRIVILEGES))})"
            )
        out.add(p)
    return out


_GRANT = re.compile(r"^GRANT (?P<privs>.+?) ON (?P<on>\S+) TO ")
_DB_ON = re.compile(r"^`(?P<db>(?:[^`]|``)+)`\.\*$")


def parse_grants(lines):
    """{database: {privileges}} from ``SHOW GRANTS`` lines (database-level grants only; the
    rest, and every ``IDENTIFIED BY`` part, is dropped unread)."""
    grants = {}
    for line in lines:
        m = _GRANT.match(line)
        if not m:
            continue
        on = _DB_ON.match(m.group("on"))
        if not on:
            continue
        db = on.group("db").replace("``", "`")
        privs = set()
        for p in m.group("privs").split(","):
            p = " ".join(p.upper().split())
            privs.add("ALL" if p == "ALL PRIVILEGES" else p)
        grants.setdefault(db, set()).update(privs)
    return grants


def missing_privileges(have, want):
    """The privileges of ``want`` that ``have`` lacks (ALL covers every one)."""
    have, want = set(have or ()), set(want or ())
    if "ALL" in have:
        return set()
    if "ALL" in want:
        return {"ALL"}
    return want - have


def plan_database(live, name, character_set=None, collate=None):
    """What to change for a database: None (nothing), or {"old": ..., "new": ...}."""
    wanted = {k: v for k, v in (("character_set", character_set), ("collate", collate)) if v}
    if live is None:
        return {"old": None, "new": {"name": name, **wanted}}
    old = {k: live.get(k) for k, v in wanted.items() if live.get(k) != v}
    if not old:
        return None
    return {"old": old, "new": {k: wanted[k] for k in old}}


def plan_user(live, password_matches, live_grants, grants):
    """
    What to change for a user: {"old": {...}, "new": {...}} of the keys that differ, {} for
    nothing. ``live`` None: the user is missing; ``password_matches`` False: its password is
    set anew; ``grants`` {database: privileges}: only what is missing is granted.
    """
    old, new = {}, {}
    if live is None:
        old["user"], new["user"] = None, "created"
    elif not password_matches:
        old["password"], new["password"] = "differs", "set"
    for db, privs in sorted((grants or {}).items()):
        missing = missing_privileges((live_grants or {}).get(db), normalize_privileges(privs))
        if missing:
            old.setdefault("grants", {})[db] = sorted((live_grants or {}).get(db, ()))
            new.setdefault("grants", {})[db] = sorted(missing)
    return {"old": old, "new": new} if new else {}


def sql_create_database(name, character_set=None, collate=None):
    return f"CREATE DATABASE IF NOT EXISTS {quote_identifier(name)}{_charset_clause(character_set, collate)};"


def sql_alter_database(name, character_set=None, collate=None):
    return f"ALTER DATABASE {quote_identifier(name)}{_charset_clause(character_set, collate)};"


def _charset_clause(character_set, collate):
    out = ""
    for word, value in (("CHARACTER SET", character_set), ("COLLATE", collate)):
        if value:
            if not _CHARSET.match(value):
                raise SaltInvocationError(f"{value!r} is not a character set or collation name")
            out += f" {word} {value}"
    return out


def sql_grant(name, host, database, privileges):
    privs = normalize_privileges(privileges)
    if not privs:
        raise SaltInvocationError("no privileges to grant")
    text = "ALL PRIVILEGES" if "ALL" in privs else ", ".join(sorted(privs))
    return f"GRANT {text} ON {quote_identifier(database)}.* TO {account(name, host)};"


# ---------------------------------------------------------------- the client


def _client():
    for name in CLIENTS:
        path = shutil.which(name)
        if path:
            return path
    raise CommandExecutionError(
        "no mariadb or mysql client on PATH: install the Debian package mariadb-client"
    )


def _admin(
    connection_host=None,
    connection_port=None,
    connection_user=None,
    connection_socket=None,
    connection_password=None,
):
    cfg = __salt__["config.get"]("mariadb:admin", {}) or {}
    conn = {
        "host": connection_host or cfg.get("host") or "",
        "port": connection_port or cfg.get("port") or 3306,
        "user": connection_user or cfg.get("user") or "root",
        "socket": connection_socket or cfg.get("socket") or "",
        "password": connection_password,
    }
    if connection_password is None and cfg.get("password_pillar"):
        conn["password"] = __salt__["pillar.get"](cfg["password_pillar"], None, unmask=True)
    return conn


def client_argv(client, option_file, conn):
    """The client's argument list (no secret in it: the password is in ``option_file``)."""
    argv = [client]
    if option_file:
        argv.append(f"--defaults-extra-file={option_file}")  # must come first
    argv += ["--batch", "--raw", "--skip-column-names", f"--connect-timeout={TIMEOUT}"]
    if conn.get("host"):
        argv += ["--protocol=tcp", f"--host={conn['host']}", f"--port={int(conn['port'])}"]
    elif conn.get("socket"):
        argv += ["--protocol=socket", f"--socket={conn['socket']}"]
    if not option_file:
        argv.append(f"--user={conn['user']}")
    return argv


def _run(sql, conn):
    """Run ``sql`` (stdin) as the admin of ``conn``; the output's lines."""
    tmpdir = None
    option_file = None
    try:
        if conn.get("password"):
            tmpdir = tempfile.mkdtemp(prefix="stacksalt-mariadb-")
            option_file = os.path.join(tmpdir, "client.cnf")
            fd = os.open(option_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(option_file_text(conn["user"], conn["password"]))
        argv = client_argv(_client(), option_file, conn)
        try:
            proc = subprocess.run(
                argv, input=sql, capture_output=True, text=True, timeout=TIMEOUT * 2, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise CommandExecutionError(f"the MariaDB client timed out after {exc.timeout} s") from None
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
    if proc.returncode != 0:
        where = (
            f"{conn['host']}:{conn['port']}"
            if conn.get("host")
            else (conn.get("socket") or "the local socket")
        )
        err = proc.stderr.strip().splitlines()
        raise CommandExecutionError(
            f"MariaDB at {where} as {conn['user']}: {err[-1] if err else 'exit ' + str(proc.returncode)}"
        )
    return [line for line in proc.stdout.splitlines() if line]


# ---------------------------------------------------------------- public functions


def query_json(sql, **conn):
    """Rows of a query whose one column is JSON_OBJECT(...), as dicts (internal use)."""
    return [json.loads(line) for line in _run(sql, _admin(**conn))]


def database_get(name, **conn):
    """
    The database's character set and collation, or None when it does not exist.

    CLI Example:

    .. code-block:: bash

        salt controller1 mariadb.database_get ironic
    """
    rows = query_json(
        "SELECT JSON_OBJECT('name', SCHEMA_NAME, 'character_set', DEFAULT_CHARACTER_SET_NAME,"
        " 'collate', DEFAULT_COLLATION_NAME) FROM information_schema.SCHEMATA"
        f" WHERE SCHEMA_NAME = {quote_string(name)};",
        **conn,
    )
    return rows[0] if rows else None


def database_create(name, character_set=None, collate=None, **conn):
    """
    Create the database (IF NOT EXISTS).

    CLI Example:

    .. code-block:: bash

        salt controller1 mariadb.database_create ironic character_set=utf8mb4
    """
    _run(sql_create_database(name, character_set, collate), _admin(**conn))
    return database_get(name, **conn)


def database_alter(name, character_set=None, collate=None, **conn):
    """
    Change the database's default character set / collation.

    CLI Example:

    .. code-block:: bash

        salt controller1 mariadb.database_alter ironic collate=utf8mb4_general_ci
    """
    _run(sql_alter_database(name, character_set, collate), _admin(**conn))
    return database_get(name, **conn)


def database_drop(name, **conn):
    """
    Drop the database; False when it did not exist.

    CLI Example:

    .. code-block:: bash

        salt controller1 mariadb.database_drop ironic
    """
    if database_get(name, **conn) is None:
        return False
    _run(f"DROP DATABASE {quote_identifier(name)};", _admin(**conn))
    return True


def user_get(name, host="%", **conn):
    """
    The account (name, host, plugin), or None. Its password hash is never returned.

    CLI Example:

    .. code-block:: bash

        salt controller1 mariadb.user_get ironic host=%
    """
    rows = query_json(
        "SELECT JSON_OBJECT('name', User, 'host', Host, 'plugin', plugin) FROM mysql.user"
        f" WHERE User = {quote_string(name)} AND Host = {quote_string(host)};",
        **conn,
    )
    return rows[0] if rows else None


def user_password_matches(name, host="%", password=None, **conn):
    """
    True when the account's stored password is ``password`` (its mysql_native_password hash
    compared here, on the minion: neither the password nor the hash leaves this call).

    CLI Example:

    .. code-block:: bash

        salt controller1 mariadb.user_password_matches ironic host=% password=...
    """
    if not password:
        raise SaltInvocationError("user_password_matches needs the password to check")
    rows = query_json(
        "SELECT JSON_OBJECT('plugin', plugin, 'hash', authentication_string) FROM mysql.user"
        f" WHERE User = {quote_string(name)} AND Host = {quote_string(host)};",
        **conn,
    )
    if not rows:
        return False
    row = rows[0]
    return row.get("plugin") in ("mysql_native_password", "") and row.get("hash") == native_hash(password)


def user_create(name, host="%", password=None, **conn):
    """
    Create the account with this password (sent as its hash).

    CLI Example:

    .. code-block:: bash

        salt controller1 mariadb.user_create ironic host=% password=...
    """
    if not password:
        raise SaltInvocationError("user_create needs a password")
    _run(
        f"CREATE USER {account(name, host)} IDENTIFIED BY PASSWORD '{native_hash(password)}';", _admin(**conn)
    )
    return user_get(name, host, **conn)


def user_set_password(name, host="%", password=None, **conn):
    """
    Set the account's password (sent as its hash).

    CLI Example:

    .. code-block:: bash

        salt controller1 mariadb.user_set_password ironic host=% password=...
    """
    if not password:
        raise SaltInvocationError("user_set_password needs a password")
    _run(
        f"ALTER USER {account(name, host)} IDENTIFIED BY PASSWORD '{native_hash(password)}';", _admin(**conn)
    )
    return True


def user_drop(name, host="%", **conn):
    """
    Drop the account; False when it did not exist.

    CLI Example:

    .. code-block:: bash

        salt controller1 mariadb.user_drop ironic host=%
    """
    if user_get(name, host, **conn) is None:
        return False
    _run(f"DROP USER {account(name, host)};", _admin(**conn))
    return True


def grants_get(name, host="%", **conn):
    """
    The account's database-level grants: {database: [privileges]} ({} for a missing account).

    CLI Example:

    .. code-block:: bash

        salt controller1 mariadb.grants_get ironic host=%
    """
    if user_get(name, host, **conn) is None:
        return {}
    lines = _run(f"SHOW GRANTS FOR {account(name, host)};", _admin(**conn))
    return {db: sorted(privs) for db, privs in parse_grants(lines).items()}


def grant(name, host="%", database=None, privileges=None, **conn):
    """
    Grant privileges on ``database``.* to the account.

    CLI Example:

    .. code-block:: bash

        salt controller1 mariadb.grant ironic host=% database=ironic privileges='[ALL]'
    """
    _run(sql_grant(name, host, database, privileges), _admin(**conn))
    return grants_get(name, host, **conn)
