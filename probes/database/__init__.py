"""Database facts (object type `database`; engines mysql, mariadb, postgresql, redis). Importing this package
registers every fact module below; each engine's facts carry its prefix (mysql_, pg_, redis_)."""

from assess.probes.database import backup, mysql, postgresql, redis  # noqa: F401
