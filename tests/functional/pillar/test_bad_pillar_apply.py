"""
The bad-pillar corpus on the real state system: a case, applied for real with
`state.apply <formula>` (masterless, the repository's own file roots, the case as a pillar
override), is stopped by the formula's first state, its validate.sls (order 1, failhard): that
state is the only one that runs, it fails naming the key path, and it never prints the value
planted in the case. Cases marked `stops_at_render_of` break the render of that SLS first
(map.jinja or an SLS writing the value unquoted): no state runs at all, and the render error
does not print the value either.

All cases run in one Salt process, but at 0.4-1 s each (render of the whole formula) the 224
take ~4 min on this 2-core machine: by default a fixed sample runs (every render-stop case, and
every 6th of the others: ~50, under a minute). STACKSALT_BAD_PILLARS=all runs them all.

Nothing is mocked: the run is a real, non-test state.apply on this host, which is why each case
is first checked against the schema library: a case the schema accepted would apply the formula
for real (install packages...), so it fails here instead of being applied.
"""

import functools
import os
import pathlib

import pytest
import yaml

from tests.support.loader import load_file

REPO = pathlib.Path(__file__).resolve().parents[3]
FULL = yaml.safe_load((REPO / "tests/unit/data/bad_pillars.yaml").read_text())
FORMULAS = ("salt", "host", "ironic", "ceph", "openstack")
if os.environ.get("STACKSALT_BAD_PILLARS") == "all":
    CORPUS = FULL
else:
    CORPUS = [
        c
        for f in FORMULAS
        for i, c in enumerate(x for x in FULL if x["formula"] == f)
        if "stops_at_render_of" in c or i % 6 == 0
    ]


schema_lib = load_file(REPO / "_utils/stacksalt_schema.py", "stacksalt_schema")
masterless = load_file(REPO / "tests/unit/pillar/masterless.py", "masterless")


@functools.cache
def _schema(formula):
    path = REPO / "salt" / formula / "schema.yaml"
    return schema_lib.load_schema(path.read_text(), source=str(path))


# The formula's own pillar.example with one bad value: a pillar under which the formula has
# many states to run (ceph: mon, mgr, osd, pools...), all stopped by the first.
ON_EXAMPLE = {
    "salt": (("minion", "master_port"), "FAKE-canary-example-salt", "salt:minion:master_port"),
    "host": (("release_file",), "FAKE-canary-example-host", "host:release_file"),
    "ironic": (("api", "port"), "FAKE-canary-example-ironic", "ironic:api:port"),
    "ceph": (("mon", "addr"), "FAKE-canary-example-ceph", "ceph:mon:addr"),
    "openstack": (
        ("flavors", "baremetal", "vcpus"),
        "FAKE-canary-example-openstack",
        "openstack:flavors:baremetal:vcpus",
    ),
}


def _on_example(formula):
    pillar = yaml.safe_load((REPO / "salt" / formula / "pillar.example").read_text())[formula]
    path, value, _ = ON_EXAMPLE[formula]
    node = pillar
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return pillar


@pytest.fixture(scope="module")
def applied(tmp_path_factory):
    """{case name: state.apply return}, plus, per formula, the apply and the low state of its
    pillar.example with one bad value."""
    calls, names = [], []
    for case in CORPUS:
        if not schema_lib.validate(case["pillar"], _schema(case["formula"]), root=case["formula"]):
            continue  # reported by the test of that case, never applied
        calls.append(["state.apply", [case["formula"]], {"pillar": {case["formula"]: case["pillar"]}}])
        names.append(case["name"])
    for formula in FORMULAS:
        pillar = _on_example(formula)
        assert schema_lib.validate(pillar, _schema(formula), root=formula), "never applied when accepted"
        calls.append(["state.show_low_sls", [formula], {"pillar": {formula: pillar}}])
        names.append(f"lowstate of {formula}")
        calls.append(["state.apply", [formula], {"pillar": {formula: pillar}}])
        names.append(f"example of {formula}")
    results = masterless.run_calls(tmp_path_factory.mktemp("apply"), calls, timeout=600)
    return dict(zip(names, results, strict=True))


@pytest.mark.parametrize("formula", FORMULAS)
def test_many_states_to_run_and_only_the_validation_ran(applied, formula):
    """What failhard stops: under its example pillar with one bad value the formula compiles to
    many states, the validation first (order 1); the real run ran that one only."""
    result = applied[f"lowstate of {formula}"]
    assert result["ok"], result
    chunks = result["ret"]
    assert isinstance(chunks, list), chunks
    ids = {c["__id__"] for c in chunks}
    assert len(ids) >= 2, ids  # host: its one file; ceph: dozens
    (first,) = [c for c in chunks if c.get("order") == 1]
    assert first["__id__"] == f"{formula}-pillar-schema-validated"
    assert first["failhard"] is True
    result = applied[f"example of {formula}"]
    assert result["ok"], result
    (state,) = result["ret"].values()
    assert state["__id__"] == f"{formula}-pillar-schema-validated" and state["__run_num__"] == 0
    assert state["result"] is False and state["changes"] == {}
    _, value, where = ON_EXAMPLE[formula]
    assert f"- {where}: " in state["comment"]
    assert value not in state["comment"]


@pytest.mark.parametrize("case", CORPUS, ids=[c["name"] for c in CORPUS])
def test_bad_pillar_stops_the_real_run_in_the_first_state(applied, case):
    assert case["name"] in applied, "the schema accepts this case: it was not applied"
    result = applied[case["name"]]
    assert result["ok"], result
    ret = result["ret"]
    assert case["secret"] not in str(ret)
    if "stops_at_render_of" in case:
        # Nothing ran: Salt returns render errors instead of state results.
        assert isinstance(ret, list) and ret, ret
        assert all(e.startswith("Rendering SLS") for e in ret), ret
        assert any(case["stops_at_render_of"] in e for e in ret), ret
        return
    assert isinstance(ret, dict), f"the formula did not even render: {ret}"
    # Only the validation state ran (failhard stopped everything else), first, and failed.
    (state_key,) = ret
    state = ret[state_key]
    assert state["__id__"] == f"{case['formula']}-pillar-schema-validated", ret
    assert state["__run_num__"] == 0
    assert state["result"] is False
    assert state["changes"] == {}
    lines = state["comment"].splitlines()
    assert any(line.strip().startswith(f"- {case['error']}: ") for line in lines), state["comment"]
    assert case["secret"] not in state["comment"]
