"""
What the fileserver serves, on the master config the salt formula writes: exactly the formulas,
top.sls and the loader directories; nothing else of the checkout (pillar/secrets above all),
however a minion asks for it. The attempts run on the minion `compute1` with its own key
(tests/support/hostile_probe.py), as a compromised host would.
"""

import json
import os
import pathlib

import pytest

from tests.support import hostile

pytestmark = pytest.mark.integration

ATTACKER = "compute1"


def probe(minion, attempts):
    return hostile.probe_here(minion.config_file, attempts)


def test_shipped_roots_are_the_formulas_and_the_view(shipped_master, repo_root):
    roots = shipped_master["file_roots"]["base"]
    assert roots[0] == str(repo_root / "salt")
    view = pathlib.Path(roots[1])
    assert len(roots) == 2, roots
    # the view the formula built: links to the served entries and nothing else
    assert sorted(p.name for p in view.iterdir()) == sorted(hostile.SERVED_ENTRIES)
    for entry in view.iterdir():
        assert entry.is_symlink() and pathlib.Path(os.readlink(entry)) == repo_root / entry.name
    for root in roots:
        for pillar_root in [*shipped_master["pillar_roots"]["base"], str(repo_root)]:
            assert not (pillar_root + "/").startswith(root.rstrip("/") + "/"), (root, pillar_root)


def test_a_minion_lists_exactly_the_shipped_files(minions, repo_root):
    (listed,) = probe(minions[ATTACKER], [hostile.attempt("cp.list_master")])
    assert set(listed["ret"]) == hostile.served_files(repo_root)


def test_a_minion_cannot_fetch_anything_else(minions):
    tried = hostile.fileserver_attempts()
    # the channel works: a served file comes back (so an empty answer below is a refusal)
    control, *results = probe(
        minions[ATTACKER], [hostile.attempt("cp.get_file_str", "salt://top.sls")] + [a for _, a in tried]
    )
    assert "I@roles:" in control["ret"], control
    got = [what for (what, _), result in zip(tried, results, strict=True) if hostile.got_something(result)]
    print(f"fileserver attacks from {ATTACKER}: {len(tried)} tried, {len(got)} got anything")
    assert got == []


def test_no_served_file_holds_a_secret(minions, repo_root):
    secrets = hostile.secret_values(repo_root)
    (listed,) = probe(minions[ATTACKER], [hostile.attempt("cp.list_master")])
    contents = probe(
        minions[ATTACKER], [hostile.attempt("cp.get_file_str", f"salt://{p}") for p in listed["ret"]]
    )
    hits = {
        path: hostile.leaks(str(c.get("ret")), secrets)
        for path, c in zip(listed["ret"], contents, strict=True)
    }
    hits = {path: found for path, found in hits.items() if found}
    unread = [
        path for path, c in zip(listed["ret"], contents, strict=True) if not isinstance(c.get("ret"), str)
    ]
    print(f"served files read by {ATTACKER}: {len(listed['ret'])}, secret values grepped: {len(secrets)}")
    assert unread == [], unread
    assert hits == {}, json.dumps(hits)
