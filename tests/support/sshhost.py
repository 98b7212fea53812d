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


class SshHost:
    def __init__(self, workdir, name="edge1", subnet="10.231.77", index=0):
        self.workdir = pathlib.Path(workdir)
        tag = f"{os.getpid() % 10000}{index}"
        self.netns = f"stacksalt-{name}-{tag}"
        self.host_if = f"ssh{tag}h"[:15]
        self.peer_if = f"ssh{tag}p"[:15]
        self.host_ip = f"{subnet}.1"
        self.address = f"{subnet}.2"
        self.proc = None
        self.authorized_keys = self.workdir / "authorized_keys"
        self.host_key = self.workdir / "ssh_host_ed25519_key"

    def start(self, timeout=15):
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
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sshd exited: {(self.workdir / 'sshd.log').read_text()}")
            try:
                with socket.create_connection((self.address, 22), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"sshd on {self.address}:22 did not answer within {timeout}s")

    def known_hosts_line(self):
        key = (self.workdir / "ssh_host_ed25519_key.pub").read_text().split()
        return f"{self.address} {key[0]} {key[1]}\n"

    def authorize(self, public_key_text):
        self.authorized_keys.write_text(public_key_text)

    def stop(self):
        stop_process(self.proc, timeout=10)
        subprocess.run(["ip", "link", "del", self.host_if], capture_output=True)  # noqa: S603,S607
        subprocess.run(["ip", "netns", "del", self.netns], capture_output=True)  # noqa: S603,S607
