"""
Shared helpers for the Ceph and RBD modules: cephx connection arguments, running the `ceph`,
`rbd` and `qemu-img` CLIs as argument lists with JSON output, qemu's `rbd:` target syntax,
Glance's `rbd://` location URLs and operator-readable error messages.

Debian's python3-rados/python3-rbd import only from /usr/bin/python3, so the modules drive the
CLIs (`--format json`) instead of the bindings.
"""

import json
import os
import shutil
import subprocess
import uuid

from salt.exceptions import CommandExecutionError, SaltInvocationError

# Namespace for image ids derived from a Glance image name (uuid5), so a plan made with
# test=True names the id the import will use.
IMAGE_ID_NAMESPACE = uuid.UUID("7d1f6a52-6c1e-4c3b-9a0e-5a17ce5a1700")

DEFAULT_TIMEOUT = 120


class CephCommandError(CommandExecutionError):
    """A ceph/rbd/qemu-img command failed; `kind` says why in one word when it is known."""

    def __init__(self, message, kind=None, cmd=None, stderr=None):
        super().__init__(message)
        self.kind = kind
        self.cmd = cmd
        self.stderr = stderr


#: ceph/rbd failures that an earlier state of the same run may cure: the CLI not installed yet,
#: the conf or the keyring not written yet, the cluster not bootstrapped yet (its monitors do not
#: answer).
PENDING_KINDS = ("missing-tool", "no-conf", "auth", "timeout")


def pending_cause(exc):
    """Whether ``exc`` (or what caused it) is a :class:`CephCommandError` of a
    :data:`PENDING_KINDS` kind (what a test run on a fresh host cannot know yet)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if getattr(exc, "kind", None) in PENDING_KINDS:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def failed_state(ret, exc, test):
    """
    Fill ``ret`` for a state that failed with ``exc``. In test mode a failure that an earlier
    state of the same run may cure (:func:`pending_cause`: the CLI, the conf, the keyring, the cluster
    not there yet on a fresh host) is unknown (result None), not a failure.
    """
    if test and pending_cause(exc):
        ret.update(
            result=None,
            changes={},
            comment=f"{ret['name']}: cannot be known before the earlier changes of this run (the ceph CLI, its conf, "
            f"the admin keyring, the cluster they make): {exc}",
        )
    else:
        ret.update(result=False, changes={}, comment=str(exc))
    return ret


def missing_tool_error(what, package="ceph-common"):
    """The error for a missing CLI (``kind`` missing-tool): ``what`` is missing, with the package."""
    return CephCommandError(f"{what} is missing: install the Debian package {package}", kind="missing-tool")


def conn_args(conf=None, user=None, keyring=None, cluster=None):
    """CLI arguments selecting the cluster and the cephx identity (shared by ceph and rbd)."""
    args = []
    if cluster:
        args += ["--cluster", cluster]
    if conf:
        args += ["--conf", conf]
    if user:
        args += ["--id", user.removeprefix("client.")]
    if keyring:
        args += ["--keyring", keyring]
    return args


def conn_from(opts_get, conf=None, user=None, keyring=None, cluster=None):
    """
    Fill the cephx connection from the arguments, then from config/pillar `ceph:client`
    (`opts_get` is `__salt__["config.get"]`): conf, user, keyring, cluster.
    """
    defaults = opts_get("ceph:client", {}) or {}
    return {
        "conf": conf or defaults.get("conf"),
        "user": user or defaults.get("user"),
        "keyring": keyring or defaults.get("keyring"),
        "cluster": cluster or defaults.get("cluster"),
    }


def admin_conn(opts_get, conf=None, user=None, keyring=None, cluster=None):
    """
    The admin identity for cluster changes: the arguments, then config/pillar `ceph:admin`
    (`opts_get` is `__salt__["config.get"]`; on monitors client.admin and its keyring).
    """
    defaults = opts_get("ceph:admin", {}) or {}
    given = {"conf": conf, "user": user, "keyring": keyring, "cluster": cluster}
    return {name: value or defaults.get(name) for name, value in given.items()}


def admin_cli(opts_get, conf=None, user=None, keyring=None, cluster=None, tool="ceph"):
    """``tool`` (ceph, rados or rbd) as an argument list with the admin identity of :func:`admin_conn`."""
    conn = admin_conn(opts_get, conf, user, keyring, cluster)
    cmd = [which(tool, "ceph-common"), *conn_args(**conn)]
    if tool == "ceph":
        cmd += ["--connect-timeout", "30"]
    return cmd


def which(binary, package):
    path = shutil.which(binary)
    if not path:
        raise CommandExecutionError(f"{binary} not found on PATH: install the Debian package {package}")
    return path


def classify(stderr):
    """Map a CLI's stderr to (kind, advice) an operator can act on."""
    text = stderr or ""
    low = text.lower()
    if "error calling conf_read_file" in low or "unable to open config file" in low:
        # a host whose packages came with its image has the CLI before the formula writes the conf
        return "no-conf", "the conf file is missing: the ceph formula writes it (ceph.conf from pillar)"
    if "unknown protocol 'rbd'" in low or "unknown driver 'rbd'" in low or "unknown format 'rbd'" in low:
        return "no-rbd-driver", "qemu-img has no rbd driver: install qemu-block-extra"
    if "error opening pool" in low or ("pool" in low and "does not exist" in low):
        return "no-pool", "the pool does not exist: create it (ceph.pools) or fix the pool name"
    if (
        "couldn't connect to the cluster" in low
        or "handle_auth_bad_method" in low
        or ("keyring" in low and "not found" in low)
    ):
        return "auth", "cephx authentication failed: check the user, its keyring and the conf (mon_host)"
    if "operation not permitted" in low or "permission denied" in low:
        return "caps", "the cephx user lacks the caps for this (e.g. osd 'profile rbd pool=POOL')"
    if "timed out" in low or ("monclient" in low and "timeout" in low):
        return "timeout", "the monitors did not answer: check mon_host in the conf and the network"
    if "no such file or directory" in low:
        return "not-found", "not found"
    if "image is busy" in low or "has watchers" in low or "device or resource busy" in low:
        return "busy", "the image is in use (watchers): stop its clients first"
    return None, None


