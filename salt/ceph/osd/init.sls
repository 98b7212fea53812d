{#- OSDs on devices or (labs) sparse files. Each device carries a uuid from pillar: `ceph osd new`
    with that uuid and the key kept beside the marker is idempotent, a failed creation is undone
    or resumed by the next run (osd-create.sh), and a marker file per uuid (holding the OSD id)
    guards mkfs. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set boot = settings.data_dir ~ '/bootstrap-osd/' ~ settings.cluster ~ '.keyring' %}
include:
  - {{ tplroot }}.client

ceph-osd-pkgs-installed:
  pkg.installed:
    - pkgs: {{ settings.pkgs.osd | json }}
    - require:
      - file: ceph-client-conf-managed

ceph-osd-bootstrap-keyring-managed:
  file.managed:
    - name: {{ boot }}
    {#- the key is read by the template from pillar on the minion: never a state argument #}
    - source: salt://{{ tplroot }}/client/files/keyring.jinja
    - template: jinja
    - context:
        entries:
          - entity: client.bootstrap-osd
            key_pillar: "ceph:keys:bootstrap_osd"
    - user: {{ settings.user }}
    - group: {{ settings.group }}
    - mode: '0600'
    - makedirs: True
    - show_changes: False
    - require:
      - pkg: ceph-osd-pkgs-installed

{%- for dev in settings.osd.devices %}
{%-   set marker = settings.data_dir ~ '/osd/.stacksalt-' ~ dev.uuid %}

ceph-osd-{{ dev.uuid }}-created:
  cmd.script:
    - source: salt://{{ tplroot }}/files/osd-create.sh
    {#- Each value one argument (Salt splits args with shlex, no shell). #}
    - args: >-
        {{ settings.cluster | quote }} {{ dev.uuid | quote }} {{ dev.get('type', 'device') | quote }}
        {{ dev.path | quote }} {{ dev.get('size', '0') | string | quote }} {{ boot | quote }}
        {{ settings.user | quote }} {{ marker | quote }}
    - creates: {{ marker }}
    - require:
      - file: ceph-osd-bootstrap-keyring-managed
{%-   if salt['file.file_exists'](marker) %}
{%-     set osd_id = salt['file.read'](marker) | trim %}

ceph-osd-{{ dev.uuid }}-service-running:
  service.running:
    - name: ceph-osd@{{ osd_id }}
    - enable: True
    - require:
      - cmd: ceph-osd-{{ dev.uuid }}-created
    - watch:
      - file: ceph-client-conf-managed
{%-   endif %}
{%- endfor %}
