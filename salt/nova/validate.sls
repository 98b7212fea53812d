{#- Runs before anything else in the run (order 1) and stops it on a bad pillar (failhard). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- import_yaml tplroot ~ '/schema.yaml' as schema %}
nova-pillar-schema-validated:
  pillar_schema.validated:
    - name: nova
    - schema: {{ schema | json }}
{%- if opts.get('__master_opts__') %}
    {#- salt-ssh: rendered on the master, and the target's modules see no pillar. On a minion
        the state reads its own pillar, so the rendered SLS carries none of its secrets. #}
    - data: {{ salt['pillar.get']('nova', {}) | json }}
{%- endif %}
    - order: 1
    - failhard: True
