"""Pure logic of _modules/instance_backup.py: names, argument checks, retention, selection."""

import datetime
import pathlib

import pytest

from tests.support.loader import load_file

pytestmark = pytest.mark.unit

REPO = pathlib.Path(__file__).resolve().parents[3]
mod = load_file(REPO / "_modules/instance_backup.py")

UTC = datetime.UTC
SERVER = "11111111-2222-3333-4444-555555555555"


def at(year, month, day, hour=2, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=UTC)


def image(name, when, status="active", backup_type="daily", image_id=None):
    return {
        "id": image_id or f"id-{name}",
        "name": mod.backup_name(name, backup_type, when),
        "status": status,
        "created_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "instance_uuid": SERVER,
        "backup_type": backup_type,
    }


def series(name, start, days, backup_type="daily"):
    """One backup a day at 02:00 for `days` days from `start` (newest last)."""
    out = []
    for i in range(days):
        when = start + datetime.timedelta(days=i)
        out.append(image(name, when, backup_type=backup_type, image_id=f"{name}-{when:%Y%m%d}"))
    return out


def ids(rows):
    return [r["id"] for r in rows]


# ---- names --------------------------------------------------------------------------------


def test_backup_name_is_zero_padded_utc():
    assert mod.backup_name("web1", "daily", at(2027, 1, 2, 3, 4)) == "web1-202701020304-daily"
    cet = datetime.timezone(datetime.timedelta(hours=1))
    local = datetime.datetime(2027, 1, 2, 0, 30, tzinfo=cet)
    assert mod.backup_name("web1", "weekly", local) == "web1-202701012330-weekly"


def test_parse_backup_name_round_trip_and_exact_prefix():
    name = mod.backup_name("web-db", "weekly", at(2026, 11, 25, 2, 5))
    assert mod.parse_backup_name(name, "web-db") == (at(2026, 11, 25, 2, 5), "weekly")
    assert mod.parse_backup_name(name, "web-db", "weekly") == (at(2026, 11, 25, 2, 5), "weekly")
    assert mod.parse_backup_name(name, "web-db", "daily") is None
    # "web" must not adopt the backups of the policy "web-db" (and vice versa).
    assert mod.parse_backup_name(name, "web") is None
    assert mod.parse_backup_name("web-202611250200-daily", "web-db") is None
    # Regex characters in names are literal.
    assert mod.parse_backup_name("a.b-202611250200-daily", "a.b") is not None
    assert mod.parse_backup_name("axb-202611250200-daily", "a.b") is None
    # Not a real date, a short stamp, a foreign image.
    assert mod.parse_backup_name("web-202613250200-daily", "web") is None
    assert mod.parse_backup_name("web-2026112502-daily", "web") is None
    assert mod.parse_backup_name("ubuntu-24.04", "web") is None
    assert mod.parse_backup_name(None, "web") is None


# ---- argument checks ----------------------------------------------------------------------


def test_rotation_zero_is_refused_with_the_reason():
    errors = mod.validate("web1", "daily", rotation=0)
    assert len(errors) == 1
    assert errors[0].startswith("rotation: 0 is refused")
    assert "including the one just taken" in errors[0]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"rotation": -1}, "rotation: must be >= 1"),
        ({"rotation": "3"}, "rotation: must be a whole number"),
        ({"rotation": True}, "rotation: must be a whole number"),
        ({}, "rotation/retention: give exactly one"),
        ({"rotation": 2, "retention": {"daily": 1}}, "rotation/retention: give exactly one"),
        ({"retention": {"hourly": 3}}, "retention:hourly: unknown rule"),
        ({"retention": {"daily": -1}}, "retention:daily: must be a whole number >= 0"),
        ({"retention": {"daily": 0, "weekly": 0}}, "retention: every count is 0"),
        ({"retention": [7, 4]}, "retention: must be a mapping"),
        ({"rotation": 1, "quiesce": "yes"}, "quiesce: must be true or false"),
    ],
)
def test_validate_names_the_argument(kwargs, fragment):
    errors = mod.validate("web1", "daily", **kwargs)
    assert any(e.startswith(fragment) for e in errors), errors


def test_validate_name_and_type():
    assert mod.validate("", "daily", rotation=1)[0].startswith("name: a non-empty")
    assert mod.validate(" web", "daily", rotation=1)[0].startswith("name: ' web' has leading")
    assert mod.validate("web", "da-ily", rotation=1)[0].startswith("backup_type: 'da-ily'")
    assert mod.validate("w" * 250, "daily", rotation=1)[0].startswith("name: the image name would exceed")
    assert mod.validate("web", "daily", rotation=3) == []
    assert mod.validate("web", "daily", retention={"daily": 7, "weekly": 4, "monthly": 6}) == []


def test_validate_prefixes_pillar_paths():
    errors = mod.validate("web", "daily", retention={"daily": "x"}, where="backup:policies:nightly")
    assert errors == ["backup:policies:nightly:retention:daily: must be a whole number >= 0, got 'x'"]


