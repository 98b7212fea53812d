{#- The backup policies' schedule jobs removed from this minion (`instance_backup-<name>`). The
    backups themselves are images: never deleted here. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- for name in settings.backups | sort %}

openstack-backup-{{ name }}-job-absent:
  schedule.absent:
    - name: {{ ('instance_backup-' ~ name) | json }}
    - persist: True
{%- endfor %}
