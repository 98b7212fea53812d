#!/usr/bin/python3
"""
Wait until the Ironic API at URL answers and lists every given hardware type, that is, a
conductor has registered them (managed by Salt: stacksalt ironic formula).

usage: drivers-registered [--config IRONIC_CONF] URL SECONDS HARDWARE_TYPE...
(exit 0: all listed; 1: not in time). SECONDS 0 checks once: the formula's `unless`, so
test=True sees a converged host as converged. With --config and `auth_strategy = keystone`
there, it asks with a token of the service user of `[keystone_authtoken]` (read from the
file, never from the command line).
"""

import configparser
import json
import sys
import time
import urllib.request


def keystone_token(config_path):
    """A token for the service user of ironic.conf, or None when the API takes no token."""
    if not config_path:
        return None
    conf = configparser.ConfigParser(interpolation=None, strict=False)
    conf.read(config_path)
    if conf.get("DEFAULT", "auth_strategy", fallback="noauth") != "keystone":
        return None
    auth = conf["keystone_authtoken"]
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": auth["username"],
                        "domain": {"name": auth.get("user_domain_name", "Default")},
                        # oslo.config writes a literal $ as $$
                        "password": auth["password"].replace("$$", "$"),
                    }
                },
            },
            "scope": {
                "project": {
                    "name": auth["project_name"],
                    "domain": {"name": auth.get("project_domain_name", "Default")},
                }
            },
        }
    }
    request = urllib.request.Request(
        auth["auth_url"].rstrip("/") + "/auth/tokens",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - a URL from ironic.conf
        return response.headers["X-Subject-Token"]


def listed_types(url, token):
    headers = {"X-OpenStack-Ironic-API-Version": "1.78"}
    if token:
        headers["X-Auth-Token"] = token
    request = urllib.request.Request(url.rstrip("/") + "/v1/drivers", headers=headers)
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - a URL from pillar
        return {driver["name"] for driver in json.load(response)["drivers"]}


def main(url, seconds, *wanted, config=None):
    deadline = time.monotonic() + float(seconds)
    missing, error, token = set(wanted), None, None
    while True:
        try:
            token = token or keystone_token(config)
            missing = set(wanted) - listed_types(url, token)
            error = None
        except (OSError, ValueError, KeyError) as exc:
            error = exc
        if not missing and error is None:
            return 0
        if time.monotonic() >= deadline:
            break
        time.sleep(1)
    why = f"the API did not answer ({error})" if error else f"not registered: {', '.join(sorted(missing))}"
    print(f"Ironic at {url} after {seconds} s: {why}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    args = sys.argv[1:]
    config = None
    if args[:1] == ["--config"]:
        config, args = args[1], args[2:]
    if len(args) < 3:
        sys.exit(__doc__)
    sys.exit(main(*args, config=config))
