{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{#- Hosts named in URLs resolve through the Salt mine. The passwords are not in `settings`:
    nova.conf.jinja reads them by pillar key, so they are never this state's arguments. #}
{%- import 'lib/addresses.jinja' as addresses with context %}
{%- set conf = dict(settings) %}
{%- set keystone = dict(settings.keystone) %}
{%- set messaging = dict(settings.messaging) %}
{%- set unresolved = [] %}
{%- if keystone.auth_url %}
{%-   set resolved = addresses.url(keystone.auth_url) | trim %}
{%-   if not resolved %}
{%-     do unresolved.append('nova:keystone:auth_url (host ' ~ keystone.auth_url.host ~ ')') %}
{%-   endif %}
{%-   do keystone.update({'auth_url': resolved}) %}
{%- endif %}
{%- if messaging.host is mapping %}
{%-   set resolved = addresses.of(messaging.host.host) | trim %}
{%-   if not resolved %}
{%-     do unresolved.append('nova:messaging:host (host ' ~ messaging.host.host ~ ')') %}
{%-   endif %}
{%-   do messaging.update({'host': resolved}) %}
{%- endif %}
{%- do conf.update({'keystone': keystone, 'messaging': messaging}) %}
include:
  - {{ tplroot }}.install
{%- if unresolved %}

nova-config-addresses-resolved:
  test.fail_without_changes:
    - name: >-
        {{ unresolved | join(', ') }}: no address in the Salt mine for that host; nothing was
        changed. Run `salt HOST mine.update` on it (it publishes stacksalt_address), then apply again.
    - require_in:
      - file: nova-config-file-managed
{%- endif %}

nova-config-dir-managed:
  file.directory:
    - name: {{ settings.config_dir }}
    - user: root
    - group: {{ settings.group }}
    - mode: '0750'
    - require:
      - sls: {{ tplroot }}.install

nova-config-file-managed:
  file.managed:
    - name: {{ settings.config_dir }}/nova.conf
    - source: salt://{{ tplroot }}/files/nova.conf.jinja
    - template: jinja
    - user: root
    - group: {{ settings.group }}
    - mode: '0640'
    {#- the file holds the passwords: a diff would print them whenever a nearby line changes #}
    - show_changes: False
    - context:
        settings: {{ conf | json }}
    - require:
      - file: nova-config-dir-managed
