{#- Runs before anything else in the run (order 1) and stops it on a bad pillar (failhard). #}
ironic-pillar-schema-validated:
  pillar_schema.validated:
    - name: ironic
    - order: 1
    - failhard: True
