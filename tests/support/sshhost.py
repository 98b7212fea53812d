"""
A real ssh target host for salt-ssh tests: sshd in its own network namespace with its own
address on a veth pair, made and removed by the fixture. The host shares this machine's
filesystem (it stands for a host without a minion, reached only over ssh).
"""

import os
import pathlib
import shutil
import socket
import subprocess
import time

from tests.support.processes import stop_process

SSHD = "/usr/sbin/sshd"


def _run(*cmd):
    subprocess.run(cmd, check=True, capture_output=True, text=True)  # noqa: S603 - argument list


def remove_stale_hosts():
    """Remove the namespaces of earlier runs that were killed before their teardown.

    A namespace of ours with no process in it has no sshd: it is left over, and its veth
    still holds a route that would send this run's connections into it.
    """
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)  # noqa: S603,S607
    for line in listing.stdout.splitlines():
        netns = line.split()[0] if line.split() else ""
        if not netns.startswith("stacksalt-"):
            continue
        pids = subprocess.run(["ip", "netns", "pids", netns], capture_output=True, text=True, check=False)  # noqa: S603,S607
        if pids.returncode == 0 and not pids.stdout.strip():
            subprocess.run(["ip", "netns", "del", netns], capture_output=True, check=False)  # noqa: S603,S607


def free_subnet(prefix="10.231"):
    """A /30 no interface of this machine uses, so concurrent runs never share a route."""
    used = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True, check=True).stdout  # noqa: S603,S607
    start = os.getpid() % 250
    for step in range(250):
        subnet = f"{prefix}.{(start + step) % 250 + 1}"
        if f" {subnet}." not in used:
            return subnet
    raise RuntimeError(f"no free {prefix}.N.0/30 for an ssh test host: `ip -4 addr` lists them all")


class SshHost:
    def __init__(self, workdir, name="edge1", subnet=None, index=0):
        self.workdir = pathlib.Path(workdir)
        remove_stale_hosts()
        subnet = subnet or free_subnet()
        tag = f"{os.getpid() % 10000}{index}"
        self.netns = f"stacksalt-{name}-{tag}"
        self.host_if = f"ssh{tag}h"[:15]
        self.peer_if = f"ssh{tag}p"[:15]
        self.host_ip = f"{subnet}.1"
        self.address = f"{subnet}.2"
        self.proc = None
        self.authorized_keys = self.workdir / "authorized_keys"
        self.host_key = self.workdir / "ssh_host_ed25519_key"

    def start(self, timeout=60):
        for tool in (SSHD, shutil.which("ip"), shutil.which("ssh-keygen")):
            if not tool or not os.path.exists(tool):
                raise RuntimeError(f"ssh test host needs {tool or 'ip/ssh-keygen'}: run tools/bootstrap")
        self.workdir.mkdir(parents=True, exist_ok=True)
        _run("ip", "netns", "add", self.netns)
        _run("ip", "link", "add", self.host_if, "type", "veth", "peer", "name", self.peer_if)
        _run("ip", "link", "set", self.peer_if, "netns", self.netns)
        _run("ip", "addr", "add", f"{self.host_ip}/30", "dev", self.host_if)
        _run("ip", "link", "set", self.host_if, "up")
        _run(
            "ip", "netns", "exec", self.netns, "ip", "addr", "add", f"{self.address}/30", "dev", self.peer_if
        )
        _run("ip", "netns", "exec", self.netns, "ip", "link", "set", self.peer_if, "up")
        _run("ip", "netns", "exec", self.netns, "ip", "link", "set", "lo", "up")
        _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.host_key))
        self.authorized_keys.touch(mode=0o600)
        config = self.workdir / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    f"ListenAddress {self.address}",
                    "Port 22",
                    f"HostKey {self.host_key}",
                    f"PidFile {self.workdir / 'sshd.pid'}",
                    f"AuthorizedKeysFile {self.authorized_keys}",
                    "PermitRootLogin prohibit-password",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "UsePAM no",
                    "StrictModes no",
                    "",
                ]
            )
        )
        os.makedirs("/run/sshd", exist_ok=True)
        self.proc = subprocess.Popen(  # noqa: S603 - argument list
            ["ip", "netns", "exec", self.netns, SSHD, "-D", "-e", "-f", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.workdir / "sshd.log", "wb"),  # noqa: SIM115 - closed with the process
            start_new_session=True,  # its group holds the per-connection sshd children too
        )
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sshd exited: {(self.workdir / 'sshd.log').read_text()}")
            try:
                with socket.create_connection((self.address, 22), timeout=2):
                    return self
            except OSError as exc:
                last_error = exc
                time.sleep(0.2)
        raise RuntimeError(
            f"sshd on {self.address}:22 did not answer within {timeout}s (last: {last_error})\n"
            + self.diagnostics()
        )

    def diagnostics(self):
        """What an operator would look at when the host does not answer: routes, links, sockets."""
        checks = (
            ("ip", "route", "get", self.address),
            ("ip", "-br", "addr"),
            ("ip", "netns", "exec", self.netns, "ip", "-br", "addr"),
            ("ip", "netns", "exec", self.netns, "ss", "-ltn"),
        )
        lines = []
        for cmd in checks:
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
            lines.append(f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
        log = self.workdir / "sshd.log"
        lines.append(f"sshd.log:\n{log.read_text() if log.exists() else '(none)'}")
        return "\n".join(lines)

    def known_hosts_line(self):
        key = (self.workdir / "ssh_host_ed25519_key.pub").read_text().split()
        return f"{self.address} {key[0]} {key[1]}\n"

    def authorize(self, public_key_text):
        self.authorized_keys.write_text(public_key_text)

    def stop(self):
        stop_process(self.proc, timeout=10)
        subprocess.run(["ip", "link", "del", self.host_if], capture_output=True)  # noqa: S603,S607
        subprocess.run(["ip", "netns", "del", self.netns], capture_output=True)  # noqa: S603,S607
