{#- Undo the formula in reverse order: salt-ssh roster, master, minion. Salt itself stays
    installed unless `salt.install.clean` is applied explicitly. #}
include:
  - .ssh.clean
  - .master.clean
  - .minion.clean
