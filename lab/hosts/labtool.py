"""
Helpers for lab/lab that need Python (run with the repository's .venv interpreter).

    labtool.py topology REPO            hosts from the demo pillar: "<id> <ip> <kind>" per line
    labtool.py cloud-password REPO OUT  the site cloud's admin password (openstack:clouds of the
                                        cloud-admin host's pillar) into OUT (mode 0600), for the
                                        lab's stand-in cloud
    labtool.py rabbit-password REPO OUT the compute hosts' RabbitMQ password (nova:messaging_password)
                                        into OUT (mode 0600), for the stand-in's RabbitMQ user
    labtool.py finger PUBKEY            the salt-key fingerprint (sha256) of a minion public key
    labtool.py genkeys DIR NAME         an RSA key pair for Salt: DIR/NAME.pem and DIR/NAME.pub
    labtool.py summary [--wall WALL.txt] SALT.json SSH.json
                                        per-host summary of `salt --out=json --static` and
                                        `salt-ssh --out=json --static` state runs; exit 1 on failure
    labtool.py progress LABEL JID SECONDS EVENTS "MINION..." "DONE..."
                                        one progress line of a running job: DONE (the minions whose
                                        return the master's job cache holds) and the pending ones,
                                        with what their state events (EVENTS: `salt-run
                                        state.event` output) claim: states run, the slowest so far

The topology comes from pillar, compiled by Salt itself for each id: the ids and addresses are
`site:hosts` (pillar/site/common.sls) and the kind follows each host's `roles`:
`salt-master` -> master (also a minion), `salt-minion` -> minion, otherwise ssh (sshd only,
managed by salt-ssh). Extra lines: `wheel <id>` for a host that runs the stacksalt wheel
(salt:minion:modules_from: wheel), `cloud <id>` for the host with role `openstack-cloud` (the
lab starts its stand-in OpenStack cloud there), `pkgs <id> <package>...` for a host whose roles
have Debian packages in lab/hosts/role-packages.yaml (its image carries them).
"""

import copy
import json
import math
import pathlib
import sys
import tempfile


def _pillar_opts(repo, tmp):
    import salt.config

    opts = salt.config.minion_config(None)
    opts.update(
        file_client="local",
        pillar_roots={"base": [str(repo / "pillar")]},
        # the pillar needs no state files: an empty file root keeps the fileserver from walking the checkout
        file_roots={"base": [tmp]},
        cachedir=tmp,
        pki_dir=tmp,
        sock_dir=tmp,
        log_file=f"{tmp}/log",
        log_level="quiet",
        id="lab-topology",
        grains={"id": "lab-topology"},
    )
    return opts


def compile_pillar(repo, minion_id, opts, functions):
    import salt.pillar

    host_opts = copy.deepcopy(opts)
    host_opts["id"] = minion_id
    # The grains pillar files may use: a lab host's hostname is its minion id.
    grains = {"id": minion_id, "host": minion_id.split(".")[0], "fqdn": minion_id}
    host_opts["grains"] = grains
    data = salt.pillar.Pillar(host_opts, grains, minion_id, "base", functions=functions).compile_pillar()
    if data.get("_errors"):
        raise SystemExit(f"labtool: pillar for {minion_id} does not compile: {data['_errors']}")
    return data


