"""The webapp facts: name, the probe group that gathers it, and what its value holds.

Declared in the shared fact registry so `assess controls lint` knows them; the HTTP collector
(collector.py) gathers only the groups whose facts the planned checks need.
"""

from __future__ import annotations

from assess.probes.facts import declare

OBJECT_TYPE = "webapp"

#: name → (group, description). Groups: tls, pages, paths, active.
FACTS: dict[str, tuple[str, str]] = {
    "tls_protocols": ("tls", "Protocols each https origin accepts (SSLv3 … TLSv1.3, raw ClientHello); "
                             "`legacy` lists SSLv3/TLS 1.0/1.1 offered anywhere"),
    "tls_ciphers": ("tls", "Cipher suites accepted (best protocol <= TLS 1.2, and TLS 1.3); `insecure` lists "
                           "NULL/export/anon/RC4/DES/3DES/MD5 suites, `weak` adds no-FS and CBC"),
    "tls_certificate": ("tls", "Leaf certificate and chain per origin: validity, days to expiry, key, "
                               "signature, host name match, self-signed, trust; `problems` across origins"),
    "tls_rating": ("tls", "SSL Labs / testssl.sh style grade per origin and the worst grade"),
    "tls_mozilla": ("tls", "Deviations from Mozilla's intermediate TLS profile (guidelines 5.7)"),
    "https_enforced": ("pages", "Plain-HTTP URLs that serve content instead of redirecting to https, "
                                "and the redirects seen"),
    "hsts": ("pages", "Strict-Transport-Security per https origin: missing, max-age, includeSubDomains"),
    "security_headers": ("pages", "MDN HTTP Observatory score and grade per HTML entry point; "
                                  "reduced header profile per JSON endpoint"),
    "cookies": ("pages", "Cookies set by the application (names and attributes, never values); session "
                         "cookies lacking Secure / HttpOnly / SameSite"),
    "version_disclosure": ("pages", "Server / X-Powered-By headers and error pages that reveal product versions"),
    "cors": ("pages", "Responses whose Access-Control-Allow-Origin reflects an arbitrary Origin with credentials"),
    "personal_info": ("pages", "Unmasked personal information in anonymously fetched responses: counts per "
                               "kind and masked samples only"),
    "access_control": ("pages", "Endpoints marked `auth: true` that answer anonymous requests with content"),
    "login_form": ("pages", "The login form or API: page and action schemes, method, credentials in the URL"),
    "privacy_policy": ("pages", "Whether the privacy policy URL named in the inventory answers"),
    "sensitive_paths": ("paths", "Sensitive paths (.git, .env, actuator, druid, swagger, backups …) that answer "
                                 "with their real content (GET only)"),
    "directory_listing": ("paths", "URLs that answer with an automatic directory index"),
    "error_disclosure": ("paths", "Responses (404 page, malformed parameter) that leak stack traces, SQL errors "
                                  "or absolute paths"),
    "login_lockout": ("active", "--active: failed logins sent to the test account and whether/when it locked"),
    "login_mfa": ("active", "--active: whether a correct password alone opens a session (no second factor)"),
    "plaintext_login": ("active", "--active: whether the login endpoint accepts credentials over plain HTTP "
                                  "(a wrong password is sent, never the real one)"),
    "session_logout": ("active", "--active: whether the old session still works after logout (replay)"),
    "session_idle": ("active", "--active: whether an idle session expires within the configured wait"),
    "authenticated_caching": ("active", "--active: authenticated responses without Cache-Control: no-store"),
    "personal_info_authenticated": ("active", "--active: unmasked personal information in responses fetched "
                                              "with the test account"),
    "default_credentials": ("active", "--active and default_accounts: true: well-known default accounts and "
                                      "passwords that log in"),
}

for _name, (_group, _description) in FACTS.items():
    declare(_name, _description, object_type=OBJECT_TYPE, optional=_group == "active")
