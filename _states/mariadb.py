"""
Databases and users on a MariaDB server (the ``mariadb`` execution module: the CLI client, SQL
on stdin, no password in argv).

.. code-block:: yaml

    mariadb-databases-ironic-present:
      mariadb.database_present:
        - name: ironic
        - character_set: utf8mb4

    mariadb-users-ironic-present:
      mariadb.user_present:
        - name: ironic
        - host: '%'
        # read on the minion, so the rendered SLS and the job cache never hold it
        - password_pillar: mariadb:user_passwords:ironic
        - grants: {ironic: [ALL]}

The admin connection: ``connection_host``, ``connection_port``, ``connection_user``,
``connection_socket``, ``connection_password_pillar`` (the admin password's pillar key), else
config/pillar ``mariadb:admin``. A password is checked against the stored hash, never re-set
when it matches; ``changes`` never holds one.
"""

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "mariadb"


def __virtual__():
    if "mariadb.database_get" not in __salt__:
        return (False, "mariadb: the mariadb execution module is not available (no mariadb/mysql client?)")
    return __virtualname__


def _conn(connection_host, connection_port, connection_user, connection_socket, connection_password_pillar):
    conn = {
        "connection_host": connection_host,
        "connection_port": connection_port,
        "connection_user": connection_user,
        "connection_socket": connection_socket,
    }
    if connection_password_pillar:
        value = __salt__["pillar.get"](connection_password_pillar, None, unmask=True)
        if not value or not isinstance(value, str):
            raise SaltInvocationError(
                f"connection_password_pillar '{connection_password_pillar}' names no password in this minion's pillar"
            )
        conn["connection_password"] = value
    return {k: v for k, v in conn.items() if v}


def _password(password, password_pillar):
    if password_pillar is None:
        if not password:
            raise SaltInvocationError("give password_pillar (or password)")
        return password
    if password is not None:
        raise SaltInvocationError("give password or password_pillar, not both")
    value = __salt__["pillar.get"](password_pillar, None, unmask=True)
    if not value or not isinstance(value, str):
        raise SaltInvocationError(
            f"password_pillar '{password_pillar}' names no password in this minion's pillar"
        )
    return value


