"""What to scan: the inventory file, Ansible inventories and ssh_config as inventory sources."""
