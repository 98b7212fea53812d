{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - {{ tplroot }}.validate
{%- if settings.install.method == 'venv' %}

{#- The venv is the site's artifact (built where PyPI is, shipped like a package): checked, never
    built here. Its version must be the cloud's (RPC to nova-conductor). #}
nova-install-venv-present:
  file.exists:
    - name: {{ settings.install.venv }}/bin/nova-compute
    - require:
      - pillar_schema: nova-pillar-schema-validated
{%- else %}

nova-install-pkgs-installed:
  pkg.installed:
    - pkgs: {{ settings.install.pkgs | json }}
    - install_recommends: False
    - require:
      - pillar_schema: nova-pillar-schema-validated
{%- endif %}

nova-install-group-present:
  group.present:
    - name: {{ settings.group }}
    - system: True
    - require:
      - pillar_schema: nova-pillar-schema-validated

nova-install-user-present:
  user.present:
    - name: {{ settings.user }}
    - gid: {{ settings.group }}
    - home: {{ settings.state_dir }}
    - createhome: False
    - shell: /usr/sbin/nologin
    - system: True
    - require:
      - group: nova-install-group-present

nova-install-dirs-managed:
  file.directory:
    - names:
      - {{ settings.state_dir }}
      - {{ settings.state_dir }}/instances
      - {{ settings.log_dir }}
    - user: {{ settings.user }}
    - group: {{ settings.group }}
    - mode: '0750'
    - makedirs: True
    - require:
      - user: nova-install-user-present
