{#- The key policy on salt/auth: a pending key (act "pend") is accepted only when its id is
    on the allow-list and its fingerprint matches the recorded one; everything else stays
    pending (an unknown id) or is deleted (an allowed id with the wrong fingerprint), and
    raises salt/stacksalt/keys/alert. A denied key raises an alert too, and a denied key that
    is the recorded one replaces the impostor's pending key (see _runners/stacksalt_keys.py).
    Accepted and rejected keys need nothing. #}
{%- if data.get('act') in ('pend', 'denied') %}
stacksalt-keys-policy:
  runner.stacksalt_keys.react:
    - args:
        - minion: {{ data.get('id') | json }}
        - act: {{ data.get('act') | json }}
        - pub: {{ data.get('pub') | json }}
{%- endif %}
