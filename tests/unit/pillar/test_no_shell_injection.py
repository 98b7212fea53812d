"""
No shell injection through pillar, proved at both ends.

1. The schemas refuse hostile values (`x; touch /tmp/pwned`, `$(id)`, backticks, a newline,
   `../../etc`, a quote that closes a quoting) in every pillar key that reaches a command or a
   path, with the key path.
2. With the schemas bypassed (the SLS are only rendered: state.show_sls runs no state, so the
   validation state never runs), the formulas' commands still cannot be parsed as shell. Salt
   3008's cmd.run state always runs its command through a shell (it passes python_shell=True
   itself and refuses a python_shell argument), so every value is quoted: outside the quoted
   words a command holds only plain characters, and shlex (POSIX shell word splitting) gives
   each hostile value back as part of one word, never split. cmd.script states take their values
   as an `args` list, which Salt runs without a shell.
"""

import functools
import json
import pathlib
import re
import shlex

import pytest
import yaml

from tests.support.loader import load_file

REPO = pathlib.Path(__file__).resolve().parents[3]


schema_lib = load_file(REPO / "_utils/stacksalt_schema.py", "stacksalt_schema")
masterless = load_file(pathlib.Path(__file__).with_name("masterless.py"), "masterless")

# (payload, marker): the marker is a piece of the payload that must never reach a command
# outside the one word that holds the whole payload.
PAYLOADS = [
    ("x; touch /tmp/pwned", "pwned"),
    ("$(id)", "(id)"),
    ("`id`", "`id"),
    ("a\nb", "\n"),
    ("../../etc", "../"),
    ("q' || touch /tmp/pwnedq '", "pwnedq"),
]
PAYLOAD_IDS = ["separator", "substitution", "backticks", "newline", "parent-dir", "quote"]
UUID = "1f3c9127-fee8-45b4-89a0-9753606ea81d"


def _set(data, path, value):
    node = data
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


# Every pillar key whose value reaches a command line or a path: (formula, key path, how the
# payload is placed in a value of the key's shape, the key path the error must name).
KEYS = [
    ("salt", ("version",), lambda p: "3008.4" + p, "salt:version"),
    ("salt", ("install", "venv"), lambda p: "/opt/" + p, "salt:install:venv"),
    ("salt", ("install", "python"), lambda p: "/usr/bin/" + p, "salt:install:python"),
    ("salt", ("install", "find_links"), lambda p: "/srv/" + p, "salt:install:find_links"),
    ("salt", ("install", "pkgs", "minion"), lambda p: "salt-minion" + p, "salt:install:pkgs:minion"),
    ("salt", ("lookup", "bin_dir"), lambda p: "/usr/" + p, "salt:lookup:bin_dir"),
    ("salt", ("lookup", "config_dir"), lambda p: "/etc/" + p, "salt:lookup:config_dir"),
    ("salt", ("lookup", "unit_dir"), lambda p: "/etc/" + p, "salt:lookup:unit_dir"),
    ("salt", ("lookup", "user"), lambda p: "root" + p, "salt:lookup:user"),
    ("salt", ("lookup", "minion", "service"), lambda p: "salt-minion" + p, "salt:lookup:minion:service"),
    ("salt", ("ssh", "key"), lambda p: "/root/" + p, "salt:ssh:key"),
    ("salt", ("ssh", "roster_file"), lambda p: "/etc/salt/" + p, "salt:ssh:roster_file"),
    ("salt", ("ssh", "user"), lambda p: "root" + p, "salt:ssh:user"),
    ("salt", ("ssh", "set_path"), lambda p: "/usr/bin:" + p, "salt:ssh:set_path"),
    ("host", ("release_file",), lambda p: "/etc/stacksalt/" + p, "host:release_file"),
    ("ironic", ("lookup", "install", "venv"), lambda p: "/opt/" + p, "ironic:lookup:install:venv"),
    ("ironic", ("lookup", "install", "python"), lambda p: "/usr/bin/" + p, "ironic:lookup:install:python"),
    ("ironic", ("lookup", "install", "version"), lambda p: "39.0.0" + p, "ironic:lookup:install:version"),
    ("ironic", ("lookup", "user"), lambda p: "ironic" + p, "ironic:lookup:user"),
    ("ironic", ("lookup", "config_dir"), lambda p: "/etc/" + p, "ironic:lookup:config_dir"),
    ("ironic", ("lookup", "state_dir"), lambda p: "/var/lib/" + p, "ironic:lookup:state_dir"),
    ("ironic", ("lookup", "libexec_dir"), lambda p: "/usr/local/" + p, "ironic:lookup:libexec_dir"),
    ("ironic", ("lookup", "unit_dir"), lambda p: "/etc/" + p, "ironic:lookup:unit_dir"),
    ("ironic", ("api", "host_ip"), lambda p: "0.0.0.0" + p, "ironic:api:host_ip"),
    (
        "ironic",
        ("enabled_hardware_types",),
        lambda p: ["ipmi", "redfish" + p],
        "ironic:enabled_hardware_types:1",
    ),
    (
        "ironic",
        ("enabled_interfaces", "deploy"),
        lambda p: ["direct" + p],
        "ironic:enabled_interfaces:deploy:0",
    ),
    (
        "ironic",
        ("database", "connection"),
        lambda p: "sqlite:////var/lib/ironic/" + p,
        "ironic:database:connection",
    ),
    ("ironic", ("ipxe", "http_root"), lambda p: "/var/lib/" + p, "ironic:ipxe:http_root"),
    ("ironic", ("nodes",), lambda p: [{"name": "n1", "driver": "ipmi" + p}], "ironic:nodes:0:driver"),
    ("ceph", ("cluster",), lambda p: "ceph" + p, "ceph:cluster"),
    ("ceph", ("fsid",), lambda p: UUID + p, "ceph:fsid"),
    ("ceph", ("mon", "id"), lambda p: "ceph1" + p, "ceph:mon:id"),
    ("ceph", ("mon", "addr"), lambda p: "10.0.0.1" + p, "ceph:mon:addr"),
    ("ceph", ("mgr", "id"), lambda p: "ceph1" + p, "ceph:mgr:id"),
    ("ceph", ("lookup", "conf_dir"), lambda p: "/etc/" + p, "ceph:lookup:conf_dir"),
    ("ceph", ("lookup", "data_dir"), lambda p: "/var/lib/" + p, "ceph:lookup:data_dir"),
    ("ceph", ("lookup", "user"), lambda p: "ceph" + p, "ceph:lookup:user"),
    (
        "ceph",
        ("osd", "devices"),
        lambda p: [{"uuid": UUID, "type": "device", "path": "/dev/" + p}],
        "ceph:osd:devices:0:path",
    ),
    # nova.tuning: paths of files (and nova.conf values, one line each)
    (
        "nova",
        ("lookup", "tuning", "files", "grub"),
        lambda p: "/etc/default/grub.d/" + p,
        "nova:lookup:tuning:files:grub",
    ),
    (
        "nova",
        ("lookup", "tuning", "files", "modprobe"),
        lambda p: "/etc/" + p,
        "nova:lookup:tuning:files:modprobe",
    ),
    ("nova", ("tuning", "cpu_shared_set"), lambda p: "0-1" + p, "nova:tuning:cpu_shared_set"),
    ("nova", ("tuning", "hugepages", "size"), lambda p: "2M" + p, "nova:tuning:hugepages:size"),
]


