"""PAM configuration as libpam reads it: /etc/pam.d files, include / substack / @include, and a trace of
which module lines run for a given outcome of each module.

The trace follows libpam's dispatch rules (pam.conf(5)): `required`, `requisite`, `sufficient`,
`optional` and `[value=action ...]` controls; `ok`, `done`, `bad`, `die`, `ignore`, `reset` and jumps;
`done`/`die`/jumps confined to a substack; a `-type` line whose module is not installed is skipped.
Checks use it to ask questions such as "when a user types a wrong password over SSH, does a
pam_faillock authfail line run?", which a grep over the files cannot answer (a `requisite pam_deny.so`
before it ends the stack first).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

TYPES = ("auth", "account", "password", "session")
_KEYWORDS = {
    "required": {"success": "ok", "new_authtok_reqd": "ok", "ignore": "ignore", "default": "bad"},
    "requisite": {"success": "ok", "new_authtok_reqd": "ok", "ignore": "ignore", "default": "die"},
    "sufficient": {"success": "done", "new_authtok_reqd": "done", "default": "ignore"},
    "optional": {"success": "ok", "new_authtok_reqd": "ok", "default": "ignore"},
}
MAX_DEPTH = 12


@dataclass
class PamLine:
    """One module line as it appears in a file under /etc/pam.d."""

    file: str
    lineno: int
    type: str
    control: str
    module: str  # basename without .so: pam_unix
    args: list[str]
    dash: bool = False  # `-auth`: skipped silently when the module is not installed
    actions: dict[str, str] = field(default_factory=dict)

    def action_for(self, code: str) -> str:
        """The action for a module return code (`success`, `auth_err`, `ignore`, ...)."""
        return self.actions.get(code, self.actions.get("default", "bad"))

    def arg(self, name: str) -> str | None:
        """Value of `name=value` among the arguments (last one wins), or None."""
        value = None
        for a in self.args:
            if a.startswith(name + "="):
                value = a[len(name) + 1:]
        return value

    def flag(self, name: str) -> bool:
        return name in self.args

    @property
    def text(self) -> str:
        dash = "-" if self.dash else ""
        return f"{self.file}:{self.lineno}: {dash}{self.type} {self.control} {self.module}.so {' '.join(self.args)}".rstrip()


@dataclass
class Substack:
    """A `substack` line: its lines run as one module of the parent stack."""

    line: PamLine
    children: list[PamLine | Substack]


Node = PamLine | Substack


@dataclass
class Directive:
    """A parsed line before expansion: a module line, or an include of another file."""

    kind: str  # module | include | substack | at-include
    lineno: int
    type: str = ""
    control: str = ""
    target: str = ""
    args: list[str] = field(default_factory=list)
    dash: bool = False


def parse_control(control: str) -> dict[str, str] | None:
    """`required` or `[success=1 default=ignore]` → return-code → action; None when unreadable."""
    if control in _KEYWORDS:
        return dict(_KEYWORDS[control])
    if not (control.startswith("[") and control.endswith("]")):
        return None
    actions: dict[str, str] = {}
    for pair in control[1:-1].split():
        code, sep, action = pair.partition("=")
        if not sep:
            return None
        actions[code.lower()] = action.lower()
    return actions


def _tokens(line: str) -> list[str]:
    """Split a PAM line on blanks, keeping `[ ... ]` groups (with `\\]` escapes) as one token."""
    out: list[str] = []
    i, n = 0, len(line)
    while i < n:
        if line[i] in " \t":
            i += 1
            continue
        if line[i] == "[":
            j, buf = i + 1, ["["]
            while j < n and line[j] != "]":
                if line[j] == "\\" and j + 1 < n and line[j + 1] == "]":
                    buf.append("]")
                    j += 2
                    continue
                buf.append(line[j])
                j += 1
            buf.append("]")
            out.append("".join(buf))
            i = j + 1
            continue
        j = i
        while j < n and line[j] not in " \t":
            j += 1
        out.append(line[i:j])
        i = j
    return out


def parse_file(text: str) -> list[Directive]:
    """Directives of one PAM file; comments, blank lines, CRLF and `\\` continuations handled."""
    out: list[Directive] = []
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = 0
    while i < len(raw_lines):
        lineno, line = i + 1, raw_lines[i]
        while line.endswith("\\") and i + 1 < len(raw_lines):
            i += 1
            line = line[:-1] + " " + raw_lines[i]
        i += 1
        if "#" in line:
            line = line[:line.index("#")]
        words = _tokens(line.strip())
        if not words:
            continue
        if words[0] == "@include":
            if len(words) > 1:
                out.append(Directive("at-include", lineno, target=words[1]))
            continue
        if len(words) < 3:
            continue
        ptype, dash = words[0].lower(), False
        if ptype.startswith("-"):
            ptype, dash = ptype[1:], True
        if ptype not in TYPES:
            continue
        control = words[1]
        if control.lower() in ("include", "substack"):
            out.append(Directive(control.lower(), lineno, ptype, control.lower(), words[2], dash=dash))
            continue
        args = [w[1:-1] if w.startswith("[") and w.endswith("]") else w for w in words[3:]]  # brackets quote
        out.append(Directive("module", lineno, ptype, control, words[2], args, dash))
    return out


def module_name(path: str) -> str:
    base = path.rsplit("/", 1)[-1]
    return base[:-3] if base.endswith(".so") else base


class PamConfig:
    """All files of /etc/pam.d (name → text) and the stacks they expand to."""

    def __init__(self, files: dict[str, str], installed: set[str] | None = None):
        self.files = files
        self.installed = installed  # module names present on the host; None = unknown
        self.problems: list[str] = []
        self._parsed: dict[str, list[Directive]] = {}

    def has(self, service: str) -> bool:
        return service in self.files

    def _directives(self, name: str) -> list[Directive] | None:
        if name not in self.files:
            return None
        if name not in self._parsed:
            self._parsed[name] = parse_file(self.files[name])
        return self._parsed[name]

    def stack(self, service: str, ptype: str) -> list[Node]:
        """The expanded `ptype` stack of `service` (falls back to `other` like libpam)."""
        name = service if service in self.files else "other"
        return self._expand(name, ptype, 0)

    def _expand(self, name: str, ptype: str, depth: int) -> list[Node]:
        name = name.rsplit("/", 1)[-1] if name.startswith("/etc/pam.d/") else name
        if depth > MAX_DEPTH:
            self.problems.append(f"include depth exceeded at {name}")
            return []
        directives = self._directives(name)
        if directives is None:
            self.problems.append(f"included file {name} not found")
            return []
        out: list[Node] = []
        for d in directives:
            if d.kind == "at-include":
                out.extend(self._expand(d.target, ptype, depth + 1))
                continue
            if d.type != ptype:
                continue
            if d.kind == "include":
                out.extend(self._expand(d.target, ptype, depth + 1))
            elif d.kind == "substack":
                head = PamLine(name, d.lineno, ptype, "substack", d.target, [], d.dash, {})
                out.append(Substack(head, self._expand(d.target, ptype, depth + 1)))
            else:
                actions = parse_control(d.control)
                if actions is None:
                    self.problems.append(f"{name}:{d.lineno}: unreadable control '{d.control}'")
                    actions = {"default": "bad"}
                out.append(PamLine(name, d.lineno, ptype, d.control, module_name(d.target), d.args, d.dash,
                                   actions))
        return out


def flatten(nodes: list[Node]) -> list[PamLine]:
    out: list[PamLine] = []
    for n in nodes:
        if isinstance(n, Substack):
            out.extend(flatten(n.children))
        else:
            out.append(n)
    return out


@dataclass
class Trace:
    """Lines that ran, in order, and whether the stack as a whole succeeded."""

    ran: list[PamLine]
    success: bool


ResultFn = Callable[[PamLine], str]


class _State:
    def __init__(self) -> None:
        self.impression = "undef"  # undef | positive | negative


def trace(nodes: list[Node], result: ResultFn, installed: set[str] | None = None) -> Trace:
    """Run the stack with `result(line)` giving each module's return code; libpam's rules apply."""
    state = _State()
    ran: list[PamLine] = []
    _run(nodes, result, installed, state, ran)
    return Trace(ran, state.impression == "positive")


def _run(nodes: list[Node], result: ResultFn, installed: set[str] | None, state: _State,
         ran: list[PamLine]) -> None:
    skip = 0
    for node in nodes:
        if skip:
            skip -= 1
            continue
        if isinstance(node, Substack):
            _run(node.children, result, installed, state, ran)
            continue
        if node.dash and installed is not None and node.module not in installed:
            continue
        ran.append(node)
        action = node.action_for(result(node))
        if action in ("ok", "done"):
            if state.impression == "undef" or state.impression == "positive":
                state.impression = "positive"
            if action == "done" and state.impression != "negative":
                return
        elif action in ("bad", "die"):
            state.impression = "negative"
            if action == "die":
                return
        elif action == "reset":
            state.impression = "undef"
        elif action.isdigit() and int(action) > 0:
            skip = int(action)


# --- module outcomes for the scenarios the checks ask about -----------------------------------------

PASSWORD_MODULES = {"pam_unix", "pam_unix2", "pam_pwdb", "pam_unix_auth"}
DIRECTORY_MODULES = {"pam_sss", "pam_ldap", "pam_krb5", "pam_winbind", "pam_systemd_home", "pam_radius_auth",
                     "pam_radius"}
MFA_MODULES = {"pam_google_authenticator", "pam_oath", "pam_radius_auth", "pam_radius", "pam_pkcs11",
               "pam_p11", "pam_yubico", "pam_u2f", "pam_duo", "pam_otp", "pam_totp", "pam_mfa",
               "pam_privacyidea", "pam_linotp", "pam_securid", "pam_sm3", "pam_ukey"}


@dataclass(frozen=True)
class User:
    name: str
    uid: int
    gid: int
    shell: str = "/bin/bash"
    home: str = "/home/user"


REGULAR = User("user", 1000, 1000)
ROOT = User("root", 0, 0, home="/root")


def faillock_action(line: PamLine) -> str:
    """preauth (the default when none is given), authfail or authsucc: the last one named wins."""
    action = "preauth"
    for a in line.args:
        if a in ("preauth", "authfail", "authsucc"):
            action = a
    return action


def succeed_if(line: PamLine, user: User) -> bool | None:
    """Evaluate pam_succeed_if's conditions for `user`; None when a condition cannot be decided."""
    args = [a for a in line.args if a not in ("debug", "use_uid", "quiet", "quiet_fail", "quiet_success",
                                             "audit")]
    fields = {"user": user.name, "uid": user.uid, "gid": user.gid, "shell": user.shell, "home": user.home}
    if not args or len(args) % 3:
        return None
    verdict = True
    for i in range(0, len(args), 3):
        left, op, right = args[i], args[i + 1], args[i + 2]
        value = fields.get(left)
        if value is None:
            return None
        if op in ("<", "<=", "eq", ">=", ">", "ne"):
            if not isinstance(value, int) or not re.fullmatch(r"-?\d+", right):
                return None
            r = int(right)
            ok = {"<": value < r, "<=": value <= r, "eq": value == r, ">=": value >= r, ">": value > r,
                  "ne": value != r}[op]
        elif op in ("=", "!="):
            ok = (str(value) == right) == (op == "=")
        elif op in ("in", "notin"):
            ok = (str(value) in right.split(":")) == (op == "in")
        else:
            return None
        verdict = verdict and ok
    return verdict


