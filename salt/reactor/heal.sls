{#- A heal beacon (stacksalt_heal_services / stacksalt_heal_files, written by salt.minion)
    saw something broken. The master-side runner decides: it looks the thing up in that
    minion's pillar, applies only the owning component there (queue=True), guards against
    flapping and fires salt/stacksalt/heal/result or .../gave_up. Event values are passed
    as JSON, never spliced into YAML. #}
stacksalt-heal-react:
  runner.stacksalt_heal.react:
    - args:
        - tag: {{ tag | json }}
        - data: {{ data | json }}
