host-pillar-schema-validated:
  pillar_schema.validated:
    - name: host
    - order: 1
    - failhard: True
