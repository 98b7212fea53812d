"""The bench nodes of the Ironic benches: fake-hardware nodes with a BMC password and one port."""


def node(prefix, i, **extra):
    """Node ``i`` of a bench: unique name, BMC address, root device and MAC for each ``i``."""
    return {
        "name": f"{prefix}-{i}",
        "driver": "fake-hardware",
        "driver_info": {
            "ipmi_address": f"10.{i // 62500}.{i // 250 % 250}.{i % 250 + 1}",
            "ipmi_password": "pw",
        },
        "properties": {"cpus": 4, "memory_mb": 12288, "local_gb": 60, "root_device": {"wwn": f"0x{i:016x}"}},
        "ports": [
            {
                "address": f"52:54:{i // 2**24 % 256:02x}:{i // 65536 % 256:02x}:{i // 256 % 256:02x}:{i % 256:02x}"
            }
        ],
        **extra,
    }