@functools.cache
def _schema(formula):
    path = REPO / "salt" / formula / "schema.yaml"
    return schema_lib.load_schema(path.read_text(), source=str(path))


@pytest.mark.parametrize("payload", [p for p, _ in PAYLOADS], ids=PAYLOAD_IDS)
@pytest.mark.parametrize("formula,path,shape,where", KEYS, ids=[k[3] for k in KEYS])
def test_schema_refuses_the_attack_with_the_key_path(formula, path, shape, where, payload):
    data = {}
    _set(data, path, shape(payload))
    errors = schema_lib.validate(data, _schema(formula), root=formula)
    assert any(e.startswith(where + ": ") for e in errors), errors
    assert not any(payload in e for e in errors), errors


def test_schema_refuses_a_hostile_pool_name_without_printing_it():
    errors = schema_lib.validate(
        {"pools": {"items": {"x; touch /tmp/pwned": {}}}}, _schema("ceph"), root="ceph"
    )
    assert errors == [
        "ceph:pools:items: key <key not shown>: a name: lower-case letters, digits, '_' and '-'"
    ]


# --- the render side ----------------------------------------------------------------------------


# What each formula's render gets: a pillar holding the payload in every key that reaches a
# command, and the SLS that hold cmd states (ceph.osd: another component's own tests).
def _salt_pillar(p):
    return {
        "salt": {
            "version": "3008.4" + p,
            "install": {
                "method": "pip",
                "venv": "/opt/" + p,
                "python": "/usr/bin/" + p,
                "find_links": "/srv/" + p,
            },
            "lookup": {"bin_dir": "/usr/" + p, "config_dir": "/etc/" + p, "minion": {"service": "m" + p}},
            "ssh": {"key": "/root/" + p, "roster": {}},
        }
    }


def _ironic_pillar(p):
    return {
        "ironic": {
            "lookup": {
                "install": {
                    "method": "pip",
                    "venv": "/opt/" + p,
                    "python": "/usr/bin/" + p,
                    "version": "1" + p,
                },
                "user": "u" + p,
                "config_dir": "/etc/" + p,
                "libexec_dir": "/usr/" + p,
            },
            "api": {"port": 6385},
            "enabled_hardware_types": ["ipmi", "h" + p],
            "database": {"connection": "sqlite:////var/lib/" + p},
        }
    }


