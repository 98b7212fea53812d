{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set mgr_dir = settings.data_dir ~ '/mgr/' ~ settings.cluster ~ '-' ~ settings.mgr.id %}
{#- The ceph CLI as arguments: the script gets it as argv (cmd.script with `args` runs no shell). #}
{%- set cli_args = ['ceph', '--cluster', settings.cluster, '--conf', settings.conf_file,
                    '--keyring', settings.admin_keyring, '--connect-timeout', '30'] %}
include:
  - {{ tplroot }}.client

ceph-mgr-pkgs-installed:
  pkg.installed:
    - pkgs: {{ settings.pkgs.mgr | json }}
    - require:
      - file: ceph-client-conf-managed

ceph-mgr-data-dir-managed:
  file.directory:
    - name: {{ mgr_dir | json }}
    - user: {{ settings.user | json }}
    - group: {{ settings.group | json }}
    - mode: '0750'
    - makedirs: True
    - require:
      - pkg: ceph-mgr-pkgs-installed

ceph-mgr-keyring-created:
  cmd.script:
    - source: salt://{{ tplroot }}/files/mgr-keyring.sh
    - args: {{ ([settings.mgr.id, mgr_dir ~ '/keyring', settings.user, settings.group] + cli_args) | map('string') | list | json }}
    - creates: {{ (mgr_dir ~ '/keyring') | json }}
    - require:
      - file: ceph-mgr-data-dir-managed

ceph-mgr-service-running:
  service.running:
    - name: {{ ('ceph-mgr@' ~ settings.mgr.id) | json }}
    - enable: True
    - require:
      - cmd: ceph-mgr-keyring-created
    - watch:
      - file: ceph-client-conf-managed
