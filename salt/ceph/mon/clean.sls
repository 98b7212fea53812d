{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
ceph-mon-service-dead:
  service.dead:
    - name: ceph-mon@{{ settings.mon.id }}
    - enable: False

ceph-mon-data-absent:
  file.absent:
    - name: {{ settings.data_dir }}/mon/{{ settings.cluster }}-{{ settings.mon.id }}
    - require:
      - service: ceph-mon-service-dead

ceph-mon-bootstrap-keyring-absent:
  file.absent:
    - name: {{ settings.data_dir }}/tmp/{{ settings.cluster }}.mon.keyring
