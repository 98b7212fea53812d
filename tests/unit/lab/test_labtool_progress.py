"""
labtool.py progress: the line lab/lab prints while `salt --async '*' state.apply` runs, from the
minions that returned (the master's job cache) and the state events (`salt-run state.event`
lines: the tag, a tab, the event data as JSON, as salt/state.py and the master fire them).
"""

import json
import pathlib

import pytest

from tests.support.loader import load_file

REPO = pathlib.Path(__file__).resolve().parents[3]
labtool = load_file(REPO / "lab" / "hosts" / "labtool.py")

JID = "20250101120000123456"
MINIONS = ["ceph1", "ceph2", "ironic1", "master", "spare1"]


def event(minion, run_num, state_id, ms, *, jid=JID, total=300, sls="x", sender=None, tag_jid=None):
    """A progress event line as the master's bus carries it (the minion's load, passed on)."""
    tag = f"salt/job/{tag_jid or jid}/prog/{minion}/{run_num}"
    ret = {
        "name": state_id,
        "__id__": state_id,
        "__sls__": sls,
        "__run_num__": run_num,
        "result": True,
        "changes": {},
        "comment": "",
        "start_time": "12:00:00.000000",
        "duration": ms,
    }
    data = {
        "id": sender or minion,
        "tag": tag,
        "jid": jid,
        "cmd": "_minion_event",
        "data": {"ret": ret, "len": total},
        "_stamp": "2025-01-01T12:00:01.000000",
    }
    return f"{tag}\t{json.dumps(data)}\n"


RECORDED = [
    event("ironic1", 0, "ironic-pillar-schema-validated", 412.5, sls="ironic.validate", total=120),
    event("ironic1", 1, "ironic-install-pkgs-installed", 190204.0, sls="ironic.install", total=120),
    event("ceph1", 0, "ceph-pillar-schema-validated", 300.0, sls="ceph.validate", total=80),
    event("ceph1", 1, "ceph-mon-pkgs-installed", 65000.0, sls="ceph.mon", total=80),
    event("ceph2", 0, "ceph-osd-pkgs-installed", 70000.0, sls="ceph.osd", total=40),
    event("master", 0, "salt-master-config-managed", 900.0, sls="salt.master.config", total=200),
]


def test_done_pending_and_the_slowest_state():
    counts, slowest = labtool.job_progress(RECORDED, JID, MINIONS)
    assert counts == {"ironic1": (2, 120), "ceph1": (2, 80), "ceph2": (1, 40), "master": (1, 200)}
    assert slowest == ("ironic1", "ironic-install-pkgs-installed", "ironic.install", pytest.approx(190.204))
    line = labtool.format_progress("state.apply", 75.9, MINIONS, ["master", "ceph2"], counts, slowest)
    assert line == (
        "state.apply 75 s: done 2/5 (ceph2 master), pending ceph1 [2/80 states] ironic1 [2/120 states] spare1;"
        " slowest so far: ironic1 ironic-install-pkgs-installed (ironic.install) 190.2 s"
    )


def test_all_done_and_no_events_yet():
    line = labtool.format_progress("state.apply", 3, ["a", "b"], ["b", "a"], {}, None)
    assert line == (
        "state.apply 3 s: done 2/2 (a b), pending none; slowest so far: no state events (minion option state_events)"
    )
    line = labtool.format_progress("state.apply", 12, ["a", "b"], [], {}, None)
    assert line.startswith("state.apply 12 s: done 0/2, pending a b; ")


def test_a_done_name_outside_the_job_is_not_counted():
    line = labtool.format_progress("state.apply", 10, ["a", "b"], ["a", "intruder"], {}, None)
    assert "done 1/2 (a), pending b;" in line
    assert "intruder" not in line


