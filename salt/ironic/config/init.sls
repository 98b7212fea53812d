{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{#- the template gets no node data: BMC secrets stay out of this state's arguments; nor the
    database URL from pillar (it may hold a password): the template reads that by key #}
{%- set conf = {} %}
{%- for key, value in settings.items() if key not in ('nodes', 'node_secrets', 'database') %}
{%-   do conf.update({key: value}) %}
{%- endfor %}
{#- Keystone and API URLs may name a host: its address comes from the Salt mine. #}
{%- import 'lib/addresses.jinja' as addresses with context %}
{%- set unresolved = [] %}
{%- if settings.database.connection is mapping %}
{#-   {host, port, name, user} of a MariaDB server: its address from the mine; the template
      reads the password (ironic:database_password) by key #}
{%-   set db = settings.database.connection %}
{%-   set db_address = addresses.of(db.host) | trim %}
{%-   if not db_address %}
{%-     do unresolved.append('ironic:database:connection:host (host ' ~ db.host ~ ')') %}
{%-   endif %}
{%-   set mysql = {'address': db_address, 'port': db.get('port', 3306), 'name': db.name,
                   'user': db.user, 'options': settings.database.options} %}
{%-   set database = {'mysql': mysql} %}
{%- elif salt['pillar.get']('ironic:database:connection') %}
{%-   set database = {'pillar': 'ironic:database:connection'} %}
{%- else %}
{%-   set database = {'connection': settings.database.connection} %}
{%- endif %}
{%- do conf.update({'database': database}) %}
{%- set keystone = dict(settings.keystone) %}
{%- set service_catalog = dict(settings.service_catalog) %}
{%- set conductor = dict(settings.conductor) %}
{%- set ipxe = dict(settings.ipxe) %}
{%- for where, holder, key in [('keystone:auth_url', keystone, 'auth_url'),
                                ('keystone:www_authenticate_uri', keystone, 'www_authenticate_uri'),
                                ('service_catalog:endpoint_override', service_catalog, 'endpoint_override'),
                                ('conductor:deploy_kernel', conductor, 'deploy_kernel'),
                                ('conductor:deploy_ramdisk', conductor, 'deploy_ramdisk'),
                                ('ipxe:http_url', ipxe, 'http_url')] %}
{%-   if holder[key] %}
{%-     set resolved = addresses.url(holder[key]) | trim %}
{%-     do holder.update({key: resolved}) %}
{%-     if not resolved %}
{%-       do unresolved.append('ironic:' ~ where ~ ' (host ' ~ settings[where.split(':')[0]][key].host ~ ')') %}
{%-     endif %}
{%-   endif %}
{%- endfor %}
{%- if keystone.auth_url and not keystone.www_authenticate_uri %}
{%-   do keystone.update({'www_authenticate_uri': keystone.auth_url}) %}
{%- endif %}
{%- do conf.update({'keystone': keystone, 'service_catalog': service_catalog, 'conductor': conductor, 'ipxe': ipxe}) %}
include:
  - {{ tplroot }}.install
{%- if unresolved %}

ironic-config-addresses-resolved:
  test.fail_without_changes:
    - name: >-
        {{ unresolved | join(', ') }}: no address in the Salt mine for that host; nothing was
        changed. Run `salt HOST mine.update` on it (it publishes stacksalt_address), then apply again.
    - require_in:
      - file: ironic-config-file-managed
{%- endif %}

ironic-config-dir-managed:
  file.directory:
    - name: {{ settings.config_dir }}
    - user: root
    - group: {{ settings.group }}
    - mode: '0750'
    - require:
      - sls: {{ tplroot }}.install

ironic-config-file-managed:
  file.managed:
    - name: {{ settings.config_dir }}/ironic.conf
    - source: salt://{{ tplroot }}/files/ironic.conf.jinja
    - template: jinja
    - user: root
    - group: {{ settings.group }}
    - mode: '0640'
    {#- the file holds the database URL with its password: a diff (test=True included) would
        print it whenever a nearby line changes #}
    - show_changes: False
    - context:
        settings: {{ conf | json }}
    - require:
      - file: ironic-config-dir-managed
