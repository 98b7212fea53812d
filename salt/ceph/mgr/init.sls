{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set mgr_dir = settings.data_dir ~ '/mgr/' ~ settings.cluster ~ '-' ~ settings.mgr.id %}
include:
  - {{ tplroot }}.client

ceph-mgr-pkgs-installed:
  pkg.installed:
    - pkgs: {{ settings.pkgs.mgr | json }}
    - require:
      - file: ceph-client-conf-managed

ceph-mgr-data-dir-managed:
  file.directory:
    - name: {{ mgr_dir }}
    - user: {{ settings.user }}
    - group: {{ settings.group }}
    - mode: '0750'
    - makedirs: True
    - require:
      - pkg: ceph-mgr-pkgs-installed

ceph-mgr-keyring-created:
  cmd.run:
    - name: >-
        {{ settings.cli }} auth get-or-create mgr.{{ settings.mgr.id }}
        mon 'allow profile mgr' osd 'allow *' mds 'allow *' -o {{ mgr_dir }}/keyring
        && chown {{ settings.user }}:{{ settings.group }} {{ mgr_dir }}/keyring && chmod 0600 {{ mgr_dir }}/keyring
    - creates: {{ mgr_dir }}/keyring
    - require:
      - file: ceph-mgr-data-dir-managed

ceph-mgr-service-running:
  service.running:
    - name: ceph-mgr@{{ settings.mgr.id }}
    - enable: True
    - require:
      - cmd: ceph-mgr-keyring-created
    - watch:
      - file: ceph-client-conf-managed
