"""
Run on a minion host as a compromised host would: its own minion config and key, Salt's own
client, one process for many attempts (a salt-call per attempt costs seconds).

Reads a JSON list of attempts from stdin, ``[{"fun": "cp.get_file_str", "args": [...],
"kwargs": {...}}, ...]`` (or ``{"raw": {...}}``: a request load sent as it is over this host's
own authenticated channel, e.g. a ``_pillar`` request that claims another id), and prints one
JSON list of results: ``{"ret": ...}`` or
``{"error": "<exception type>: <message>"}`` per attempt. Needs nothing but Salt: it is piped
to the lab hosts' Python as it is.

    python3 hostile_probe.py /etc/salt/minion < attempts.json
"""

import json
import logging
import sys


def main(config_path):
    import salt.client

    logging.disable(logging.CRITICAL)
    attempts = json.load(sys.stdin)
    caller = salt.client.Caller(c_path=config_path)
    results = []
    for attempt in attempts:
        try:
            if "raw" in attempt:
                ret = _raw(caller.opts, attempt["raw"])
            else:
                ret = caller.cmd(attempt["fun"], *attempt.get("args", []), **attempt.get("kwargs", {}))
            json.dumps(ret)  # the return must survive the trip back
            results.append({"ret": ret})
        except Exception as exc:  # noqa: BLE001 - every refusal is a result to report
            results.append({"error": f"{type(exc).__name__}: {exc}"[:500]})
    json.dump(results, sys.stdout)


def _raw(opts, load):
    import salt.channel.client

    with salt.channel.client.ReqChannel.factory(opts) as channel:
        load = dict(load)
        load.setdefault("tok", channel.auth.gen_token(b"salt"))
        return channel.send(load, timeout=30)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/etc/salt/minion")
