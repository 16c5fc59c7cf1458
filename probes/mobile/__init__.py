"""mobile-app objects: static analysis of an APK (androguard), run in a bounded child process."""

from assess.probes.mobile import definitions  # noqa: F401  (declares the mobile-app facts)
