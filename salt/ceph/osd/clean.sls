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
  cmd.script:
    - source: salt://{{ tpldir }}/files/osd-purge.sh
    {#- Each value one argument (Salt splits args with shlex, no shell). #}
    - args: >-
        {{ settings.cluster | quote }} {{ osd_id | quote }}
        {{ (settings.data_dir ~ '/bootstrap-osd/' ~ settings.cluster ~ '.keyring') | quote }}
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

{#- The key a failed creation kept for its re-run (osd-create.sh). #}
ceph-osd-{{ dev.uuid }}-pending-key-absent:
  file.absent:
    - name: {{ marker }}.key
{%- endfor %}

ceph-osd-bootstrap-keyring-absent:
  file.absent:
    - name: {{ settings.data_dir }}/bootstrap-osd/{{ settings.cluster }}.keyring
