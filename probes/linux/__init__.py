"""Linux facts. Importing this package registers every fact module below."""

from assess.probes.linux import login, system  # noqa: F401
