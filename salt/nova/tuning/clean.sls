{#- Undo nova.tuning's boot configuration: the grub drop-in (grub.cfg regenerated where grub
    is installed), the tmpfiles.d entry, and /etc/modprobe.d/kvm_intel.conf when it is the one
    this formula wrote. The running kernel is left as it is (a huge page pool shrunk under
    running instances would fail them): the next boot comes up without the tuning. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set files = settings.tuning.files %}

nova-tuning-boot-cmdline-absent:
  file.absent:
    - name: {{ files.grub | json }}

nova-tuning-boot-config-cleaned:
  cmd.run:
    - name: update-grub
    - onlyif: command -v update-grub
    - onchanges:
      - file: nova-tuning-boot-cmdline-absent

nova-tuning-ksm-persisted-absent:
  file.absent:
    - name: {{ files.tmpfiles | json }}

nova-tuning-kvm-intel-options-absent:
  file.absent:
    - name: {{ files.modprobe | json }}
    {#- an operator's own kvm_intel.conf stays (a function, not a shell command: the path is pillar's) #}
    - onlyif:
      - fun: file.contains
        path: {{ files.modprobe | json }}
        text: stacksalt nova formula
