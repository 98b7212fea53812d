"""
Backup policies for OpenStack servers, run by Salt's scheduler on a chosen minion (no cron).

.. code-block:: yaml

    instance-backup-nightly-policy:
      instance_backup.policy:
        - name: nightly
        - tags: [backup]                  # Nova server tags (any of them)
        - servers: [db1]                  # and/or names or ids
        - metadata: {backup: nightly}     # and/or server metadata (all key/values)
        - backup_type: daily
        - retention: {daily: 7, weekly: 4, monthly: 6}
        - schedule: {cron: '0 2 * * *'}
        - run_on: backup1                 # the minion that runs it; removed from any other
        - cloud: admin

The policy becomes one job, ``instance_backup-<name>``, in the minion's schedule (persisted in
``minion.d/_schedule.conf``): it calls ``instance_backup.backup_many`` with the policy's
arguments (servers are selected at each run, so a newly tagged server is picked up without
re-applying). ``maxrunning: 1`` keeps a slow run from overlapping the next one.

Arguments are checked before anything else (``rotation: 0`` is refused, with the reason).
With ``test=True`` the state reports the schedule changes it would make and, with
``show_plan`` (default), which servers a run would back up now and what it would keep and
delete; nothing is changed.
"""

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "instance_backup"

TIMING_KEYS = ("cron", "when", "seconds", "minutes", "hours", "days")
EXTRA_SCHEDULE_KEYS = ("splay", "range")
#: Schedule keys the state owns (compared with the minion's current job).
COMPARED_KEYS = (
    "function",
    "kwargs",
    "maxrunning",
    "enabled",
    "jid_include",
    "return_job",
    *TIMING_KEYS,
    *EXTRA_SCHEDULE_KEYS,
)


def __virtual__():
    if "instance_backup.backup_many" not in __salt__:
        return (False, "instance_backup: the instance_backup execution module is not available")
    return __virtualname__


def _ret(name):
    return {"name": name, "result": True, "changes": {}, "comment": ""}


def job_name(name):
    return f"instance_backup-{name}"


def _check_schedule(schedule):
    if not isinstance(schedule, dict) or not schedule:
        return [
            f"schedule: a mapping with one of {', '.join(TIMING_KEYS)} is required, e.g. {{cron: '0 2 * * *'}}"
        ]
    errors = []
    unknown = sorted(set(schedule) - set(TIMING_KEYS) - set(EXTRA_SCHEDULE_KEYS))
    if unknown:
        errors.append(
            f"schedule: unknown key(s) {', '.join(unknown)} (use {', '.join(TIMING_KEYS + EXTRA_SCHEDULE_KEYS)})"
        )
    timing = [k for k in TIMING_KEYS if k in schedule]
    if not timing:
        errors.append(f"schedule: one of {', '.join(TIMING_KEYS)} is required")
    if "cron" in schedule and len(timing) > 1 or "when" in schedule and len(timing) > 1:
        errors.append(
            f"schedule: cron and when cannot be combined with other timing keys ({', '.join(timing)})"
        )
    if "cron" in schedule:
        try:
            import croniter

            if not croniter.croniter.is_valid(str(schedule["cron"])):
                errors.append(f"schedule:cron: {schedule['cron']!r} is not a valid cron expression")
        except ImportError:
            errors.append("schedule:cron: needs the croniter Python package on the minion")
    for key in ("seconds", "minutes", "hours", "days"):
        if key in schedule and (
            isinstance(schedule[key], bool) or not isinstance(schedule[key], int) or schedule[key] < 1
        ):
            errors.append(f"schedule:{key}: must be a whole number >= 1, got {schedule[key]!r}")
    return errors


def _job_kwargs(
    name, servers, tags, metadata, backup_type, rotation, retention, quiesce, wait_timeout, cloud
):
    kwargs = {"name": name, "backup_type": backup_type, "quiesce": quiesce, "wait_timeout": wait_timeout}
    for key, value in (
        ("servers", servers),
        ("tags", tags),
        ("metadata", metadata),
        ("rotation", rotation),
        ("retention", retention),
        ("cloud", cloud),
    ):
        if value is not None:
            kwargs[key] = value
    return kwargs


def _plan_comment(plan):
    lines = []
    for row in plan["servers"]:
        who = row["server"]["name"] or row["server"]["id"]
        if row["error"]:
            lines.append(f"  {who}: not backed up: {row['error']}")
            continue
        deleted = ", ".join(d["name"] for d in row["deleted"]) or "nothing"
        lines.append(f"  {who}: back up, then keep {len(row['kept'])} (new one included), delete {deleted}")
    lines.extend(f"  {e}" for e in plan.get("errors", []))
    return f"A run now would back up {len(plan['servers'])} server(s):\n" + "\n".join(lines)


