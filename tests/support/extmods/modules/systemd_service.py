"""TEST-ONLY: keeps Salt's systemd_service away from the harness's minions (see test_service.py)."""


def __virtual__():
    return (False, "disabled by the stacksalt test harness: test_service supervises services")
