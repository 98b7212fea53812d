{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
ceph-mgr-service-dead:
  service.dead:
    - name: ceph-mgr@{{ settings.mgr.id }}
    - enable: False

ceph-mgr-data-absent:
  file.absent:
    - name: {{ settings.data_dir }}/mgr/{{ settings.cluster }}-{{ settings.mgr.id }}
    - require:
      - service: ceph-mgr-service-dead
