{#- Stops and removes this host's OSDs (their data is lost) and the bootstrap keyring. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- for dev in settings.osd.devices %}
{%-   set marker = settings.data_dir ~ '/osd/.stacksalt-' ~ dev.uuid %}
{%-   if salt['file.file_exists'](marker) %}
{%-     set osd_id = salt['file.read'](marker) | trim %}
ceph-osd-{{ dev.uuid }}-service-dead:
  service.dead:
    - name: ceph-osd@{{ osd_id }}
    - enable: False

ceph-osd-{{ dev.uuid }}-purged:
  cmd.run:
    - name: >-
        ceph --cluster {{ settings.cluster }} --name client.bootstrap-osd
        --keyring {{ settings.data_dir }}/bootstrap-osd/{{ settings.cluster }}.keyring
        --connect-timeout 30 osd purge {{ osd_id }} --yes-i-really-mean-it || true
    - require:
      - service: ceph-osd-{{ dev.uuid }}-service-dead

ceph-osd-{{ dev.uuid }}-data-absent:
  file.absent:
    - names:
      - {{ settings.data_dir }}/osd/{{ settings.cluster }}-{{ osd_id }}
      - {{ marker }}
{%-     if dev.get('type') == 'file' %}
      - {{ dev.path }}
{%-     endif %}
    - require:
      - cmd: ceph-osd-{{ dev.uuid }}-purged
{%-   endif %}
{%- endfor %}

ceph-osd-bootstrap-keyring-absent:
  file.absent:
    - name: {{ settings.data_dir }}/bootstrap-osd/{{ settings.cluster }}.keyring
