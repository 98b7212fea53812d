"""The mariadb module's pure logic: SQL built, identifier and string quoting, the password
hash, the client's argv (no secret in it) and option file, SHOW GRANTS parsing and the plans."""

import pathlib

import pytest
from salt.exceptions import SaltInvocationError

from tests.support.loader import load_file

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]
m = load_file(REPO / "_modules/mariadb.py", "mariadb_logic")


def test_identifiers_are_backticked_and_doubled():
    assert m.quote_identifier("ironic") == "`ironic`"
    assert m.quote_identifier("a`b") == "`a``b`"
    assert m.account("ironic", "%") == "`ironic`@`%`"
    for bad in ("", "x" * 81, "a\x00b", None, 3):
        with pytest.raises(SaltInvocationError):
            m.quote_identifier(bad)


def test_strings_are_hex_literals_in_any_sql_mode():
    assert m.quote_string("ironic") == "_utf8mb4 X'69726F6E6963'"
    quoted = m.quote_string("it's a \\ ' \"x\"; DROP")
    assert "'" not in quoted[len("_utf8mb4 X'") : -1] and "\\" not in quoted
    assert bytes.fromhex(quoted[len("_utf8mb4 X'") : -1]).decode() == "it's a \\ ' \"x\"; DROP"


def test_native_hash_is_mariadbs():
    # SELECT PASSWORD('test') on MariaDB 10.11
    assert m.native_hash("test") == "*94BDCEBE19083CE2A1F959FD02F964C7AF4CFC29"


def test_sql_built():
    assert (
        m.sql_create_database("ironic", "utf8mb4")
        == "CREATE DATABASE IF NOT EXISTS `ironic` CHARACTER SET utf8mb4;"
    )
    assert (
        m.sql_alter_database("ironic", collate="utf8mb4_bin")
        == "ALTER DATABASE `ironic` COLLATE utf8mb4_bin;"
    )
    with pytest.raises(SaltInvocationError):
        m.sql_create_database("ironic", "utf8; DROP DATABASE x")
    assert (
        m.sql_grant("ironic", "%", "ironic", ["all privileges"])
        == "GRANT ALL PRIVILEGES ON `ironic`.* TO `ironic`@`%`;"
    )
    assert (
        m.sql_grant("u", "10.0.0.%", "d", ["select", "Insert"])
        == "GRANT INSERT, SELECT ON `d`.* TO `u`@`10.0.0.%`;"
    )
    with pytest.raises(SaltInvocationError, match="not a database-level privilege"):
        m.sql_grant("u", "%", "d", ["SUPER"])


def test_client_argv_holds_no_password():
    conn = {"host": "127.0.0.1", "port": 3306, "user": "root", "socket": "", "password": "s3cret"}
    argv = m.client_argv("/usr/bin/mariadb", "/tmp/x/client.cnf", conn)
    assert argv[1] == "--defaults-extra-file=/tmp/x/client.cnf"
    assert "s3cret" not in " ".join(argv) and "--protocol=tcp" in argv and "--port=3306" in argv
    sock = m.client_argv(
        "/usr/bin/mariadb", None, {"host": "", "port": 3306, "user": "root", "socket": "/run/m.sock"}
    )
    assert sock[1:] == [
        "--batch",
        "--raw",
        "--skip-column-names",
        f"--connect-timeout={m.TIMEOUT}",
        "--protocol=socket",
        "--socket=/run/m.sock",
        "--user=root",
    ]


def test_option_file_quotes_values():
    text = m.option_file_text("root", 'a"b\\c')
    assert text == '[client]\nuser="root"\npassword="a\\"b\\\\c"\n'


def test_parse_grants_drops_identified_by_and_global():
    lines = [
        "GRANT USAGE ON *.* TO `ironic`@`%` IDENTIFIED BY PASSWORD '*94BDCEBE19083CE2A1F959FD02F964C7AF4CFC29'",
        "GRANT ALL PRIVILEGES ON `ironic`.* TO `ironic`@`%`",
        "GRANT SELECT, INSERT ON `a``b`.* TO `ironic`@`%`",
        "GRANT SELECT ON `x`.`t` TO `ironic`@`%`",
    ]
    assert m.parse_grants(lines) == {"ironic": {"ALL"}, "a`b": {"SELECT", "INSERT"}}


def test_missing_privileges():
    assert m.missing_privileges({"ALL"}, {"SELECT"}) == set()
    assert m.missing_privileges({"SELECT"}, {"ALL"}) == {"ALL"}
    assert m.missing_privileges({"SELECT"}, {"SELECT", "INSERT"}) == {"INSERT"}
    assert m.missing_privileges(None, {"SELECT"}) == {"SELECT"}


def test_plan_database():
    assert m.plan_database(None, "ironic", "utf8mb4") == {
        "old": None,
        "new": {"name": "ironic", "character_set": "utf8mb4"},
    }
    live = {"name": "ironic", "character_set": "utf8mb4", "collate": "utf8mb4_general_ci"}
    assert m.plan_database(live, "ironic", "utf8mb4") is None
    assert m.plan_database(live, "ironic") is None
    assert m.plan_database(live, "ironic", collate="utf8mb4_bin") == {
        "old": {"collate": "utf8mb4_general_ci"},
        "new": {"collate": "utf8mb4_bin"},
    }


def test_plan_user():
    grants = {"ironic": ["ALL"]}
    assert m.plan_user(None, False, {}, grants) == {
        "old": {"user": None, "grants": {"ironic": []}},
        "new": {"user": "created", "grants": {"ironic": ["ALL"]}},
    }
    live = {"name": "ironic", "host": "%", "plugin": "mysql_native_password"}
    assert m.plan_user(live, True, {"ironic": ["ALL"]}, grants) == {}
    assert m.plan_user(live, False, {"ironic": ["ALL"]}, grants) == {
        "old": {"password": "differs"},
        "new": {"password": "set"},
    }
    # extra grants are kept; only the missing are planned
    assert m.plan_user(
        live, True, {"ironic": ["ALL"], "other": ["SELECT"]}, {"other": ["SELECT", "INSERT"]}
    ) == {"old": {"grants": {"other": ["SELECT"]}}, "new": {"grants": {"other": ["INSERT"]}}}