def run(cmd, timeout=DEFAULT_TIMEOUT, check=True, env=None):
    """Run an argument list; return (rc, stdout, stderr). Raises CephCommandError when check."""
    if not isinstance(cmd, list | tuple):
        raise SaltInvocationError("commands are argument lists")
    try:
        proc = subprocess.run(  # noqa: S603 - argument list, no shell
            list(cmd), capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise CephCommandError(
            f"{os.path.basename(cmd[0])} timed out after {timeout} s: {' '.join(cmd)}",
            kind="timeout",
            cmd=cmd,
        ) from exc
    except FileNotFoundError as exc:
        package = "qemu-utils" if os.path.basename(cmd[0]).startswith("qemu") else "ceph-common"
        raise missing_tool_error(f"{cmd[0]} (not found)", package) from exc
    if check and proc.returncode != 0:
        raise error_for(cmd, proc.returncode, proc.stderr)
    return proc.returncode, proc.stdout, proc.stderr


_CONN_OPTS = {"--conf", "--id", "--keyring", "--cluster", "--connect-timeout", "-f", "-O", "--format"}


def command_label(cmd):
    """`rbd snap protect` for a command line: the program and its first words, no options."""
    words, skip = [], False
    for arg in cmd[1:]:
        if skip:
            skip = False
            continue
        if arg in _CONN_OPTS:
            skip = True
            continue
        if arg.startswith("-") or "/" in arg or ":" in arg:
            continue
        words.append(arg)
        if len(words) == 2:
            break
    return " ".join([os.path.basename(cmd[0]), *words])


def error_for(cmd, rc, stderr):
    kind, advice = classify(stderr)
    # Drop librados' timestamped debug lines; keep the tool's own last words.
    lines = [ln.strip() for ln in (stderr or "").strip().splitlines() if ln.strip()]
    own = [ln for ln in lines if not ln[:4].isdigit()] or lines
    msg = f"{command_label(cmd)} failed (rc {rc}): {' '.join(own[-2:])}"
    if advice:
        msg += f" -- {advice}"
    return CephCommandError(msg, kind=kind, cmd=cmd, stderr=stderr)


def run_json(cmd, timeout=DEFAULT_TIMEOUT):
    _, out, _ = run(list(cmd) + ["--format", "json"], timeout=timeout)
    out = out.strip()
    return json.loads(out) if out else None


def _qemu_escape(value):
    return str(value).replace("\\", "\\\\").replace(":", "\\:").replace("@", "\\@")


def qemu_rbd_target(pool, image, conf=None, user=None, keyring=None, cluster=None, snap=None):
    """qemu's `rbd:` filename: rbd:pool/image[@snap][:id=..][:keyring=..][:conf=..]."""
    target = f"rbd:{_qemu_escape(pool)}/{_qemu_escape(image)}"
    if snap:
        target += f"@{_qemu_escape(snap)}"
    if user:
        target += f":id={_qemu_escape(user.removeprefix('client.'))}"
    if keyring:
        target += f":keyring={_qemu_escape(keyring)}"
    if conf:
        target += f":conf={_qemu_escape(conf)}"
    if cluster and not conf:
        target += f":conf={_qemu_escape(f'/etc/ceph/{cluster}.conf')}"
    return target


def rbd_location(fsid, pool, image, snap):
    """Glance's rbd store location: rbd://FSID/POOL/IMAGE/SNAP."""
    return f"rbd://{fsid}/{pool}/{image}/{snap}"


def parse_rbd_location(url):
    """Inverse of rbd_location; returns a dict or None when the URL is not an rbd:// location."""
    if not url or not url.startswith("rbd://"):
        return None
    parts = url[len("rbd://") :].split("/")
    if len(parts) != 4 or not all(parts):
        return None
    return dict(zip(("fsid", "pool", "image", "snap"), parts, strict=True))


def image_id_for(name, generation=0):
    """The Glance image id used for image `name` (uuid5; `generation` > 0 after an id was burnt)."""
    key = name if generation == 0 else f"{name}\0{generation}"
    return str(uuid.uuid5(IMAGE_ID_NAMESPACE, key))
