{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - .service

{%- set allowed_file = settings.master['keys'].allowed_file %}

# The allow-list the salt/auth reactor (runner stacksalt_keys) reads for every pending key:
# a file, so changing it takes effect without restarting the master. Fingerprints are public.
salt-master-keys-allowed-file-managed:
  file.serialize:
    - name: {{ allowed_file }}
    - serializer: yaml
    - user: {{ settings.user }}
    - group: {{ settings.group }}
    - mode: '0640'
    - makedirs: True
    - dataset: {{ settings.master['keys'].allowed | json }}
    - require:
      - pillar_schema: salt-pillar-schema-validated

# Accept a pending minion key only when its id is allowed and its fingerprint matches the
# one recorded in pillar (salt:master:keys:allowed); everything else stays pending.
salt-master-keys-policy-enforced:
  salt_key_policy.enforced:
    - allowed: {{ settings.master['keys'].allowed | json }}
    - config_dir: {{ settings.master.config_dir }}
    - require:
      - service: salt-master-service-running
