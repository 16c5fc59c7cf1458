"""Linux facts. Importing this package registers every fact module below."""

from assess.probes.linux import (  # noqa: F401
    access,
    accounts,
    audit,
    login,
    logs,
    pam,
    protection,
    resilience,
    services,
    session,
    software,
    sshd,
    system,
)