def test_check_raises_before_any_call():
    with pytest.raises(mod.SaltInvocationError, match="rotation: 0 is refused"):
        mod._check("web", "daily", 0, None, False)


# ---- retention ----------------------------------------------------------------------------


def test_rotation_keeps_the_newest_n_of_its_type_only():
    daily = series("web", at(2026, 11, 1), 6)
    weekly = series("web", at(2026, 10, 3), 3, backup_type="weekly")
    plan = mod.plan_retention(daily + weekly, "web", rotation=4, backup_type="daily")
    assert ids(plan["keep"]) == ["web-20261106", "web-20261105", "web-20261104", "web-20261103"]
    assert ids(plan["delete"]) == ["web-20261102", "web-20261101"]
    assert all(r["reasons"] == ["last"] for r in plan["keep"])


def test_daily_weekly_monthly_over_a_year_of_dailies():
    # 2026-01-01 .. 2026-11-25: one backup a day.
    images = series("web", at(2026, 1, 1), 329)
    plan = mod.plan_retention(images, "web", retention={"daily": 7, "weekly": 4, "monthly": 6})
    kept = ids(plan["keep"])
    # Daily: the 7 newest days.
    assert kept[:7] == [f"web-202611{d:02d}" for d in range(25, 18, -1)]
    # Weekly (ISO weeks, newest backup of each): W48 (25th), W47 (22nd), W46 (15th), W45 (8th).
    weekly = [r["id"] for r in plan["keep"] if any(x.startswith("weekly") for x in r["reasons"])]
    assert weekly == ["web-20261125", "web-20261122", "web-20261115", "web-20261108"]
    # Monthly: the last backup of each of the 6 newest months.
    monthly = [r["id"] for r in plan["keep"] if any(x.startswith("monthly") for x in r["reasons"])]
    assert monthly == [
        "web-20261125",
        "web-20261031",
        "web-20260930",
        "web-20260831",
        "web-20260731",
        "web-20260630",
    ]
    assert len(kept) == len(set(kept)) == 7 + 2 + 5  # 25th counts for all three; 22nd is daily+weekly
    assert sorted(kept + ids(plan["delete"])) == sorted(ids(images))
    newest = plan["keep"][0]
    assert newest["reasons"] == ["daily 2026-11-25", "weekly 2026-W48", "monthly 2026-11"]


def test_retention_counts_periods_that_have_backups_and_keeps_the_newest_of_a_day():
    images = [
        image("web", at(2026, 11, 25, 2), image_id="a"),
        image("web", at(2026, 11, 25, 14), image_id="b"),
        image("web", at(2026, 11, 20), image_id="c"),  # gap: 21-24 have no backup
        image("web", at(2026, 11, 19), image_id="d"),
    ]
    plan = mod.plan_retention(images, "web", retention={"daily": 2})
    assert ids(plan["keep"]) == ["b", "c"]
    assert ids(plan["delete"]) == ["a", "d"]


def test_retention_covers_every_type_of_the_name():
    images = [
        image("web", at(2026, 11, 25), backup_type="daily", image_id="d"),
        image("web", at(2026, 11, 21), backup_type="weekly", image_id="w"),
        image("other", at(2026, 11, 24), image_id="o"),
    ]
    plan = mod.plan_retention(images, "web", retention={"last": 5})
    assert ids(plan["keep"]) == ["d", "w"]
    assert plan["delete"] == []


def test_inactive_backups_are_skipped_never_deleted_and_not_counted():
    images = series("web", at(2026, 11, 20), 3)
    images.append(image("web", at(2026, 11, 24), status="killed", image_id="dead"))
    images.append(image("web", at(2026, 11, 19), status="queued", image_id="stuck"))
    plan = mod.plan_retention(images, "web", rotation=2, backup_type="daily")
    assert ids(plan["keep"]) == ["web-20261122", "web-20261121"]
    assert ids(plan["delete"]) == ["web-20261120"]
    assert ids(plan["skipped"]) == ["dead", "stuck"]
    assert plan["skipped"][0]["status"] == "killed"


def test_ties_within_a_minute_break_on_created_at_then_id():
    same = at(2026, 11, 25, 2, 0)
    first = dict(image("web", same, image_id="x1"), created_at="2026-11-25T02:00:01Z")
    second = dict(image("web", same, image_id="x2"), created_at="2026-11-25T02:00:40Z")
    plan = mod.plan_retention([first, second], "web", rotation=1, backup_type="daily")
    assert ids(plan["keep"]) == ["x2"]
    assert ids(plan["delete"]) == ["x1"]


def test_protected_new_backup_is_kept_even_if_its_stamp_sorts_old():
    images = series("web", at(2026, 11, 20), 3)
    odd = image("web", at(2026, 11, 1), image_id="new")  # clock skew on the name
    plan = mod.plan_retention(images + [odd], "web", rotation=1, backup_type="daily", protect=("new",))
    assert "new" in ids(plan["keep"])
    assert "new" not in ids(plan["delete"])


