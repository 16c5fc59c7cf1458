"""Password aging defaults (/etc/login.defs)."""

from __future__ import annotations

import re

from assess.probes.facts import Section, fact, require_readable
from assess.probes.linux.parsers import key_values, to_int

DEFAULT_UMASK = "022"
_NUMERIC = ("PASS_MAX_DAYS", "PASS_MIN_DAYS", "PASS_MIN_LEN", "PASS_WARN_AGE", "UID_MIN", "UID_MAX",
            "LOGIN_RETRIES", "LOGIN_TIMEOUT")


@fact("login_defs", "_file /etc/login.defs")
def login_defs(section: Section) -> dict:
    """Settings of /etc/login.defs, the last occurrence of a key winning; numbers as integers.
    Example: {"present": true, "PASS_MAX_DAYS": 90, "PASS_MIN_LEN": 8, "UMASK": "027", "UMASK_effective": "027"}.
    A key that is not set is absent (shadow-utils then uses its built-in default, e.g. 99999 days).
    `UMASK_effective` is the umask login(1) and pam_umask give a session: UMASK, or 022 when it is not set
    (their built-in default, also the kernel's initial umask)."""
    read = section.file("/etc/login.defs")
    text = require_readable(read)
    values: dict = {"present": read.ok}
    for key, value in key_values(text).items():
        values[key] = to_int(value) if key in _NUMERIC and to_int(value) is not None else value
    if re.fullmatch(r"[0-7]{1,4}", str(values.get("UMASK", ""))):
        values["UMASK"] = f"{int(values['UMASK'], 8) & 0o777:03o}"  # 0027 and 27 are the same umask as 027
    values["UMASK_effective"] = values.get("UMASK", DEFAULT_UMASK)
    return values
