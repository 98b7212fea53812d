{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set master = settings.master %}
{%- set conf_d = master.config_dir ~ '/master.d' %}
include:
  - {{ tplroot }}.install
  - .fileserver

{%- if settings.install.method == 'pkg' %}

salt-master-package-installed:
  pkg.installed:
    - name: {{ settings.install.pkgs.master }}
    - require:
      - pillar_schema: salt-pillar-schema-validated
{%- endif %}

salt-master-config-dir-managed:
  file.directory:
    - name: {{ conf_d }}
    - user: {{ settings.user }}
    - group: {{ settings.group }}
    - mode: '0750'
    - makedirs: True
    - require:
      - pillar_schema: salt-pillar-schema-validated

salt-master-config-stacksalt-managed:
  file.serialize:
    - name: {{ conf_d }}/10-stacksalt.conf
    - serializer: yaml
    - user: {{ settings.user }}
    - group: {{ settings.group }}
    - mode: '0640'
    - dataset:
        interface: {{ master.interface }}
        publish_port: {{ master.publish_port }}
        ret_port: {{ master.ret_port }}
        worker_threads: {{ master.worker_threads }}
        # Keys are accepted by the key policy (salt.master.keys), never blindly.
        auto_accept: false
        open_mode: false
        # What minions may fetch: the formulas and the view of salt.master.fileserver,
        # never the checkout (pillar/secrets). The view is links: follow them.
        file_roots:
          base: {{ master.served_file_roots | json }}
        fileserver_followsymlinks: True
        fileserver_ignoresymlinks: False
        pillar_roots:
          base: {{ master.served_pillar_roots | json }}
        file_ignore_regex: {{ master.file_ignore_regex | json }}
        # salt-ssh targets validate pillar too: ship jsonschema in the thin.
        thin_extra_mods: jsonschema,jsonschema_specifications,referencing,rpds,attrs,attr,typing_extensions
    - require:
      - file: salt-master-config-dir-managed
      - file: salt-master-fileserver-view-managed

{#- stacksalt's reactions first (self-healing, key policy), then the site's own entries. #}
{%- set reactor = [] %}
{%- if master.heal.enabled %}
{%-   do reactor.append({'salt/beacon/*/stacksalt_heal_services/*': ['salt://reactor/heal.sls']}) %}
{%-   do reactor.append({'salt/beacon/*/stacksalt_heal_files/*': ['salt://reactor/heal.sls']}) %}
{%- endif %}
{%- if master['keys'].reactor %}
{%-   do reactor.append({'salt/auth': ['salt://reactor/keys.sls']}) %}
{%- endif %}

salt-master-config-reactor-managed:
  file.serialize:
    - name: {{ conf_d }}/20-reactor.conf
    - serializer: yaml
    - user: {{ settings.user }}
    - group: {{ settings.group }}
    - mode: '0640'
    - dataset:
        reactor: {{ (reactor + master.reactor) | json }}
        runner_dirs: {{ master.served_runner_dirs | json }}
        stacksalt_heal:
          enabled: {{ master.heal.enabled | json }}
          max_heals: {{ master.heal.max_heals }}
          window: {{ master.heal.window }}
          hold: {{ master.heal.hold }}
          timeout: {{ master.heal.timeout }}
          confirm_timeout: {{ master.heal.confirm_timeout }}
        stacksalt_keys:
          allowed_file: {{ master['keys'].allowed_file | json }}
          alert_every: {{ master['keys'].alert_every }}
    - require:
      - file: salt-master-config-dir-managed

salt-master-config-extra-managed:
  file.serialize:
    - name: {{ conf_d }}/90-extra.conf
    - serializer: yaml
    - user: {{ settings.user }}
    - group: {{ settings.group }}
    - mode: '0640'
    - dataset: {{ master.config | json }}
    - require:
      - file: salt-master-config-dir-managed