def test_plan_is_one_pass_deterministic_and_partitions_the_input():
    images = series("web", at(2025, 1, 1), 700)
    plan = mod.plan_retention(images, "web", retention={"daily": 10, "weekly": 8, "monthly": 12, "last": 3})
    again = mod.plan_retention(
        list(reversed(images)), "web", retention={"daily": 10, "weekly": 8, "monthly": 12, "last": 3}
    )
    assert plan == again
    assert len(ids(plan["keep"])) + len(ids(plan["delete"])) == 700
    assert not set(ids(plan["keep"])) & set(ids(plan["delete"]))


# ---- servers ------------------------------------------------------------------------------


def srv(name, sid, tags=(), metadata=None, image_id="img"):
    return {
        "id": sid,
        "name": name,
        "tags": list(tags),
        "metadata": metadata or {},
        "image": {"id": image_id},
    }


def test_match_servers_by_name_id_tag_and_metadata():
    servers = [
        srv("web1", "a", tags=["backup"]),
        srv("web2", "b", metadata={"backup": "nightly"}),
        srv("db", "c"),
        srv("dup", "d"),
        srv("dup", "e"),
        srv("idle", "f", tags=["other"], metadata={"backup": "weekly"}),
    ]
    selected, errors = mod.match_servers(
        servers, names=["c", "web2"], tags=["backup"], metadata={"backup": "nightly"}
    )
    assert [s["id"] for s in selected] == ["c", "a", "b"]
    assert errors == []
    _, errors = mod.match_servers(servers, names=["dup", "ghost"])
    assert errors[0].startswith("servers: 'dup' names 2 servers (d, e)")
    assert errors[1] == "servers: no server named or with id 'ghost'"


def test_volume_backed_and_quiesce_mode():
    assert mod.is_volume_backed({"image": ""})
    assert mod.is_volume_backed({"image": {}})
    assert not mod.is_volume_backed({"image": {"id": "x"}})
    assert mod.quiesce_mode({}) is None
    assert mod.quiesce_mode({"hw_qemu_guest_agent": "no", "os_require_quiesce": "yes"}) is None
    assert mod.quiesce_mode({"hw_qemu_guest_agent": "yes"}) == "attempted"
    assert mod.quiesce_mode({"hw_qemu_guest_agent": "True", "os_require_quiesce": "yes"}) == "required"


# ---- the policy state's own checks ---------------------------------------------------------

state = load_file(REPO / "_states/instance_backup.py")


@pytest.mark.parametrize(
    ("schedule", "fragment"),
    [
        (None, "schedule: a mapping with one of cron"),
        ({"splay": 10}, "schedule: one of cron, when"),
        ({"cron": "0 2 * *"}, "schedule:cron: '0 2 * *' is not a valid cron expression"),
        ({"cron": "0 2 * * *", "hours": 1}, "schedule: cron and when cannot be combined"),
        ({"hours": 0}, "schedule:hours: must be a whole number >= 1"),
        ({"every": "day"}, "schedule: unknown key(s) every"),
    ],
)
def test_policy_schedule_errors_name_the_key(schedule, fragment):
    errors = state._check_schedule(schedule)
    assert any(e.startswith(fragment) for e in errors), errors


def test_policy_schedule_accepts_salt_timings():
    assert state._check_schedule({"cron": "0 2 * * *", "splay": 600}) == []
    assert state._check_schedule({"when": "2:00am"}) == []
    assert state._check_schedule({"hours": 24, "minutes": 30}) == []


def test_policy_job_kwargs_carry_only_what_is_set():
    kwargs = state._job_kwargs(
        "nightly", None, ["backup"], None, "daily", None, {"daily": 7}, False, 900, "admin"
    )
    assert kwargs == {
        "name": "nightly",
        "backup_type": "daily",
        "quiesce": False,
        "wait_timeout": 900,
        "tags": ["backup"],
        "retention": {"daily": 7},
        "cloud": "admin",
    }
    assert state.job_name("nightly") == "instance_backup-nightly"


def test_latest_backup_follows_the_time_in_its_name_before_created_at():
    # Glance's created_at has 1 s resolution: a backup seeded earlier but recorded in the same
    # second as a new one must not win "latest" on its random id.
    seeded = {"id": "ffff", "name": "own-202503030200-daily", "created_at": "2026-12-02T12:00:00Z"}
    new = {"id": "0000", "name": "own-202612021200-daily", "created_at": "2026-12-02T12:00:00Z"}
    assert max([seeded, new], key=mod.newest_first_key) is new
    # same stamp, same second: the id decides, always the same way
    twin = dict(new, id="1111")
    assert max([new, twin], key=mod.newest_first_key) is twin
    # a name without a stamp sorts before stamped ones, then by created_at
    odd = {"id": "9999", "name": "manual", "created_at": "2027-01-01T00:00:00Z"}
    assert max([odd, seeded], key=mod.newest_first_key) is seeded