def _ceph_pillar(p):
    # A newline in the pool name (a state ID) or in the keys ceph.client writes unquoted (cluster,
    # conf_dir) breaks the YAML of the render: nothing runs at all. That payload goes into the
    # other keys only.
    nl = "\n" in p
    return {
        "ceph": {
            "cluster": "c" + ("" if nl else p),
            "fsid": UUID + p,
            "lookup": {
                "conf_dir": "/etc/" + ("nl" if nl else p),
                "data_dir": "/var/" + p,
                "user": "u" + p,
                "group": "g" + p,
            },
            "mon": {"enabled": True, "id": "m" + p, "addr": "10.0.0.1" + p},
            "mgr": {"enabled": True, "id": "g" + p},
            "pools": {
                "enabled": True,
                "items": {"pool" + ("-nl" if nl else p): {"pg_num": 8, "size": 1, "min_size": 1}},
            },
            "keys": {"mon": "k", "admin": "k", "bootstrap_osd": "k"},
        }
    }


def _nova_pillar(p):
    # nova.tuning's commands (update-grub) are fixed words: no pillar value reaches them, the
    # payload goes into the paths of the files next to them
    return {
        "nova": {
            "lookup": {
                "tuning": {"files": {"grub": "/etc/" + p, "tmpfiles": "/etc/" + p, "modprobe": "/etc/" + p}}
            },
            "tuning": {"enabled": True, "hugepages": {"count": 8}, "ksm": False, "kvm_intel": {"ept": True}},
        }
    }


RENDERS = {
    "salt": (_salt_pillar, ["salt.install", "salt.ssh", "salt.minion.service", "salt.minion.clean"]),
    "ironic": (_ironic_pillar, ["ironic"]),
    "ceph": (_ceph_pillar, ["ceph.mon", "ceph.mgr", "ceph.pools", "ceph.pools.clean"]),
    "nova": (_nova_pillar, ["nova.tuning", "nova.tuning.clean"]),
}
# Formulas whose commands take no pillar value at all: the payload must reach none of them.
FIXED_COMMANDS = {"nova"}

# A shell treats none of these specially outside quotes (shlex.quote leaves them bare).
PLAIN = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./ -")


def _shell_syntax(command):
    """The characters of ``command`` a POSIX shell would interpret: those outside single quotes
    and outside shlex.quote's "'" (a double-quoted single quote, in which nothing expands)."""
    syntax, i = [], 0
    while i < len(command):
        if command[i] == "'":
            end = command.index("'", i + 1)
            i = end + 1
        elif command.startswith('"\'"', i):
            i += 3
        else:
            if command[i] not in PLAIN:
                syntax.append(command[i])
            i += 1
    return syntax


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """{(formula, payload): show_sls result}, all from one Salt process."""
    calls, keys = [], []
    for formula, (pillar, sls) in RENDERS.items():
        for payload, _ in PAYLOADS:
            calls.append(["state.show_sls", [",".join(sls)], {"pillar": pillar(payload)}])
            keys.append((formula, payload))
    results = masterless.run_calls(tmp_path_factory.mktemp("render"), calls)
    return dict(zip(keys, results, strict=True))


def _cmd_states(states):
    """(state id, function, {arg: value}) of every cmd state in a show_sls result."""
    found = []
    for state_id, body in states.items():
        for module, args in body.items():
            if module != "cmd" or not isinstance(args, list):
                continue
            fun = next(a for a in args if isinstance(a, str))
            kwargs = {k: v for a in args if isinstance(a, dict) for k, v in a.items()}
            found.append((state_id, fun, kwargs))
    return found


def _shell_strings(kwargs):
    for key in ("unless", "onlyif"):
        value = kwargs.get(key)
        for entry in value if isinstance(value, list) else [value] if value else []:
            assert isinstance(entry, str), f"{key}: {entry!r}"
            yield key, entry


def _check_shell_string(where, command, payload, marker):
    """The command cannot be parsed as anything but words; the payload stays in one word."""
    assert not _shell_syntax(command), f"{where}: shell syntax outside quotes: {command!r}"
    words = shlex.split(command)
    for word in words:
        if marker in word:
            assert payload in word, f"{where}: {payload!r} split across words: {words}"
    return any(payload in word for word in words)