def topology(repo):
    import salt.loader
    import yaml

    repo = pathlib.Path(repo).resolve()
    with tempfile.TemporaryDirectory(prefix="lab-topology-") as tmp:
        opts = _pillar_opts(repo, tmp)
        functions = salt.loader.minion_mods(opts)
        site = compile_pillar(repo, "lab-topology", opts, functions).get("site", {})
        hosts = site.get("hosts") or {}
        if not hosts or not site.get("network"):
            raise SystemExit("labtool: pillar site:hosts and site:network are required for the lab topology")
        role_pkgs = yaml.safe_load((repo / "lab/hosts/role-packages.yaml").read_text()) or {}
        rows, wheel_hosts, cloud_hosts, venv_hosts, host_pkgs = [], [], [], [], []
        for minion_id, ip in hosts.items():
            host_pillar = compile_pillar(repo, minion_id, opts, functions)
            roles = host_pillar.get("roles") or []
            # salt:minion:modules_from: wheel -- the host runs the installed stacksalt wheel
            if ((host_pillar.get("salt") or {}).get("minion") or {}).get("modules_from") == "wheel":
                wheel_hosts.append(minion_id)
            if "openstack-cloud" in roles:
                cloud_hosts.append(minion_id)
            else:
                pkgs = sorted({pkg for role in roles for pkg in role_pkgs.get(role) or []})
                if pkgs:
                    host_pkgs.append((minion_id, pkgs))
            # the site ships its Nova venv to compute hosts: the lab mounts the stand-in's there
            venv = (((host_pillar.get("nova") or {}).get("lookup") or {}).get("install") or {}).get("venv")
            if "nova-compute" in roles and venv:
                venv_hosts.append((minion_id, venv))
            if "salt-master" in roles:
                kind = "master"
            elif "salt-minion" in roles:
                kind = "minion"
            else:
                kind = "ssh"
            rows.append((minion_id, ip, kind))
        masters = [r for r in rows if r[2] == "master"]
        if len(masters) != 1:
            raise SystemExit(
                f"labtool: the lab needs exactly one host with role salt-master, found {masters}"
            )
        print(f"network {site['network']}")
        for row in rows:
            print(*row)
        for minion_id in wheel_hosts:
            print(f"wheel {minion_id}")
        for minion_id in cloud_hosts:
            print(f"cloud {minion_id}")
        for minion_id, venv in venv_hosts:
            print(f"venv {minion_id} {venv}")
        for minion_id, pkgs in host_pkgs:
            print(f"pkgs {minion_id}", *pkgs)


def cloud_password(repo, out):
    """
    The stand-in cloud takes the admin password the site's pillar already has for it (an
    operator's existing cloud is what its pillar describes): ``openstack:clouds:<openstack_cloud>``
    of the host with role ``cloud-admin``. Written to ``out`` (0600), never printed.
    """
    import os

    import salt.loader

    repo = pathlib.Path(repo).resolve()
    with tempfile.TemporaryDirectory(prefix="lab-cloud-") as tmp:
        opts = _pillar_opts(repo, tmp)
        functions = salt.loader.minion_mods(opts)
        site = compile_pillar(repo, "lab-topology", opts, functions).get("site", {})
        for minion_id in site.get("hosts") or {}:
            data = compile_pillar(repo, minion_id, opts, functions)
            if "cloud-admin" not in (data.get("roles") or []):
                continue
            name = data.get("openstack_cloud")
            cloud = ((data.get("openstack") or {}).get("clouds") or {}).get(name) or {}
            password = (cloud.get("auth") or {}).get("password")
            if not password:
                raise SystemExit(
                    f"labtool: {minion_id}: pillar openstack:clouds:{name}:auth:password is not set"
                )
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(password + "\n")
            return
        raise SystemExit("labtool: no host with role cloud-admin in the pillar")


def rabbit_password(repo, out):
    """
    The stand-in cloud's RabbitMQ user takes the password the site's compute hosts hold for it
    (``nova:messaging_password`` of the hosts with role ``nova-compute``; they must agree).
    Written to ``out`` (0600), never printed. No compute host: nothing is written.
    """
    import os

    import salt.loader

    repo = pathlib.Path(repo).resolve()
    with tempfile.TemporaryDirectory(prefix="lab-rabbit-") as tmp:
        opts = _pillar_opts(repo, tmp)
        functions = salt.loader.minion_mods(opts)
        site = compile_pillar(repo, "lab-topology", opts, functions).get("site", {})
        found = {}
        for minion_id in site.get("hosts") or {}:
            data = compile_pillar(repo, minion_id, opts, functions)
            if "nova-compute" in (data.get("roles") or []):
                found[minion_id] = (data.get("nova") or {}).get("messaging_password")
        missing = sorted(h for h, pw in found.items() if not pw)
        if missing:
            raise SystemExit(f"labtool: {', '.join(missing)}: pillar nova:messaging_password is not set")
        if len(set(found.values())) > 1:
            raise SystemExit(f"labtool: nova:messaging_password differs between {', '.join(sorted(found))}")
        if found:
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(next(iter(found.values())) + "\n")


