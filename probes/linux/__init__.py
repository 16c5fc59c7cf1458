"""Linux facts. Importing this package registers every fact module below."""

from assess.probes.linux import access, accounts, login, pam, session, sshd, system  # noqa: F401
