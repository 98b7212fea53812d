{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - .service

# Accept a pending minion key only when its id is allowed and its fingerprint matches the
# one recorded in pillar (salt:master:keys:allowed); everything else stays pending.
salt-master-keys-policy-enforced:
  salt_key_policy.enforced:
    - allowed: {{ settings.master['keys'].allowed | json }}
    - config_dir: {{ settings.master.config_dir }}
    - require:
      - service: salt-master-service-running
