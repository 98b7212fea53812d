"""mariadb.database_present / user_present against a real MariaDB (lab script start-db):
test=True plans exactly what the run does, the second run changes nothing, a password that
differs is detected (never re-set when it matches), grants are added, and no password shows in
a return; the created user really authenticates."""

import pytest

from tests.functional.mariadb.conftest import PASSWORDS, sql

pytestmark = [pytest.mark.functional, pytest.mark.timeout(300)]

USER = "func-ironic"
GRANTS = {"func_ironic": ["ALL"]}


def _no_secret(ret):
    text = repr(ret.raw)
    for pw in PASSWORDS.values():
        assert pw not in text


def test_database_present_plan_apply_idempotent_absent(states, modules):
    planned = states.mariadb.database_present(name="func_ironic", character_set="utf8mb4", test=True)
    assert planned.result is None and modules.mariadb.database_get("func_ironic") is None
    ret = states.mariadb.database_present(name="func_ironic", character_set="utf8mb4")
    assert ret.result is True and ret.changes == planned.changes
    assert ret.changes["new"]["name"] == "func_ironic"
    assert modules.mariadb.database_get("func_ironic")["character_set"] == "utf8mb4"
    again = states.mariadb.database_present(name="func_ironic", character_set="utf8mb4")
    assert again.result is True and again.changes == {}
    assert (
        states.mariadb.database_present(name="func_ironic", character_set="utf8mb4", test=True).result is True
    )
    collated = states.mariadb.database_present(name="func_ironic", collate="utf8mb4_bin")
    assert collated.changes == {"old": {"collate": "utf8mb4_general_ci"}, "new": {"collate": "utf8mb4_bin"}}
    # an identifier that needs quoting
    odd = "func`odd db"
    assert states.mariadb.database_present(name=odd).result is True
    assert modules.mariadb.database_get(odd)["name"] == odd
    assert states.mariadb.database_absent(name=odd).changes == {"old": odd, "new": None}
    assert states.mariadb.database_absent(name=odd).changes == {}


def test_user_present_password_checked_not_reset_grants_added(states, modules, mariadb_server):
    states.mariadb.database_present(name="func_ironic")
    args = {"name": USER, "host": "%", "password_pillar": f"mariadb:user_passwords:{USER}", "grants": GRANTS}
    planned = states.mariadb.user_present(test=True, **args)
    assert planned.result is None, planned.comment
    assert planned.changes == {
        "old": {"user": None, "grants": {"func_ironic": []}},
        "new": {"user": "created", "grants": {"func_ironic": ["ALL"]}},
    }
    assert modules.mariadb.user_get(USER, "%") is None
    ret = states.mariadb.user_present(**args)
    assert ret.result is True, ret.comment
    assert ret.changes == planned.changes
    _no_secret(ret)
    # the real client logs in with the pillar's password and sees its database
    login = sql(mariadb_server, "SHOW DATABASES;", user=USER, password=PASSWORDS[USER])
    assert login.returncode == 0, login.stderr
    assert "func_ironic" in login.stdout.split()
    again = states.mariadb.user_present(**args)
    assert again.result is True and again.changes == {}, again.changes
    assert states.mariadb.user_present(test=True, **args).result is True
    # drift: the password changed by hand is detected and set back; a grant removed is re-added
    assert sql(mariadb_server, f"SET PASSWORD FOR `{USER}`@`%` = PASSWORD('other');").returncode == 0
    assert sql(mariadb_server, f"REVOKE ALL PRIVILEGES ON `func_ironic`.* FROM `{USER}`@`%`;").returncode == 0
    drift = states.mariadb.user_present(test=True, **args)
    assert drift.changes == {
        "old": {"password": "differs", "grants": {"func_ironic": []}},
        "new": {"password": "set", "grants": {"func_ironic": ["ALL"]}},
    }
    fixed = states.mariadb.user_present(**args)
    assert fixed.changes == drift.changes
    _no_secret(fixed)
    assert sql(mariadb_server, "SELECT 1;", user=USER, password=PASSWORDS[USER]).returncode == 0
    assert states.mariadb.user_present(**args).changes == {}
    # a grant beyond the pillar's is kept; one more in the pillar is added
    states.mariadb.database_present(name="func_other")
    more = states.mariadb.user_present(**{**args, "grants": {**GRANTS, "func_other": ["select", "Insert"]}})
    assert more.changes["new"] == {"grants": {"func_other": ["INSERT", "SELECT"]}}
    assert modules.mariadb.grants_get(USER, "%") == {
        "func_ironic": ["ALL"],
        "func_other": ["INSERT", "SELECT"],
    }
    assert states.mariadb.user_present(**args).changes == {}
    gone = states.mariadb.user_absent(name=USER, host="%")
    assert gone.changes == {"old": f"{USER}@%", "new": None}
    assert modules.mariadb.user_get(USER, "%") is None


def test_admin_with_password_through_option_file(states, modules, mariadb_server):
    # an admin account with a password: the module reaches it through its option file
    admin = "func-admin"
    setup = sql(
        mariadb_server,
        f"CREATE USER `{admin}`@`127.0.0.1` IDENTIFIED BY '{PASSWORDS[admin]}';"
        f" GRANT ALL PRIVILEGES ON *.* TO `{admin}`@`127.0.0.1` WITH GRANT OPTION;",
    )
    assert setup.returncode == 0, setup.stderr
    conn = {
        "connection_host": "127.0.0.1",
        "connection_port": int(mariadb_server["MYSQL_PORT"]),
        "connection_user": admin,
        "connection_password_pillar": f"mariadb:user_passwords:{admin}",
    }
    ret = states.mariadb.database_present(name="func_by_admin", **conn)
    assert ret.result is True and ret.changes["new"]["name"] == "func_by_admin", ret.comment
    bad = states.mariadb.database_present(
        name="func_by_admin", **{**conn, "connection_password_pillar": "nope:x"}
    )
    assert bad.result is False and "nope:x" in bad.comment


def test_bad_arguments_fail_before_any_change(states, modules):
    bad = states.mariadb.user_present(name="func-x", password_pillar="mariadb:user_passwords:missing")
    assert bad.result is False and "mariadb:user_passwords:missing" in bad.comment
    badpriv = states.mariadb.user_present(
        name="func-x", password="p", grants={"func_ironic": ["SUPER; DROP"]}
    )
    assert badpriv.result is False and "not a database-level privilege" in badpriv.comment
    assert modules.mariadb.user_get("func-x", "%") is None
