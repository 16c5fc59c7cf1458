"""Middleware facts (object type `middleware`; engines nginx, tomcat). Importing this package registers every
fact module below; each engine's facts carry its prefix (nginx_, tomcat_)."""

from assess.probes.middleware import nginx, tomcat  # noqa: F401
