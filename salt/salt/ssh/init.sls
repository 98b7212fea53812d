{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set ssh = settings.ssh %}
include:
  - {{ tplroot }}.validate

salt-ssh-key-dir-managed:
  file.directory:
    - name: {{ salt['file.dirname'](ssh.key) }}
    - user: {{ settings.user }}
    - mode: '0700'
    - makedirs: True
    - require:
      - pillar_schema: salt-pillar-schema-validated

# The master's own key for salt-ssh; its public half goes to each roster host's
# authorized_keys (docs/salt-ssh.md). An existing key is never replaced.
{#- Salt's cmd.run runs its command through a shell: each value is quoted, the line is a YAML string. #}
{%- set keygen = ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'salt-ssh@' ~ grains.id, '-f', ssh.key] %}
salt-ssh-key-generated:
  cmd.run:
    - name: {{ keygen | map('quote') | join(' ') | json }}
    - creates: {{ ssh.key | json }}
    - require:
      - file: salt-ssh-key-dir-managed

salt-ssh-key-mode-managed:
  file.managed:
    - name: {{ ssh.key }}
    - replace: False
    - user: {{ settings.user }}
    - mode: '0600'
    - require:
      - cmd: salt-ssh-key-generated

{%- set roster = {} %}
{%- for host, entry in ssh.roster | dictsort %}
{%-   set target = {'user': ssh.user, 'priv': ssh.key, 'set_path': ssh.set_path} %}
{%-   do target.update(entry) %}
{%-   do roster.update({host: target}) %}
{%- endfor %}

salt-ssh-roster-managed:
  file.serialize:
    - name: {{ ssh.roster_file }}
    - serializer: yaml
    - user: {{ settings.user }}
    - mode: '0640'
    - makedirs: True
    - dataset: {{ roster | json }}
    - require:
      - cmd: salt-ssh-key-generated
