{#- Undo the formula in reverse order. Destroys data: pools, OSDs and monitors. #}
include:
  - .pools.clean
  - .keyrings.clean
  - .osd.clean
  - .mgr.clean
  - .mon.clean
  - .client.clean
