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
{#- nova.tuning's part of nova.conf, on a tuned host only (an untuned host's state is as it was):
    the CPU sets, which Nova wants disjoint and not empty, and the reserved huge pages #}
{%- do conf.pop('tuning', None) %}
{%- set tuning = settings.tuning %}
{%- set cpu_problems = [] %}
{%- if tuning.enabled %}
{%-   do conf.update({'tuning': {'cpu_dedicated_set': tuning.cpu_dedicated_set, 'cpu_shared_set': tuning.cpu_shared_set,
                                 'reserved_huge_pages': tuning.nova_reserved_huge_pages} }) %}
{%-   set cpus = {} %}
{%-   for key in ['cpu_dedicated_set', 'cpu_shared_set'] if tuning[key] %}
{%-     set chosen = [] %}
{%-     set rejected = [] %}
{%-     for rule in (tuning[key] | string).split(',') %}
{%-       set bounds = rule.lstrip('^').split('-', 1) %}
{#-       the syntax is the schema's (nova.validate names the key); ranges are read here #}
{%-       if bounds[0].isdigit() and bounds[-1].isdigit() and bounds[-1] | int < 10000 %}
{%-         if bounds[0] | int > bounds[-1] | int %}
{%-           do cpu_problems.append('nova:tuning:' ~ key ~ ': the range ' ~ rule ~ ' runs backwards') %}
{%-         endif %}
{%-         do (rejected if rule.startswith('^') else chosen).extend(range(bounds[0] | int, (bounds[-1] | int) + 1)) %}
{%-       endif %}
{%-     endfor %}
{%-     do cpus.update({key: chosen | reject('in', rejected) | unique | list}) %}
{%-     if not cpus[key] %}
{%-       do cpu_problems.append('nova:tuning:' ~ key ~ ': ' ~ tuning[key] ~ ' leaves no CPU') %}
{%-     endif %}
{%-   endfor %}
{%-   set shared = cpus.get('cpu_shared_set', []) %}
{%-   set both = cpus.get('cpu_dedicated_set', []) | select('in', shared) | list %}
{%-   if both %}
{%-     do cpu_problems.append('nova:tuning:cpu_dedicated_set and nova:tuning:cpu_shared_set share CPU(s) ' ~ both | join(', ') ~ ' (Nova refuses to start: they must be disjoint)') %}
{%-   endif %}
{%- endif %}
include:
  - {{ tplroot }}.install
{%- if cpu_problems %}

nova-config-cpu-sets-checked:
  test.fail_without_changes:
    - name: >-
        {{ cpu_problems | join('; ') }}; nova.conf was not changed.
    - require_in:
      - file: nova-config-file-managed
{%- endif %}
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
{%- if settings.compute.driver != 'ironic' %}

{#- The compute node's identity (Nova's <state_path>/compute_id), derived from the host's name:
    a host reinstalled under the same name keeps it, where Nova would refuse to start ("No
    local node identity found, but this is not our first startup on this host"). Written only
    where there is none: an identity Nova already made is left alone. The ironic driver keeps
    no local identity (its nodes are Ironic's). #}
nova-config-node-identity-managed:
  file.managed:
    - name: {{ settings.state_dir }}/compute_id
    - contents: {{ ('stacksalt nova-compute ' ~ settings.compute.host) | uuid | json }}
    - replace: False
    - user: {{ settings.user }}
    - group: {{ settings.group }}
    - mode: '0640'
    - require:
      - sls: {{ tplroot }}.install
{%- endif %}
