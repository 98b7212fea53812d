{#- Runs before anything else in the run (order 1) and stops it on a bad pillar (failhard). #}
ceph-pillar-schema-validated:
  pillar_schema.validated:
    - name: ceph
    - order: 1
    - failhard: True
