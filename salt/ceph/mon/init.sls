{#- A monitor from pillar keys (mon. and client.admin), no ceph-deploy/cephadm: monmap, mkfs
    once (guarded by the mon's `done` file), then the systemd unit ceph-mon@ID. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- from tplroot ~ '/monitors.jinja' import monitors with context %}
{%- set mon = dict(settings.mon, addr=monitors.addr) %}
{%- set mon_dir = settings.data_dir ~ '/mon/' ~ settings.cluster ~ '-' ~ mon.id %}
{%- set tmp = settings.data_dir ~ '/tmp' %}
{#- The ceph CLI as arguments: scripts get it as argv (cmd.script with `args` runs no shell);
    Salt runs `unless`/`onlyif` strings through a shell, so there every value is quoted. #}
{%- set cli_args = ['ceph', '--cluster', settings.cluster, '--conf', settings.conf_file,
                    '--keyring', settings.admin_keyring, '--connect-timeout', '30'] %}
{%- set cli = cli_args | map('quote') | join(' ') %}
include:
  - {{ tplroot }}.client

ceph-mon-pkgs-installed:
  pkg.installed:
    - pkgs: {{ settings.pkgs.mon | json }}
    - require:
      - file: ceph-client-conf-managed

ceph-mon-bootstrap-keyring-managed:
  file.managed:
    - name: {{ (tmp ~ '/' ~ settings.cluster ~ '.mon.keyring') | json }}
    {#- the keys are read by the template from pillar: never in the state's arguments #}
    - source: salt://{{ tplroot }}/client/files/keyring.jinja
    - template: jinja
    - context:
        entries:
          - entity: "mon."
            key_pillar: "ceph:keys:mon"
            caps:
              mon: "allow *"
          - entity: client.admin
            key_pillar: "ceph:keys:admin"
            caps: {mon: "allow *", osd: "allow *", mds: "allow *", mgr: "allow *"}
          - entity: client.bootstrap-osd
            key_pillar: "ceph:keys:bootstrap_osd"
            caps:
              mon: "allow profile bootstrap-osd"
    - user: {{ settings.user | json }}
    - group: {{ settings.group | json }}
    - mode: '0600'
    - makedirs: True
    - show_changes: False
    - require:
      - pkg: ceph-mon-pkgs-installed

ceph-mon-mkfs:
  cmd.script:
    - source: salt://{{ tplroot }}/files/mon-mkfs.sh
    - args: {{ [settings.cluster, settings.fsid, mon.id, mon.addr, tmp, settings.user, settings.group, mon_dir] | map('string') | list | json }}
    - creates: {{ (mon_dir ~ '/done') | json }}
    - require:
      - file: ceph-mon-bootstrap-keyring-managed

ceph-mon-service-running:
  service.running:
    - name: {{ ('ceph-mon@' ~ mon.id) | json }}
    - enable: True
    - require:
      - cmd: ceph-mon-mkfs
    - watch:
      - file: ceph-client-conf-managed

ceph-mon-quorum-waited:
  cmd.script:
    - source: salt://{{ tplroot }}/files/mon-quorum-wait.sh
    - args: {{ (['120'] + cli_args) | map('string') | list | json }}
    - unless: {{ (cli ~ ' quorum_status') | json }}
    - require:
      - service: ceph-mon-service-running
