"""
The operators' 2017 backup script, as described in operator-workflows.md ("Scheduled instance
backups with rotation"), rewritten for today's APIs: run from cron once per server and type,
`backup_2017.py <server_id> <backup_name> <daily|weekly> <rotation>`, credentials from OS_*
variables, no OpenStack client: a Keystone token, then Nova's createBackup with the rotation
(Nova rotates server-side). It prints the number of HTTP requests it sent, as JSON.
"""

import datetime
import json
import os
import sys

import requests


def main(server_id, name, backup_type, rotation):
    sent = 0
    session = requests.Session()
    auth = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": os.environ["OS_USERNAME"],
                        "domain": {"name": os.environ.get("OS_USER_DOMAIN_NAME", "Default")},
                        "password": os.environ["OS_PASSWORD"],
                    }
                },
            },
            "scope": {
                "project": {
                    "name": os.environ["OS_PROJECT_NAME"],
                    "domain": {"name": os.environ.get("OS_PROJECT_DOMAIN_NAME", "Default")},
                }
            },
        }
    }
    resp = session.post(os.environ["OS_AUTH_URL"].rstrip("/") + "/auth/tokens", json=auth, timeout=60)
    sent += 1
    resp.raise_for_status()
    token = resp.headers["X-Subject-Token"]
    nova = next(
        e["url"]
        for s in resp.json()["token"]["catalog"]
        if s["type"] == "compute"
        for e in s["endpoints"]
        if e["interface"] == "public"
    )
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d%H%M")
    body = {
        "createBackup": {
            "name": f"{name}-{stamp}-{backup_type}",
            "backup_type": backup_type,
            "rotation": rotation,
        }
    }
    resp = session.post(
        f"{nova}/servers/{server_id}/action", json=body, headers={"X-Auth-Token": token}, timeout=60
    )
    sent += 1
    resp.raise_for_status()
    print(json.dumps({"requests": sent, "status": resp.status_code}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
