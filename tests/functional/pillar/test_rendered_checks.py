"""
The `unless` checks that now take their values as arguments (sys.argv) instead of having them
pasted into Python code, run by Salt's state system on this host: the salt formula's "this
exact Salt imports from the venv" and the ironic formula's "the SQLite database has its schema".
Each is rendered by Salt from the formula, then run with test=True through state.high (only
the cmd state: nothing is installed), so the answer comes from the check itself: result True
("unless condition is true") when the check holds, None (would run) when it does not.
"""

import importlib.metadata
import pathlib
import sqlite3
import sys

from tests.support.loader import load_file

REPO = pathlib.Path(__file__).resolve().parents[3]


masterless = load_file(REPO / "tests/unit/pillar/masterless.py", "masterless")
VENV = str(pathlib.Path(sys.executable).parent.parent)


def _only(states, state_id):
    body = states[state_id]
    args = [a for a in body["cmd"] if not (isinstance(a, dict) and "require" in a)]
    return {state_id: {"cmd": args, "__sls__": body["__sls__"], "__env__": body["__env__"]}}


def _planned(result):
    assert result["ok"], result
    (ret,) = result["ret"].values()
    return ret


def test_salt_version_check_reads_the_venv(tmp_path):
    version = importlib.metadata.version("salt")
    calls = [
        ["state.show_sls", ["salt.install"], {"pillar": {"salt": {"version": v, "install": {"venv": VENV}}}}]
        for v in (version, "3000.1")
    ]
    shown = masterless.run_calls(tmp_path / "render", calls)
    highs = [_only(s["ret"], "salt-install-pip-package-installed") for s in shown]
    same, other = masterless.run_calls(tmp_path / "run", [["state.high", [h], {"test": True}] for h in highs])
    same, other = _planned(same), _planned(other)
    assert same["result"] is True and "unless condition is true" in same["comment"], same
    assert other["result"] is None and other["changes"], other


def test_ironic_sqlite_schema_check_reads_the_database(tmp_path):
    ready, empty = tmp_path / "ready.sqlite", tmp_path / "empty.sqlite"
    with sqlite3.connect(ready) as db:
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32))")
    sqlite3.connect(empty).close()
    calls = []
    # the third: a fresh host, where neither the database nor Ironic's user exist yet
    for path, user in ((ready, "root"), (empty, "root"), (tmp_path / "none.sqlite", "no-such-ironic-user")):
        pillar = {
            "ironic": {
                "lookup": {"install": {"python": sys.executable}, "user": user},
                "database": {"connection": f"sqlite:///{path}"},
                "allow_insecure_noauth": True,
            }
        }
        calls.append(["state.show_sls", ["ironic.db"], {"pillar": pillar}])
    shown = masterless.run_calls(tmp_path / "render", calls)
    highs = [_only(s["ret"], "ironic-db-synced") for s in shown]
    done, missing, fresh = masterless.run_calls(
        tmp_path / "run", [["state.high", [h], {"test": True}] for h in highs]
    )
    done, missing, fresh = _planned(done), _planned(missing), _planned(fresh)
    assert done["result"] is True and "unless condition is true" in done["comment"], done
    assert missing["result"] is None, missing
    assert fresh["result"] is None, fresh
