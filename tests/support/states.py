"""Helpers to read state.apply returns."""


def failed(states):
    return {k: v for k, v in states.items() if v["result"] is False}


def changed(states):
    return {k: v for k, v in states.items() if v["changes"]}


def summarize(states):
    lines = []
    for key, value in sorted(states.items(), key=lambda kv: kv[1].get("__run_num__", 0)):
        mark = {True: "ok", False: "FAILED", None: "pending"}[value["result"]]
        change = " (changed)" if value["changes"] else ""
        lines.append(f"{mark:8} {value.get('__id__', key)}{change}: {str(value['comment'])[:200]}")
    return "\n".join(lines)
