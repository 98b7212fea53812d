{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set install = settings.install %}
{%- if install.method == 'pip' %}
{%- for program in ['salt-call', 'salt-minion', 'salt-master', 'salt-key', 'salt-ssh', 'salt-run', 'salt'] %}

salt-install-{{ program }}-link-absent:
  file.absent:
    - name: /usr/local/bin/{{ program }}
{%- endfor %}

salt-install-venv-absent:
  file.absent:
    - name: {{ install.venv }}
{%- elif install.method == 'pkg' %}

salt-install-packages-removed:
  pkg.removed:
    - pkgs:
      - {{ install.pkgs.master }}
      - {{ install.pkgs.minion }}
      - {{ install.pkgs.ssh }}
{%- else %}

salt-install-preinstalled-left-alone:
  test.nop:
    - name: Salt was preinstalled; it is left in place
{%- endif %}
