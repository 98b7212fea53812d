{#- Undo the formula in reverse order: the listed image properties, aggregates and flavors.
    Images themselves are never deleted here. #}
include:
  - .images.clean
  - .aggregates.clean
  - .flavors.clean