def test_a_repeated_event_counts_once_and_the_first_of_equal_states_stays_slowest():
    lines = [
        event("ceph1", 3, "first", 5000.0, total=10),
        event("ceph1", 3, "first", 5000.0, total=10),
        event("ceph2", 0, "second", 5000.0, total=10),
    ]
    counts, slowest = labtool.job_progress(lines, JID, MINIONS)
    assert counts == {"ceph1": (1, 10), "ceph2": (1, 10)}
    assert slowest[:2] == ("ceph1", "first")


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(event("ceph1", 1, "other-job", 999999.0, jid="20250101115959000000"), id="another job"),
        pytest.param(event("edge1", 1, "not-in-job", 999999.0), id="minion not in the job"),
        pytest.param(event("ceph1", 1, "forged", 999999.0, sender="spare1"), id="tag names another minion"),
        pytest.param(
            event("ceph1", 1, "wrong-jid", 999999.0, tag_jid=JID, jid="1"), id="load of another job"
        ),
        pytest.param(f"salt/job/{JID}/ret/ceph1\t{{}}\n", id="a return, not progress"),
        pytest.param(f"salt/job/{JID}/prog/ceph1/x\t{{}}\n", id="run number not a number"),
        pytest.param(f"salt/job/{JID}/prog/ceph1/1/extra\t{{}}\n", id="tag too long"),
        pytest.param(f"salt/job/{JID}/prog/ceph1/1\t{{not json\n", id="not JSON"),
        pytest.param(f"salt/job/{JID}/prog/ceph1/1\t[1, 2]\n", id="not a dict"),
        pytest.param(f'salt/job/{JID}/prog/ceph1/1\t{{"id": "ceph1", "data": "x"}}\n', id="no state return"),
        pytest.param(f"salt/job/{JID}/prog/ceph1/1 no tab\n", id="no tab"),
        pytest.param(event("ceph1", 1, "trunc", 1.0)[:60], id="a line cut short while written"),
        pytest.param("", id="empty"),
    ],
)
def test_foreign_and_malformed_events_are_ignored(line):
    counts, slowest = labtool.job_progress([line], JID, MINIONS)
    assert (counts, slowest) == ({}, None)
    # next to a real one, they change nothing
    counts, slowest = labtool.job_progress([line, event("ceph3x", 0, "y", 1.0), RECORDED[2]], JID, MINIONS)
    assert counts == {"ceph1": (1, 80)}
    assert slowest[:2] == ("ceph1", "ceph-pillar-schema-validated")


@pytest.mark.parametrize("duration", ["190000", None, True, -5.0, float("nan"), 1e300])
def test_a_state_without_a_usable_duration_counts_but_is_never_the_slowest(duration):
    lines = [event("ceph1", 0, "bad", duration), event("ceph1", 1, "good", 10.0)]
    counts, slowest = labtool.job_progress(lines, JID, MINIONS)
    assert counts == {"ceph1": (2, 300)}
    assert slowest[:2] == ("ceph1", "good")


def test_a_minions_text_is_printed_only_in_printable_characters_and_cut_short():
    lines = [event("spare1", 0, "evil\x1b]0;pwned\x07\nid" + "x" * 200, 5000.0, sls="s\x1b[2J")]
    counts, slowest = labtool.job_progress(lines, JID, MINIONS)
    line = labtool.format_progress("state.apply", 1, MINIONS, [], counts, slowest)
    assert "\x1b" not in line and "\x07" not in line and "\n" not in line
    assert "evil?]0;pwned??id" in line
    assert len(slowest[1]) == 80 and slowest[1].endswith("...")
    assert "(s?[2J)" in line


def test_no_total_claimed_shows_the_count_only():
    line = event("ceph1", 0, "a", 1.0).replace('"len": 300', '"len": "many"')
    counts, _ = labtool.job_progress([line], JID, MINIONS)
    assert counts == {"ceph1": (1, None)}
    assert "ceph1 [1 states]" in labtool.format_progress("state.apply", 1, MINIONS, [], counts, None)


def test_the_command_reads_the_event_file(tmp_path, capsys):
    events = tmp_path / "apply-salt.json.events"
    events.write_text("".join(RECORDED) + "salt/job/partial")
    assert labtool.main(["labtool.py", "progress", "state.apply", JID, "75.3", str(events),
                         " ".join(MINIONS), "master ceph2"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert out == (
        "state.apply 75 s: done 2/5 (ceph2 master), pending ceph1 [2/80 states] ironic1 [2/120 states] spare1;"
        " slowest so far: ironic1 ironic-install-pkgs-installed (ironic.install) 190.2 s\n"
    )


def test_the_command_without_an_event_file_still_prints_done_and_pending(tmp_path, capsys):
    assert (
        labtool.main(["labtool.py", "progress", "state.apply", JID, "1", str(tmp_path / "none"), "a b", ""])
        == 0
    )
    assert capsys.readouterr().out == (
        "state.apply 1 s: done 0/2, pending a b; slowest so far: no state events (minion option state_events)\n"
    )


def test_the_summary_still_reads_the_jobs_return(tmp_path, capsys):
    ret = {
        "ceph1": {
            "file_|-a_|-/a_|-managed": {"__id__": "a", "result": True, "changes": {"x": 1}, "duration": 1500.0},
            "pkg_|-b_|-b_|-installed": {"__id__": "b", "result": False, "changes": {}, "comment": "no", "duration": 500.0},
        }
    }  # fmt: skip
    (tmp_path / "apply-salt.json").write_text(json.dumps(ret))
    (tmp_path / "wall.txt").write_text("ceph1 12.5\n")
    rc = labtool.main(
        ["labtool.py", "summary", "--wall", str(tmp_path / "wall.txt"), str(tmp_path / "apply-salt.json")]
    )
    out = capsys.readouterr().out.splitlines()
    assert rc == 1
    assert out[1].split() == ["ceph1", "2", "1", "1", "2.0", "12.5"]
    assert out[2] == "    FAILED b: no"
    assert json.loads(out[-1]) == {
        "ceph1": {"states": 2, "changed": 1, "failed": 1, "seconds": 2.0, "wall": 12.5}
    }
