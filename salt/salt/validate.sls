{#- Runs before anything else in the run (order 1) and stops it on a bad pillar (failhard). #}
salt-pillar-schema-validated:
  pillar_schema.validated:
    - name: salt
    - order: 1
    - failhard: True
