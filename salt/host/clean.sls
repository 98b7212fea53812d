{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}

host-release-file-absent:
  file.absent:
    - name: {{ settings.release_file }}
