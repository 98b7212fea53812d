{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set master = settings.master %}
{%- set conf_d = master.config_dir ~ '/master.d' %}
include:
  - {{ tplroot }}.install

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
        file_roots:
          base: {{ master.file_roots | json }}
        pillar_roots:
          base: {{ master.pillar_roots | json }}
        file_ignore_regex: {{ master.file_ignore_regex | json }}
        # salt-ssh targets validate pillar too: ship jsonschema in the thin.
        thin_extra_mods: jsonschema,jsonschema_specifications,referencing,rpds,attrs,attr,typing_extensions
    - require:
      - file: salt-master-config-dir-managed

salt-master-config-reactor-managed:
  file.serialize:
    - name: {{ conf_d }}/20-reactor.conf
    - serializer: yaml
    - user: {{ settings.user }}
    - group: {{ settings.group }}
    - mode: '0640'
    - dataset:
        reactor: {{ master.reactor | json }}
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