def outcome(line: PamLine, user: User, password_ok: bool, locked: bool) -> str:
    """The return code of an auth module for a local user typing a right or wrong password."""
    m = line.module
    if m in PASSWORD_MODULES:
        return "success" if password_ok else "auth_err"
    if m == "pam_faillock":
        action = faillock_action(line)
        if locked:
            return "auth_err"
        return "ignore" if action == "authfail" else "success"
    if m in ("pam_tally2", "pam_tally"):
        return "auth_err" if locked else "success"
    if m == "pam_deny":
        return "auth_err"
    if m in DIRECTORY_MODULES:
        return "user_unknown"
    if m in MFA_MODULES:
        return "success" if password_ok else "auth_err"
    if m == "pam_usertype":
        regular = user.uid >= 1000
        if line.flag("isregular"):
            return "success" if regular else "auth_err"
        if line.flag("issystem"):
            return "auth_err" if regular else "success"
        return "success"
    if m == "pam_succeed_if":
        ok = succeed_if(line, user)
        return "auth_err" if ok is False else "success"
    if m == "pam_rootok":
        return "success" if user.uid == 0 else "auth_err"
    if m == "pam_fprintd":
        return "authinfo_unavail"
    if m == "pam_rhosts":
        return "auth_err"
    return "success"
