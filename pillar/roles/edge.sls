# Hosts without a minion, managed over salt-ssh: only the host baseline applies.
{}