def policy(
    name,
    schedule,
    servers=None,
    tags=None,
    metadata=None,
    backup_type="daily",
    rotation=None,
    retention=None,
    quiesce=False,
    run_on=None,
    enabled=True,
    wait_timeout=900,
    show_plan=True,
    cloud=None,
):
    """
    Ensure the minion's schedule runs backup policy ``name`` (see the module docstring).

    name
        Backup name (images ``<name>-<YYYYMMDDHHMM>-<backup_type>``) and the job's name
        (``instance_backup-<name>``).
    schedule
        When to run, as Salt's scheduler takes it: ``{cron: '0 2 * * *'}``, ``{when: '2:00am'}``,
        ``{hours: 24}``...; ``splay`` and ``range`` may be added.
    servers, tags, metadata
        Which servers: names or ids, Nova server tags (any), metadata (all key/values).
    backup_type, rotation, retention, quiesce, wait_timeout, cloud
        As for ``instance_backup.backup_many``: exactly one of ``rotation`` (>= 1) and
        ``retention`` (``{daily, weekly, monthly, last}``).
    run_on
        Minion id that runs the job; on every other minion the job is removed (moving the job
        is a pillar change). Default: the minion applying the state.
    enabled
        False keeps the job but stops it from running.
    show_plan
        With ``test=True``, also show what a run would do right now (one server list and one
        image list, no change).
    """
    ret = _ret(name)
    errors = __salt__["instance_backup.validate"](name, backup_type, rotation, retention, quiesce)
    errors.extend(_check_schedule(schedule))
    if not (servers or tags or metadata):
        errors.append("servers/tags/metadata: select at least one server")
    for key, value, kind in (("servers", servers, list), ("tags", tags, list), ("metadata", metadata, dict)):
        if value is not None and not isinstance(value, kind):
            errors.append(f"{key}: must be a {kind.__name__}, got {value!r}")
    if errors:
        ret.update(result=False, comment="Invalid backup policy: " + "; ".join(errors))
        return ret

    job = job_name(name)
    here = run_on in (None, __opts__["id"])
    current = (__salt__["schedule.list"](show_all=True, return_yaml=False) or {}).get(job)
    if not here:
        return _absent_elsewhere(ret, job, current, run_on)

    job_kwargs = _job_kwargs(
        name, servers, tags, metadata, backup_type, rotation, retention, quiesce, wait_timeout, cloud
    )
    wanted = dict(
        __salt__["schedule.build_schedule_item"](
            job,
            function="instance_backup.backup_many",
            job_kwargs=job_kwargs,
            maxrunning=1,
            enabled=enabled,
            return_job=True,
            **schedule,
        )
    )
    if wanted.get("result") is False:
        ret.update(result=False, comment=f"Salt's scheduler refused the job: {wanted.get('comment')}")
        return ret
    old = {k: current[k] for k in COMPARED_KEYS if current and k in current}
    new = {k: wanted[k] for k in COMPARED_KEYS if k in wanted}
    diff_keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    if current is not None and not diff_keys:
        ret["comment"] = f"Schedule job {job} is in place."
    elif current is None:
        ret["changes"] = {job: {"old": None, "new": new}}
    else:
        ret["changes"] = {
            job: {"old": {k: old.get(k) for k in diff_keys}, "new": {k: new.get(k) for k in diff_keys}}
        }

    if __opts__["test"]:
        if ret["changes"]:
            ret["result"] = None
            ret["comment"] = f"Schedule job {job} would be {'added' if current is None else 'updated'}."
        if show_plan:
            try:
                plan = __salt__["instance_backup.backup_many"](test=True, **job_kwargs)
                ret["comment"] += "\n" + _plan_comment(plan)
            except (CommandExecutionError, SaltInvocationError) as exc:
                ret["comment"] += f"\nNo plan: {exc}"
        return ret
    if not ret["changes"]:
        return ret

    schedule_args = {k: v for k, v in wanted.items() if k not in ("name", "kwargs")}
    schedule_args["job_kwargs"] = wanted["kwargs"]
    if current is None:
        out = __salt__["schedule.add"](job, persist=True, **schedule_args)
    else:
        out = __salt__["schedule.modify"](job, persist=True, **schedule_args)
    now = (__salt__["schedule.list"](show_all=True, return_yaml=False) or {}).get(job) or {}
    missing = [k for k in diff_keys or new if now.get(k) != new.get(k)]
    if not out.get("result") or missing:
        ret.update(
            result=False,
            changes={},
            comment=f"Schedule job {job} was not saved ({out.get('comment')}; differs in: {', '.join(missing) or '-'}); "
            "re-apply the state to retry",
        )
        return ret
    ret["comment"] = f"Schedule job {job} {'added' if current is None else 'updated'}."
    return ret


def _absent_elsewhere(ret, job, current, run_on):
    if current is None:
        ret["comment"] = f"Policy runs on {run_on}; no job {job} here."
        return ret
    ret["changes"] = {job: {"old": "scheduled", "new": None}}
    if __opts__["test"]:
        ret.update(result=None, comment=f"Schedule job {job} would be removed (the policy runs on {run_on}).")
        return ret
    out = __salt__["schedule.delete"](job, persist=True)
    if not out.get("result"):
        ret.update(
            result=False, changes={}, comment=f"Removing schedule job {job} failed: {out.get('comment')}"
        )
        return ret
    ret["comment"] = f"Schedule job {job} removed (the policy runs on {run_on})."
    return ret
