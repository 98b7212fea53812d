{#- One instance_backup.policy per `openstack:backups:<name>`: a job `instance_backup-<name>` in
    the Salt schedule of the minion `run_on` names (default: this one), which backs up the
    servers the policy selects and keeps what its retention says (docs/instance-backup.md). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - {{ tplroot }}.validate
{%- for name, policy in settings.backups | dictsort %}

openstack-backup-{{ name }}-policy:
  instance_backup.policy:
    - name: {{ name | json }}
{%-   for key, value in policy | dictsort %}
    - {{ key }}: {{ value | json }}
{%-   endfor %}
{%-   if settings.cloud and 'cloud' not in policy %}
    - cloud: {{ settings.cloud | json }}
{%-   endif %}
    - require:
      - pillar_schema: openstack-pillar-schema-validated
{%- endfor %}
