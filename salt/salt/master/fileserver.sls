{#- What minions may fetch. Every file under a file root is readable by every minion, and the
    checkout holds pillar/secrets, so the master serves <checkout>/salt (the formulas) and a
    view holding only links to top.sls and the loader directories (salt:master:served_entries),
    never the checkout itself. A file root that holds a pillar root is refused before any change. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set master = settings.master %}
{%- set checkout = master.checkout.rstrip('/') %}
{%- set exposed = [] %}
{%- for root in master.served_file_roots %}
{%-   for pillar_root in master.served_pillar_roots + [checkout] %}
{%-     set r = root.rstrip('/') ~ '/' %}
{%-     if (pillar_root.rstrip('/') ~ '/').startswith(r) and root not in exposed %}
{%-       do exposed.append(root) %}
{%-     endif %}
{%-   endfor %}
{%- endfor %}
include:
  - {{ tplroot }}.validate
{%- if exposed %}

salt-master-fileserver-roots-checked:
  test.fail_without_changes:
    - name: >-
        salt:master:file_roots: {{ exposed | join(', ') }} would serve the checkout or a pillar
        root to every minion (every host's secrets); nothing was changed
    - order: 1
    - failhard: True
{%- endif %}

salt-master-fileserver-view-managed:
  file.directory:
    - name: {{ master.served_root }}
    - user: {{ settings.user }}
    - group: {{ settings.group }}
    - mode: '0755'
    - makedirs: True
    # nothing but the links below: an entry dropped from served_entries stops being served
    - clean: True
    - require:
      - pillar_schema: salt-pillar-schema-validated
{%- for entry in master.served_entries %}
      - file: salt-master-fileserver-view-{{ entry }}-linked
{%- endfor %}

{%- for entry in master.served_entries %}

salt-master-fileserver-view-{{ entry }}-linked:
  file.symlink:
    - name: {{ master.served_root }}/{{ entry }}
    - target: {{ checkout }}/{{ entry }}
    - makedirs: True
    - force: True
    - require:
      - pillar_schema: salt-pillar-schema-validated
{%- endfor %}