def database_present(
    name,
    character_set=None,
    collate=None,
    connection_host=None,
    connection_port=None,
    connection_user=None,
    connection_socket=None,
    connection_password_pillar=None,
):
    """
    Ensure the database exists (with this default character set / collation when given).

    CLI Example:

    .. code-block:: bash

        salt controller1 state.single mariadb.database_present ironic character_set=utf8mb4
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    try:
        conn = _conn(
            connection_host, connection_port, connection_user, connection_socket, connection_password_pillar
        )
        live = __salt__["mariadb.database_get"](name, **conn)
        plan = __salt__["mariadb.plan_database"](live, name, character_set, collate)
        if not plan:
            ret["comment"] = f"database {name} is present"
            return ret
        ret["changes"] = plan
        verb = "created" if live is None else "altered"
        if __opts__["test"]:
            ret.update(result=None, comment=f"database {name} would be {verb}")
            return ret
        if live is None:
            __salt__["mariadb.database_create"](name, character_set, collate, **conn)
        else:
            __salt__["mariadb.database_alter"](name, character_set, collate, **conn)
        ret["comment"] = f"database {name} {verb}"
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret.update(result=False, changes={}, comment=str(exc))
    return ret


def database_absent(
    name,
    connection_host=None,
    connection_port=None,
    connection_user=None,
    connection_socket=None,
    connection_password_pillar=None,
):
    """
    Ensure the database does not exist (its data is gone).

    CLI Example:

    .. code-block:: bash

        salt controller1 state.single mariadb.database_absent ironic
    """
    ret = {"name": name, "result": True, "changes": {}, "comment": ""}
    try:
        conn = _conn(
            connection_host, connection_port, connection_user, connection_socket, connection_password_pillar
        )
        if __salt__["mariadb.database_get"](name, **conn) is None:
            ret["comment"] = f"database {name} is already absent"
            return ret
        ret["changes"] = {"old": name, "new": None}
        if __opts__["test"]:
            ret.update(result=None, comment=f"database {name} would be dropped")
            return ret
        __salt__["mariadb.database_drop"](name, **conn)
        ret["comment"] = f"database {name} dropped"
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret.update(result=False, changes={}, comment=str(exc))
    return ret


def user_present(
    name,
    host="%",
    password=None,
    password_pillar=None,
    grants=None,
    connection_host=None,
    connection_port=None,
    connection_user=None,
    connection_socket=None,
    connection_password_pillar=None,
):
    """
    Ensure the account ``name``@``host`` exists with this password and at least these
    database-level grants (``{database: [privileges]}``; grants it has beyond them are kept).

    CLI Example:

    .. code-block:: bash

        salt controller1 state.single mariadb.user_present ironic host=% \\
            password_pillar=mariadb:user_passwords:ironic grants='{ironic: [ALL]}'

    password_pillar
        The password's pillar key, read on the minion (never a rendered state argument).
    password
        The password itself instead (an explicit call).
    """
    ret = {"name": f"{name}@{host}", "result": True, "changes": {}, "comment": ""}
    try:
        conn = _conn(
            connection_host, connection_port, connection_user, connection_socket, connection_password_pillar
        )
        secret = _password(password, password_pillar)
        for privs in (grants or {}).values():
            __salt__["mariadb.normalize_privileges"](privs)
        live = __salt__["mariadb.user_get"](name, host, **conn)
        matches = live is not None and __salt__["mariadb.user_password_matches"](name, host, secret, **conn)
        live_grants = {} if live is None else __salt__["mariadb.grants_get"](name, host, **conn)
        plan = __salt__["mariadb.plan_user"](live, matches, live_grants, grants)
        if not plan:
            ret["comment"] = f"user {name}@{host} is present with its password and grants"
            return ret
        ret["changes"] = plan
        if __opts__["test"]:
            ret.update(result=None, comment=f"user {name}@{host} would be " + _what(plan))
            return ret
        if live is None:
            __salt__["mariadb.user_create"](name, host, secret, **conn)
        elif "password" in plan["new"]:
            __salt__["mariadb.user_set_password"](name, host, secret, **conn)
        for db, privs in sorted(plan["new"].get("grants", {}).items()):
            __salt__["mariadb.grant"](name, host, db, privs, **conn)
        ret["comment"] = f"user {name}@{host}: " + _what(plan, done=True)
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret.update(result=False, changes={}, comment=str(exc))
    return ret


def _what(plan, done=False):
    parts = []
    new = plan["new"]
    if "user" in new:
        parts.append("created")
    if "password" in new:
        parts.append("password set" if done else "given its password (it differs)")
    if "grants" in new:
        parts.append("granted on " + ", ".join(sorted(new["grants"])))
    return "; ".join(parts)


def user_absent(
    name,
    host="%",
    connection_host=None,
    connection_port=None,
    connection_user=None,
    connection_socket=None,
    connection_password_pillar=None,
):
    """
    Ensure the account ``name``@``host`` does not exist.

    CLI Example:

    .. code-block:: bash

        salt controller1 state.single mariadb.user_absent ironic host=%
    """
    ret = {"name": f"{name}@{host}", "result": True, "changes": {}, "comment": ""}
    try:
        conn = _conn(
            connection_host, connection_port, connection_user, connection_socket, connection_password_pillar
        )
        if __salt__["mariadb.user_get"](name, host, **conn) is None:
            ret["comment"] = f"user {name}@{host} is already absent"
            return ret
        ret["changes"] = {"old": f"{name}@{host}", "new": None}
        if __opts__["test"]:
            ret.update(result=None, comment=f"user {name}@{host} would be dropped")
            return ret
        __salt__["mariadb.user_drop"](name, host, **conn)
        ret["comment"] = f"user {name}@{host} dropped"
    except (CommandExecutionError, SaltInvocationError) as exc:
        ret.update(result=False, changes={}, comment=str(exc))
    return ret