def finger(pubkey):
    """
    The fingerprint the master's ``salt-key -f`` shows for this key once the minion sent it.

    Salt 3008 keeps received keys in its key cache as the stripped PEM text and fingerprints the
    whole text (header lines included), while ``salt-call key.finger`` on the minion hashes only
    the base64 body of its key file: the two differ for the same key. The key policy compares
    with ``salt-key -f``, so the allow-list must hold the master's form.
    """
    import salt.utils.crypt

    text = pathlib.Path(pubkey).read_text()
    print(salt.utils.crypt.pem_finger(key=text.strip(), sum_type="sha256"))


def genkeys(directory, name):
    import salt.crypt

    pathlib.Path(directory).mkdir(parents=True, exist_ok=True)
    salt.crypt.write_keys(directory, name, 2048)


def _load(path):
    text = pathlib.Path(path).read_text()
    try:
        return json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise SystemExit(f"labtool: {path} is not JSON ({exc}); it starts with: {text[:400]!r}") from exc


def summarize_host(result):
    """(states, changed, failed, seconds, failures) of one host's state.apply return."""
    if not isinstance(result, dict):
        return 0, 0, 1, 0.0, [f"no state return: {str(result)[:300]}"]
    states = changed = failed = 0
    seconds = 0.0
    failures = []
    for key, item in result.items():
        if not isinstance(item, dict) or "result" not in item:
            failed += 1
            failures.append(f"{key}: {str(item)[:300]}")
            continue
        states += 1
        seconds += float(item.get("duration") or 0) / 1000.0
        if item.get("changes"):
            changed += 1
        if item["result"] is False:
            failed += 1
            failures.append(f"{item.get('__id__', key)}: {str(item.get('comment'))[:300]}")
    return states, changed, failed, seconds, failures


def summary(*paths):
    wall = {}
    if paths and paths[0] == "--wall":
        for line in pathlib.Path(paths[1]).read_text().splitlines():
            host, seconds = line.split()
            wall[host] = float(seconds)
        paths = paths[2:]
    rows = {}
    for path in paths:
        data = _load(path)
        if not isinstance(data, dict):
            raise SystemExit(f"labtool: {path}: unexpected output {str(data)[:400]}")
        for host, result in data.items():
            # salt-ssh nests the state return under "return" when it wraps errors
            if isinstance(result, dict) and "return" in result and "retcode" in result:
                result = result["return"]
            rows[host] = summarize_host(result)
    print(f"{'host':<12} {'states':>6} {'changed':>7} {'failed':>6} {'state s':>8} {'wall s':>7}")
    bad = False
    for host in sorted(rows):
        states, changed, failed, seconds, failures = rows[host]
        wall_s = f"{wall[host]:>7.1f}" if host in wall else f"{'-':>7}"
        print(f"{host:<12} {states:>6} {changed:>7} {failed:>6} {seconds:>8.1f} {wall_s}")
        for failure in failures:
            print(f"    FAILED {failure}")
        bad = bad or failed > 0 or states == 0
    print(
        json.dumps(
            {
                h: {
                    "states": r[0],
                    "changed": r[1],
                    "failed": r[2],
                    "seconds": round(r[3], 2),
                    "wall": wall.get(h),
                }
                for h, r in rows.items()
            }
        )
    )
    return 1 if bad else 0


# ---------------------------------------------------------------- progress of a running job
# A minion with `state_events: True` fires one event per state it ran on the master's bus:
# tag salt/job/<jid>/prog/<minion>/<run_num>, and the master passes on the minion's load:
# {"id": <minion>, "tag": <tag>, "jid": <jid>, "cmd": "_minion_event",
#  "data": {"ret": <the state's return: __id__, __sls__, name, result, duration (ms)...>,
#           "len": <the number of states of the run>}}
# (salt/state.py State.event, salt/daemons/masterapi.py _minion_event). Every field is the
# minion's own claim: these lines are only printed, never acted on, and the text a minion sends
# is shown only in printable characters and cut short (a hostile minion writes no escapes to
# the operator's terminal).

MAX_STATE_MS = 7 * 24 * 3600 * 1000.0  # a longer duration is not a duration


