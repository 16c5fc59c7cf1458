"""HTTP/TLS probes of `webapp` objects: bounded passive requests and handshakes (and, with --active,
login-handling tests on a dedicated test account). Importing the package declares the fact names;
the collector itself lives in `assess.probes.http.collector`."""

from assess.probes.http import definitions  # noqa: F401  (declares the webapp facts)
