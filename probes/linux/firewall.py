"""Does the host firewall let an arbitrary address open a new TCP connection to the SSH port?

Rules are walked the way netfilter walks them for one packet: a new IPv4 TCP connection to the port,
from an address that no rule names, arriving on an interface other than `lo`. Conditions on the
source address (or the input interface, a management-NIC restriction) make a rule apply only to some
clients. Outcome per ruleset:

* `open`: some rule (or the chain policy) accepts the packet of an arbitrary client;
* `restricted`: the arbitrary client's packet is dropped or rejected (clients named by a source or
  interface condition may still be accepted: those rules are returned as evidence);
* `absent`: no ruleset to judge.

Anything the walker cannot evaluate on an accept rule counts as matching (the port may be open); on a
drop rule it counts as not matching. So an unusual ruleset can only make the answer `open`, never a
false `restricted`. IPv6 rules are not judged.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

SRC = "src"  # names some clients (a source address or input interface): not the arbitrary one judged
MAX_DEPTH = 16


# --- port matching ----------------------------------------------------------------------------------

def _port_in(spec: str, port: int) -> bool | None:
    """`22`, `1:1024`, `22,80`, `1-1024`, `ssh`; None for named sets or anything unreadable."""
    found = False
    for part in re.split(r"[,\s]+", spec.strip("{} ")):
        if not part:
            continue
        part = part.strip(",")
        if part == "ssh":
            found = found or port == 22
            continue
        m = re.fullmatch(r"(\d+)(?:[:-](\d+))?", part)
        if not m:
            return None
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        found = found or lo <= port <= hi
    return found


def _all_of(results: list[bool | str | None]) -> bool | str | None:
    """Combine conditions: any False → False; else any unknown → None; else any SRC → SRC; else True."""
    if any(r is False for r in results):
        return False
    if any(r is None for r in results):
        return None
    if any(r == SRC for r in results):
        return SRC
    return True


@dataclass
class Rule:
    match: bool | str | None  # True, False, SRC or None (unknown)
    verdict: str  # accept | drop | return | jump | goto | continue
    target: str = ""
    text: str = ""


@dataclass
class Chain:
    name: str
    policy: str | None = None  # accept / drop for base chains
    rules: list[Rule] = field(default_factory=list)


class Walker:
    def __init__(self, chains: dict[str, Chain]):
        self.chains = chains
        self.restricted_accepts: list[str] = []

    def walk(self, name: str, depth: int = 0, evidence_only: bool = False) -> str | None:
        """`open`, `blocked` or None (fell through / returned) for the arbitrary client.

        With `evidence_only` the chain is reached only by some named clients: its accepts are collected
        as the addresses SSH is open to, and its outcome does not apply to the arbitrary client."""
        chain = self.chains.get(name)
        if chain is None or depth > MAX_DEPTH:
            return "open" if chain is None else None
        for rule in chain.rules:
            if rule.match is False:
                continue
            if rule.match == SRC or evidence_only:
                if rule.verdict == "accept":
                    self.restricted_accepts.append(rule.text)
                elif rule.verdict in ("jump", "goto"):
                    self.walk(rule.target, depth + 1, True)
                continue
            if rule.verdict == "accept":
                return "open"  # True, or unknown: counted as matching
            if rule.verdict == "drop":
                if rule.match is True:
                    return "blocked"
                continue
            if rule.verdict == "return":
                if rule.match is True:
                    return None
                continue
            if rule.verdict in ("jump", "goto"):
                result = self.walk(rule.target, depth + 1)
                if result == "open":
                    return "open"
                if rule.match is True and (result == "blocked" or rule.verdict == "goto"):
                    return result
        return None


def judge(chains: dict[str, Chain], base: list[str]) -> tuple[str, list[str]]:
    """Walk each input base chain; the packet must pass all of them."""
    outcomes = []
    accepts: list[str] = []
    for name in base:
        walker = Walker(chains)
        result = walker.walk(name)
        if result is None:
            result = "blocked" if chains[name].policy == "drop" else "open"
        outcomes.append(result)
        accepts += walker.restricted_accepts
    if not outcomes:
        return "absent", []
    return ("restricted" if "blocked" in outcomes else "open"), accepts


# --- iptables-save ----------------------------------------------------------------------------------

def parse_iptables(text: str, port: int) -> dict[str, Chain] | None:
    """The filter table of `iptables-save` output; None when there is none."""
    chains: dict[str, Chain] = {}
    table = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("*"):
            table = line[1:]
            continue
        if table != "filter" or not line or line.startswith("#"):
            continue
        if line.startswith(":"):
            parts = line[1:].split()
            policy = parts[1].lower() if len(parts) > 1 and parts[1] != "-" else None
            chains[parts[0]] = Chain(parts[0], policy)
        elif line.startswith("-A "):
            try:
                words = shlex.split(line)
            except ValueError:
                words = line.split()
            if len(words) < 2:
                continue
            chains.setdefault(words[1], Chain(words[1])).rules.append(_iptables_rule(words[2:], port, line))
    return chains if chains else None


def _iptables_rule(words: list[str], port: int, text: str) -> Rule:
    conds: list[bool | str | None] = []
    verdict, target = "continue", ""
    neg = False
    i = 0
    while i < len(words):
        w = words[i]
        arg = words[i + 1] if i + 1 < len(words) else ""
        if w == "!":
            neg = True
            i += 1
            continue
        step = 2
        if w in ("-p", "--protocol"):
            conds.append((arg.lower() in ("tcp", "6", "all")) != neg)
        elif w in ("-s", "--source", "--src-range"):
            conds.append(True if neg or arg in ("0.0.0.0/0", "0/0") else SRC)
        elif w in ("-i", "--in-interface"):
            conds.append(neg if arg == "lo" else (True if neg else SRC))
        elif w in ("--dport", "--destination-port", "--dports", "--destination-ports"):
            hit = _port_in(arg.replace(":", "-"), port)
            conds.append(None if hit is None else (hit != neg))
        elif w in ("--state", "--ctstate"):
            states = arg.upper().split(",")
            conds.append(("NEW" in states) != neg)
        elif w == "--match-set":
            direction = words[i + 2] if i + 2 < len(words) else ""
            conds.append((True if neg else SRC) if direction.startswith("src") else None)
            step = 3
        elif w == "--mac-source":
            conds.append(True if neg else SRC)
        elif w in ("--dst-type",):
            types = arg.upper().split(",")
            conds.append(any(t in ("LOCAL", "UNICAST") for t in types) != neg)
        elif w in ("-d", "--destination", "--dst-range"):
            conds.append(None)  # which of the host's addresses the client uses is not known
        elif w in ("-j", "--jump", "-g", "--goto"):
            t = arg
            if t == "ACCEPT":
                verdict = "accept"
            elif t in ("DROP", "REJECT"):
                verdict = "drop"
            elif t == "RETURN":
                verdict = "return"
            elif t in ("LOG", "NFLOG", "ULOG", "MARK", "CONNMARK", "CT", "TRACE", "AUDIT", "NOTRACK", "TCPMSS",
                       "SET", "CLASSIFY", "DSCP", "TOS", "TTL", "HMARK", "SECMARK", "CONNSECMARK", "CHECKSUM"):
                verdict = "continue"
            else:
                verdict, target = ("goto" if w in ("-g", "--goto") else "jump"), t
            break  # what follows belongs to the target (--reject-with, --log-prefix, ...)
        elif w in ("-m", "--match"):
            pass  # the match's own options follow
        elif w in ("--src-type", "--comment", "--tcp-flags", "--syn"):
            if w == "--tcp-flags":
                step = 3
            elif w == "--syn":
                conds.append(not neg)
                step = 1
        elif w in ("-f", "--fragment"):
            conds.append(False if not neg else True)
            step = 1
        elif w.startswith("-"):
            conds.append(None)  # an option this walker does not understand (recent, limit, string, ...)
            step = 2 if arg and not arg.startswith("-") else 1
        else:
            step = 1
        neg = False
        i += step
    return Rule(_all_of(conds), verdict, target, text)


# --- nft list ruleset -------------------------------------------------------------------------------

_TOKEN = re.compile(r'"[^"]*"|\{[^}]*\}|[^\s{}]+')


def parse_nft(text: str, port: int) -> tuple[dict[str, Chain], list[str]] | None:
    """Chains of ip and inet tables (names qualified by table), and the input-hook base chains by priority."""
    chains: dict[str, Chain] = {}
    base: list[tuple[int, str]] = []
    family = table = chain = None
    depth = 0
    for raw in text.splitlines():
        line = re.sub(r"\s+# handle \d+$", "", raw).strip()
        if not line:
            continue
        m = re.match(r"table\s+(\w+)\s+(\S+)\s*\{", line)
        if m and depth == 0:
            family, table, depth = m.group(1), m.group(2), 1
            continue
        m = re.match(r"chain\s+(\S+)\s*\{", line)
        if m and depth == 1:
            chain, depth = m.group(1), 2
            if family in ("ip", "inet"):
                chains[f"{table}/{chain}"] = Chain(f"{table}/{chain}")
            continue
        if line.startswith(("set ", "map ", "flowtable ", "counter ", "quota ", "ct helper ", "limit ")) and \
                line.endswith("{") and depth == 1:
            depth = 10  # skip a set/map body
            continue
        if line == "}":
            if depth == 10:
                depth = 1
            elif depth == 2:
                depth, chain = 1, None
            elif depth == 1:
                depth, family, table = 0, None, None
            continue
        if depth != 2 or family not in ("ip", "inet"):
            continue
        name = f"{table}/{chain}"
        if line.startswith("type "):
            hook = re.search(r"hook\s+(\w+)", line)
            prio = re.search(r"priority\s+([\w-]+)", line)
            policy = re.search(r"policy\s+(\w+)", line)
            chains[name].policy = policy.group(1) if policy else "accept"
            if hook and hook.group(1) == "input" and line.startswith("type filter"):
                base.append((_priority(prio.group(1) if prio else "0"), name))
            continue
        chains[name].rules.append(_nft_rule(line, port, table or ""))
    if not chains:
        return None
    return chains, [n for _p, n in sorted(base)]


def _priority(text: str) -> int:
    named = {"raw": -300, "mangle": -150, "dstnat": -100, "filter": 0, "security": 50, "srcnat": 100}
    m = re.fullmatch(r"([a-z]+)?\s*([+-]?\d+)?", text.replace(" ", ""))
    if text.lstrip("-").isdigit():
        return int(text)
    if m and m.group(1) in named:
        return named[m.group(1)] + int(m.group(2) or 0)
    return 0


def _nft_rule(line: str, port: int, table: str) -> Rule:
    words = _TOKEN.findall(line)
    conds: list[bool | str | None] = []
    verdict, target = "continue", ""
    i = 0
    while i < len(words):
        w = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w in ("ip", "ip6", "tcp", "udp", "th", "meta", "ct", "iif", "iifname", "oif", "oifname", "fib",
                 "icmp", "icmpv6", "sctp", "dccp", "udplite"):
            field_ = f"{w} {nxt}" if w in ("ip", "ip6", "tcp", "udp", "th", "meta", "ct", "fib", "icmp", "icmpv6",
                                           "sctp", "dccp", "udplite") else w
            rest_at = i + (2 if " " in field_ else 1)
            op = words[rest_at] if rest_at < len(words) and words[rest_at] in ("!=", "==", "eq", "ne") else ""
            val_at = rest_at + (1 if op else 0)
            value = words[val_at] if val_at < len(words) else ""
            if value == "type" and field_.startswith("fib"):
                val_at += 1
                value = words[val_at] if val_at < len(words) else ""
            neg = op in ("!=", "ne")
            conds.append(_nft_condition(field_, value, neg, port))
            if field_ == "ct state" and value == "vmap":
                val_at += 1
            i = val_at + 1
            continue
        if w in ("accept",):
            verdict = "accept"
        elif w in ("drop", "reject"):
            verdict = "drop"
            if w == "reject":
                while i + 1 < len(words) and words[i + 1] in ("with", "icmp", "icmpx", "icmpv6", "tcp", "reset",
                                                               "type", "port-unreachable", "admin-prohibited",
                                                               "host-prohibited", "net-prohibited"):
                    i += 1
        elif w == "return":
            verdict = "return"
        elif w in ("jump", "goto"):
            verdict, target = w, f"{table}/{nxt}"
            i += 1
        elif w in ("counter", "log", "comment", "packets", "bytes", "prefix", "level", "limit", "rate", "over",
                   "burst", "continue", "notrack", "flags", "group", "queue", "mark", "set"):
            if w in ("comment", "prefix", "level", "group"):
                i += 1
            if w == "limit":
                conds.append(None)
        elif re.fullmatch(r"\d+|\d+/\w+|[a-z]+", w) and w in ("second", "minute", "hour", "day", "packets"):
            pass
        elif w.isdigit() or w.startswith('"'):
            pass
        else:
            conds.append(None)
        i += 1
    return Rule(_all_of(conds), verdict, target, line)


def _nft_condition(field_: str, value: str, neg: bool, port: int) -> bool | str | None:
    if field_ == "ip saddr":
        return True if neg or value == "0.0.0.0/0" else SRC
    if field_.startswith("ip6 "):
        return False  # the packet judged is IPv4
    if field_ == "ip daddr":
        return None  # which of the host's addresses the client uses is not known
    if field_ in ("fib daddr", "meta pkttype"):
        return None if not value else (value in ("local", "host", "unicast")) != neg
    if field_ == "ct status":
        return neg  # dnat / snat: not a direct connection to the host
    if field_ in ("iif", "iifname"):
        name = value.strip('"')
        if name == "lo":
            return neg
        return True if neg else SRC
    if field_ in ("oif", "oifname"):
        return None
    if field_ in ("tcp dport", "th dport"):
        if value.startswith("@"):
            return None
        hit = _port_in(value, port)
        return None if hit is None else hit != neg
    if field_ in ("udp dport", "udp sport", "sctp dport", "dccp dport", "udplite dport", "icmp type",
                  "icmpv6 type"):
        return False
    if field_ in ("tcp sport", "th sport"):
        return None
    if field_ == "meta l4proto" or field_ == "ip protocol":
        names = value.strip("{}").replace(",", " ").split()
        return ("tcp" in names or "6" in names) != neg
    if field_ == "meta nfproto":
        return (value == "ipv4") != neg
    if field_ == "ct state":
        if value == "vmap":
            return False  # firewalld: established/related/invalid verdicts only
        states = value.strip("{}").replace(",", " ").split()
        return ("new" in states) != neg
    if field_ == "fib saddr":
        return None
    return None
