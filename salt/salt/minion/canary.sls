{#- stacksalt-canary: a service that does nothing, so that anyone can prove self-healing on
    a host end to end (`systemctl stop stacksalt-canary`; the heal beacon, the reactor and
    this component start it again). Declared in salt:minion:heal:services like any service.
    No Restart= in the unit: bringing it back is the heal's job, not systemd's. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - {{ tplroot }}.validate

salt-minion-canary-unit-managed:
  file.managed:
    - name: {{ settings.unit_dir }}/stacksalt-canary.service
    - user: root
    - group: root
    - mode: '0644'
    - makedirs: True
    - contents: |
        # Managed by stacksalt (salt.minion.canary): do not edit by hand.
        [Unit]
        Description=stacksalt canary: proves self-healing (stop it; Salt starts it again)

        [Service]
        ExecStart=/bin/sleep infinity
        User=nobody

        [Install]
        WantedBy=multi-user.target
    - require:
      - pillar_schema: salt-pillar-schema-validated

# systemd_service reloads units itself when it finds the unit file new or changed.
salt-minion-canary-service-running:
  service.running:
    - name: stacksalt-canary
    - enable: True
    - watch:
      - file: salt-minion-canary-unit-managed
