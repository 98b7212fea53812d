{#- Runs before anything else in the run (order 1) and stops it on a bad pillar (failhard).
    The schema is rendered here, and under salt-ssh the data too (rendered on the master), so
    the check works the same on hosts that have neither the formula files nor our pillar in
    their modules. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- import_yaml tplroot ~ '/schema.yaml' as schema %}
ceph-pillar-schema-validated:
  pillar_schema.validated:
    - name: ceph
    - schema: {{ schema | json }}
{%- if opts.get('__master_opts__') %}
    {#- salt-ssh: rendered on the master, and the target's modules see no pillar. On a minion
        the state reads its own pillar, so the rendered SLS carries none of its secrets. #}
    - data: {{ salt['pillar.get']('ceph', {}) | json }}
{%- endif %}
    - order: 1
    - failhard: True
