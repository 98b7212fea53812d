{#- On a monitor: the cephx clients (client.glance, client.cinder, client.nova, ...) with
    least-privilege caps. Keys come from pillar `ceph:keys:clients` when set there (so the
    master can hand each key to exactly the hosts that need it), else Ceph generates them.
    The state reads a pillar key by its path, so no key is a state argument here. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - {{ tplroot }}.client

{%- for name, spec in settings.keyrings.clients | dictsort %}

ceph-keyrings-client-{{ name }}-present:
  ceph_auth.present:
    - name: client.{{ name }}
    - caps: {{ spec.caps | json }}
{%-   if settings['keys'].clients.get(name) %}
    {#- the state reads the key from pillar on the minion: the rendered SLS never holds it #}
    - key_pillar: ceph:keys:clients:{{ name }}
{%-   endif %}
    - conf: {{ settings.conf_file }}
    - keyring: {{ settings.admin_keyring }}
    - cluster: {{ settings.cluster }}
    - require:
      - file: ceph-client-conf-managed
{%-   if settings.mon.enabled %}
      - cmd: ceph-mon-quorum-waited
{%-   endif %}
{%- endfor %}
