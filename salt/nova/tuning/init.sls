{#- Hypervisor-side tuning (CERN's compute hosts), from pillar nova:tuning: nothing at all
    unless `enabled: true`, and of the parts only those pillar sets. Each part is written where
    it survives a boot (the kernel command line, tmpfiles.d, modprobe.d) and applied to the
    running kernel where the host lets it (host_tuning states: a container's read-only /sys is
    reported in their comments, never a failure). Never reboots. nova.conf's CPU sets and
    reserved huge pages are nova.config's (files/nova.conf.jinja). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set tuning = settings.tuning %}
include:
  - {{ tplroot }}.validate
{%- if tuning.enabled %}
{%-   set pages = tuning.hugepages %}
{%-   if pages.count is not none %}

nova-tuning-boot-cmdline-managed:
  file.managed:
    - name: {{ tuning.files.grub | json }}
    - source: salt://{{ tplroot }}/files/grub-tuning.cfg.jinja
    - template: jinja
    - mode: '0644'
    - makedirs: True
    - context:
        cmdline: {{ tuning.cmdline | json }}
    - require:
      - pillar_schema: nova-pillar-schema-validated

{#- grub.cfg from the drop-in, where grub is installed (a container has none); no reboot here:
    the running kernel's pool is set by the next state, the boot configuration is for the next boot #}
nova-tuning-boot-config-updated:
  cmd.run:
    - name: update-grub
    - onlyif: command -v update-grub
    - onchanges:
      - file: nova-tuning-boot-cmdline-managed

nova-tuning-hugepages-applied:
  host_tuning.hugepages:
    - name: {{ pages.kernel_size | json }}
    - count: {{ pages.count | int }}
    - persisted_by: {{ ('the kernel command line in ' ~ tuning.files.grub) | json }}
    - tolerance: {{ pages.tolerance | int }}
    - require_even: {{ pages.require_even | json }}
    - require:
      - file: nova-tuning-boot-cmdline-managed
{%-   endif %}
{%-   if tuning.ksm is not none %}
{%-     set run = 1 if tuning.ksm else 0 %}

nova-tuning-ksm-persisted:
  file.managed:
    - name: {{ tuning.files.tmpfiles | json }}
    - source: salt://{{ tplroot }}/files/ksm-tmpfiles.conf.jinja
    - template: jinja
    - mode: '0644'
    - makedirs: True
    - context:
        run: {{ run }}
    - require:
      - pillar_schema: nova-pillar-schema-validated

nova-tuning-ksm-applied:
  host_tuning.ksm:
    - name: ksm
    - run: {{ run }}
    - persisted_by: {{ tuning.files.tmpfiles | json }}
    - require:
      - file: nova-tuning-ksm-persisted
{%-   endif %}
{%-   if tuning.kvm_intel %}

nova-tuning-kvm-intel-options-managed:
  file.managed:
    - name: {{ tuning.files.modprobe | json }}
    - source: salt://{{ tplroot }}/files/kvm_intel.conf.jinja
    - template: jinja
    - mode: '0644'
    - makedirs: True
    - context:
        options: {{ tuning.kvm_intel | json }}
    - require:
      - pillar_schema: nova-pillar-schema-validated

{#- a loaded module's parameters cannot change: reported, never reloaded (instances use it) #}
nova-tuning-kvm-intel-checked:
  host_tuning.module_parameters:
    - name: kvm_intel
    - parameters: {{ tuning.kvm_intel | json }}
    - persisted_by: {{ tuning.files.modprobe | json }}
    - require:
      - file: nova-tuning-kvm-intel-options-managed
{%-   endif %}
{%- endif %}