def _printable(value, limit=80):
    text = "".join(c if c.isprintable() else "?" for c in str(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_progress_event(line, jid, minions):
    """
    One line of ``salt-run state.event`` ("TAG<tab>JSON") as (minion, run_num, total, state),
    or None when it is not a progress event of job ``jid`` from one of ``minions``.
    ``total`` is the run's claimed number of states (None if absent), ``state`` is
    (state id, sls, seconds) or None when the return carries no usable duration.
    """
    tag, sep, payload = line.rstrip("\n").partition("\t")
    if not sep:
        return None
    parts = tag.split("/")
    if len(parts) != 6 or parts[:2] != ["salt", "job"] or parts[2] != jid or parts[3] != "prog":
        return None
    minion, run_num = parts[4], parts[5]
    if minion not in minions or not run_num.isdigit():
        return None
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    # "id" is the sender the master authenticated (its request channel checks the load's id
    # against the minion's session); the tag is free text: a minion naming another in it is ignored
    if data.get("id") != minion or data.get("jid", jid) != jid:
        return None
    inner = data.get("data")
    ret = inner.get("ret") if isinstance(inner, dict) else None
    if not isinstance(ret, dict):
        return None
    total = inner.get("len")
    if not isinstance(total, int) or isinstance(total, bool) or total <= 0:
        total = None
    state = None
    duration = ret.get("duration")
    if (
        isinstance(duration, int | float)
        and not isinstance(duration, bool)
        and math.isfinite(duration)
        and 0 <= duration <= MAX_STATE_MS
    ):
        state_id = ret.get("__id__") or ret.get("name") or "?"
        state = (_printable(state_id), _printable(ret.get("__sls__") or "", 60), duration / 1000.0)
    return minion, int(run_num), total, state


def job_progress(lines, jid, minions):
    """
    What the progress events of job ``jid`` say so far: ({minion: (states run, total or None)},
    slowest) with slowest = (minion, state id, sls, seconds) or None. A repeated event (same
    minion and run number) counts once; the first of equally slow states stays the slowest.
    """
    minions = set(minions)
    runs, totals, slowest = {}, {}, None
    for line in lines:
        event = parse_progress_event(line, jid, minions)
        if event is None:
            continue
        minion, run_num, total, state = event
        runs.setdefault(minion, set()).add(run_num)
        if total is not None:
            totals[minion] = max(total, totals.get(minion, 0))
        if state is not None and (slowest is None or state[2] > slowest[3]):
            slowest = (minion, *state)
    counts = {m: (len(r), totals.get(m)) for m, r in runs.items()}
    return counts, slowest


def format_progress(label, seconds, minions, done, counts, slowest):
    """
    One line: ``LABEL 75 s: done 5/8 (a b ...), pending c [212/530 states] d; slowest so far:
    c state-id (sls) 190.2 s``. ``done`` counts only names of ``minions``; pending keeps the
    order of ``minions``.
    """
    done = sorted(set(done) & set(minions))
    pending = [m for m in minions if m not in done]
    items = []
    for minion in pending:
        ran, total = counts.get(minion, (0, None))
        if ran:
            items.append(f"{minion} [{ran}/{total} states]" if total else f"{minion} [{ran} states]")
        else:
            items.append(minion)
    line = f"{label} {int(seconds)} s: done {len(done)}/{len(minions)}"
    if done:
        line += f" ({' '.join(done)})"
    line += f", pending {' '.join(items) if items else 'none'}; "
    if slowest is None:
        line += "slowest so far: no state events (minion option state_events)"
    else:
        minion, state_id, sls, secs = slowest
        line += f"slowest so far: {minion} {state_id}{f' ({sls})' if sls else ''} {secs:.1f} s"
    return line


def progress(label, jid, seconds, events, minions, done):
    minions = sorted(set(minions.split()))
    path = pathlib.Path(events)
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            counts, slowest = job_progress(handle, jid, minions)
    except FileNotFoundError:
        counts, slowest = {}, None
    print(format_progress(label, float(seconds), minions, done.split(), counts, slowest))


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "topology":
        topology(*args)
    elif cmd == "cloud-password":
        cloud_password(*args)
    elif cmd == "rabbit-password":
        rabbit_password(*args)
    elif cmd == "finger":
        finger(*args)
    elif cmd == "genkeys":
        genkeys(*args)
    elif cmd == "summary":
        return summary(*args)
    elif cmd == "progress":
        progress(*args)
    else:
        raise SystemExit(f"labtool: unknown command {cmd}\n{__doc__}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
