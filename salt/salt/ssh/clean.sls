{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}

# The ssh key is kept: removing it would lock the master out of every roster host.
salt-ssh-roster-absent:
  file.absent:
    - name: {{ settings.ssh.roster_file }}
