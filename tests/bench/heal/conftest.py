"""The heal bench runs on the integration tier's reactor harness (its own master and minion)."""

from tests.integration.heal.conftest import (  # noqa: F401
    allowed_file,
    canary,
    canary_service,
    heal_beacons,
    heal_minion,
    heal_minion_dir,
    reactor_cli,
    reactor_master,
)
