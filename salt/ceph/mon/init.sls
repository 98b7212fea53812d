{#- A monitor from pillar keys (mon. and client.admin), no ceph-deploy/cephadm: monmap, mkfs
    once (guarded by the mon's `done` file), then the systemd unit ceph-mon@ID. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set mon = settings.mon %}
{%- set mon_dir = settings.data_dir ~ '/mon/' ~ settings.cluster ~ '-' ~ mon.id %}
{%- set tmp = settings.data_dir ~ '/tmp' %}
include:
  - {{ tplroot }}.client

ceph-mon-pkgs-installed:
  pkg.installed:
    - pkgs: {{ settings.pkgs.mon | json }}
    - require:
      - file: ceph-client-conf-managed

ceph-mon-bootstrap-keyring-managed:
  file.managed:
    - name: {{ tmp }}/{{ settings.cluster }}.mon.keyring
    - contents: |
        [mon.]
        key = {{ settings['keys'].mon }}
        caps mon = "allow *"
        [client.admin]
        key = {{ settings['keys'].admin }}
        caps mon = "allow *"
        caps osd = "allow *"
        caps mds = "allow *"
        caps mgr = "allow *"
        [client.bootstrap-osd]
        key = {{ settings['keys'].bootstrap_osd }}
        caps mon = "allow profile bootstrap-osd"
    - user: {{ settings.user }}
    - group: {{ settings.group }}
    - mode: '0600'
    - makedirs: True
    - show_changes: False
    - require:
      - pkg: ceph-mon-pkgs-installed

ceph-mon-mkfs:
  cmd.run:
    - name: >-
        monmaptool --create --fsid {{ settings.fsid }} --addv {{ mon.id }}
        [v2:{{ mon.addr }}:3300,v1:{{ mon.addr }}:6789] --clobber {{ tmp }}/monmap
        && ceph-mon --cluster {{ settings.cluster }} --mkfs -i {{ mon.id }}
        --monmap {{ tmp }}/monmap --keyring {{ tmp }}/{{ settings.cluster }}.mon.keyring
        --setuser {{ settings.user }} --setgroup {{ settings.group }}
        && touch {{ mon_dir }}/done && chown {{ settings.user }}:{{ settings.group }} {{ mon_dir }}/done
    - creates: {{ mon_dir }}/done
    - require:
      - file: ceph-mon-bootstrap-keyring-managed

ceph-mon-service-running:
  service.running:
    - name: ceph-mon@{{ mon.id }}
    - enable: True
    - require:
      - cmd: ceph-mon-mkfs
    - watch:
      - file: ceph-client-conf-managed

ceph-mon-quorum-waited:
  cmd.run:
    - name: >-
        timeout 120 sh -c 'until {{ settings.cli }} quorum_status >/dev/null 2>&1; do sleep 1; done'
    - unless: {{ settings.cli }} quorum_status
    - require:
      - service: ceph-mon-service-running
