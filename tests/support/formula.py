"""
A formula rendered the way a minion renders it, without daemons: ``salt-call --local
state.show_sls`` over the repository's formulas and loader modules with a given pillar, and a
file template rendered with a state's context and ``salt['pillar.get']`` over that pillar.
"""

import json
import pathlib
import subprocess
import sys

import jinja2
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]


def show_sls(tmp_path, pillar_text, sls, pillar_name=None):
    """state.show_sls SLS with this pillar (salt-call --local): {state_id: {state: [args]}}."""
    pillar_name = pillar_name or sls.split(".")[0]
    (tmp_path / "pillar").mkdir()
    (tmp_path / "pillar" / f"{pillar_name}.sls").write_text(pillar_text)
    (tmp_path / "pillar" / "top.sls").write_text(f"base:\n  '*':\n    - {pillar_name}\n")
    (tmp_path / "minion").write_text(
        yaml.safe_dump(
            {
                "file_client": "local",
                "id": "render",
                "root_dir": str(tmp_path / "root"),
                "file_roots": {"base": [str(REPO / "salt")]},
                "pillar_roots": {"base": [str(tmp_path / "pillar")]},
                "module_dirs": [str(REPO / "_modules")],
                "states_dirs": [str(REPO / "_states")],
                "utils_dirs": [str(REPO / "_utils")],
            }
        )
    )
    salt_call = pathlib.Path(sys.executable).parent / "salt-call"
    proc = subprocess.run(  # noqa: S603 - fixed argument list
        [str(salt_call), "-c", str(tmp_path), "--local", "state.show_sls", sls, "--out=json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)["local"]


def state_args(states, state_id, module=None):
    """The arguments of one state (of ``module`` when the ID holds several) as a dict."""
    (function_args,) = [
        v for k, v in states[state_id].items() if not k.startswith("__") and module in (None, k)
    ]
    args = {}
    for item in function_args:
        if isinstance(item, dict):
            args.update(item)
    return args


def render_template(formula, template, context, pillar):
    """salt/FORMULA/files/TEMPLATE with a state's ``context`` and ``salt['pillar.get']`` over ``pillar``."""

    def pillar_get(key, default=""):
        value = pillar
        for part in key.split(":"):
            if not isinstance(value, dict) or part not in value:
                return default
            value = value[part]
        return value

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(REPO / "salt" / formula / "files")))
    return env.get_template(template).render(**context, salt={"pillar.get": pillar_get})