@pytest.mark.parametrize("payload,marker", PAYLOADS, ids=PAYLOAD_IDS)
@pytest.mark.parametrize("formula", sorted(RENDERS))
def test_rendered_commands_keep_hostile_values_in_one_word(rendered, formula, payload, marker):
    result = rendered[(formula, payload)]
    assert result["ok"], result
    states = result["ret"]
    if isinstance(states, list) and "\n" in payload:
        # A newline in a value written unquoted into an SLS breaks its YAML: the render fails,
        # so no state of the formula runs at all.
        assert states and all(e.startswith("Rendering SLS") for e in states), states
        return
    assert isinstance(states, dict), f"render failed: {states}"
    cmds = _cmd_states(states)
    assert cmds, "no cmd state rendered: the test would prove nothing"
    reached = 0
    for state_id, fun, kwargs in cmds:
        assert "python_shell" not in kwargs, f"{state_id}: Salt's cmd states refuse python_shell"
        assert "shell" not in kwargs, f"{state_id}: a shell of its own"
        if fun == "script":
            # Salt runs a script given `args` as a list without a shell (cmdmod.script).
            args = kwargs["args"]
            assert isinstance(args, list) and all(isinstance(a, str) for a in args), (state_id, args)
            assert kwargs["source"].startswith("salt://") and marker not in kwargs["source"]
            reached += any(payload in a for a in args)
            for arg in args:
                if marker in arg:
                    assert payload in arg, (state_id, args)
        else:
            assert fun in ("run", "wait"), (state_id, fun)
            reached += _check_shell_string(f"{state_id} name", kwargs["name"], payload, marker)
        for key, command in _shell_strings(kwargs):
            reached += _check_shell_string(f"{state_id} {key}", command, payload, marker)
    if formula in FIXED_COMMANDS:
        assert not reached, "a pillar value reached a command of a formula whose commands are fixed"
        return
    assert reached, "the payload reached no command: the pillar keys of this test went stale"


def test_every_cmd_state_of_the_formulas_is_rendered(rendered):
    """The renders above cover every cmd state in the formulas (salt/ceph/osd, salt/salt/master
    excepted: other components), so a new command cannot escape this test."""
    declared = set()
    for sls in (REPO / "salt").rglob("*.sls"):
        rel = sls.relative_to(REPO / "salt").as_posix()
        if rel.startswith(("ceph/osd/", "salt/master/", "reactor/")):
            continue
        text = sls.read_text()
        for match in re.finditer(r"^([^\s#{][^\n]*):\n  cmd\.(run|script|wait):", text, re.M):
            declared.add(re.sub(r"\{\{.*?\}\}", "*", match.group(1)))
    seen = set()
    for (_formula, payload), result in rendered.items():
        if payload == PAYLOADS[0][0]:
            seen.update(state_id for state_id, _, _ in _cmd_states(result["ret"]))
    missing = [
        d for d in declared if not any(re.fullmatch(re.escape(d).replace(r"\*", ".*"), s) for s in seen)
    ]
    assert declared and not missing, f"cmd states not covered: {missing}"


def test_python_shell_false_is_refused_by_salts_cmd_run(tmp_path):
    """Why the formulas quote instead: a cmd.run state with python_shell False fails in Salt
    3008 (the state passes python_shell=True to cmd.run_all itself)."""
    (result,) = masterless.run_calls(
        tmp_path, [["state.single", ["cmd.run"], {"name": "true", "python_shell": False}]]
    )
    assert result["ok"], result
    (ret,) = result["ret"].values()
    assert ret["result"] is False
    assert "multiple values for keyword argument 'python_shell'" in ret["comment"]


def test_hostile_values_never_reach_a_shell_when_really_run(tmp_path):
    """End to end on this host, no schema: a cmd.run built like the formulas' (quote filter)
    with a hostile value runs it as one argument and creates nothing."""
    pwned = tmp_path / "pwned"
    payload = f"x; touch {pwned}; $(touch {pwned}) `touch {pwned}`"
    sls = tmp_path / "roots" / "inj.sls"
    sls.parent.mkdir()
    sls.write_text(
        "{%- set value = salt['pillar.get']('value') %}\n"
        "inj-echoed:\n  cmd.run:\n"
        "    - name: {{ ['printf', '%s', value] | map('quote') | join(' ') | json }}\n"
    )
    config = masterless.minion_config(tmp_path)
    data = json.loads(config.read_text())
    data["file_roots"] = {"base": [str(sls.parent)]}
    config.write_text(json.dumps(data))
    import subprocess
    import sys

    proc = subprocess.run(  # noqa: S603 - fixed argument list
        [sys.executable, masterless.__file__, str(config)],
        input=json.dumps([["state.apply", ["inj"], {"pillar": {"value": payload}}]]),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    (result,) = json.loads(proc.stdout)
    (ret,) = result["ret"].values()
    assert ret["result"] is True, ret
    assert ret["changes"]["stdout"] == payload
    assert not pwned.exists()
    assert yaml.safe_load(json.dumps(ret["changes"]))["retcode"] == 0
