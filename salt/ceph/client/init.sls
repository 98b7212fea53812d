{#- ceph.conf and only the keyrings this host's pillar carries: the master renders
    `ceph:keys:*` for a host only when one of its roles needs that key. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- from tplroot ~ '/monitors.jinja' import monitors with context %}
{%- set conf_settings = {} %}
{%- for key, value in settings.items() if key != 'keys' %}
{%-   do conf_settings.update({key: value}) %}
{%- endfor %}
{%- do conf_settings.update({'mon_host': monitors.mon_host}) %}
include:
  - {{ tplroot }}.validate

{%- if not settings.fsid or not (settings.mon_host or settings.mons) %}

ceph-client-cluster-unknown:
  test.fail_without_changes:
    - name: "pillar ceph:fsid and ceph:mons (or ceph:mon_host) must be set for a host with a ceph component"
    - failhard: True
    - require:
      - pillar_schema: ceph-pillar-schema-validated
{%- elif monitors.unresolved %}

ceph-client-addresses-resolved:
  test.fail_without_changes:
    - name: >-
        {{ monitors.unresolved | join(', ') }}: no address in the Salt mine for that host;
        nothing was changed. Run `salt HOST mine.update` on it (it publishes stacksalt_address),
        then apply again.
    - failhard: True
    - require:
      - pillar_schema: ceph-pillar-schema-validated
{%- endif %}

ceph-client-pkgs-installed:
  pkg.installed:
    - pkgs: {{ settings.pkgs.common | json }}
    - require:
      - pillar_schema: ceph-pillar-schema-validated

ceph-client-conf-dir-managed:
  file.directory:
    - name: {{ settings.conf_dir }}
    - user: root
    - group: root
    - mode: '0755'
    - makedirs: True
    - require:
      - pkg: ceph-client-pkgs-installed

ceph-client-conf-managed:
  file.managed:
    - name: {{ settings.conf_file }}
    - source: salt://{{ tplroot }}/files/ceph.conf.jinja
    - template: jinja
    - context:
        {#- ceph.conf holds no key: the keys stay out of this state's arguments #}
        settings: {{ conf_settings | json }}
    - user: root
    - group: root
    - mode: '0644'
    - require:
      - file: ceph-client-conf-dir-managed

{%- if settings['keys'].admin %}

ceph-client-admin-keyring-managed:
  file.managed:
    - name: {{ settings.admin_keyring }}
    {#- the key is read by the template from pillar: never in the state's arguments #}
    - source: salt://{{ tplroot }}/client/files/keyring.jinja
    - template: jinja
    - context:
        entries: [{entity: client.admin, key_pillar: "ceph:keys:admin"}]
    - user: root
    - group: root
    - mode: '0600'
    - show_changes: False
    - require:
      - file: ceph-client-conf-dir-managed
{%- endif %}

{%- for name, spec in settings.client.keyrings | dictsort %}
{%-   set key = settings['keys'].clients.get(name) %}
{%-   if key %}

ceph-client-{{ name }}-keyring-managed:
  file.managed:
    - name: {{ settings.conf_dir }}/{{ settings.cluster }}.client.{{ name }}.keyring
    - source: salt://{{ tplroot }}/client/files/keyring.jinja
    - template: jinja
    - context:
        entries: [{entity: client.{{ name }}, key_pillar: "ceph:keys:clients:{{ name }}"}]
    - user: {{ spec.get('owner', 'root') }}
    - group: {{ spec.get('group', 'root') }}
    - mode: '{{ spec.get('mode', '0640') }}'
    - show_changes: False
    - require:
      - file: ceph-client-conf-dir-managed
{%-   else %}

ceph-client-{{ name }}-keyring-key-missing:
  test.fail_without_changes:
    - name: "ceph:client:keyrings:{{ name }} is wanted but pillar ceph:keys:clients:{{ name }} is not set for this host"
{%-   endif %}
{%- endfor %}
