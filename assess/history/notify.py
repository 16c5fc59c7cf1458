"""Notifications after a run: on lost coverage (an object not collected, results no longer assessed), a
regression, a new 不符合, a new major risk (重大风险隐患) or a TLS certificate close to expiry, post a message to a
webhook; the message states the coverage first. Formats:

  generic   the event as JSON (schema assess/alert@1), for any receiver
  dingtalk  钉钉 custom robot: {"msgtype": "markdown", "markdown": {"title", "text"}}; with a signing secret,
            `timestamp` (ms) and `sign` = base64(HMAC-SHA256(secret, "<timestamp>\\n<secret>")) go in the URL
  wecom     企业微信 group robot: {"msgtype": "markdown", "markdown": {"content"}} (content ≤ 4096 bytes)
  feishu    飞书 custom bot: {"msg_type": "text", "content": {"text"}}; with a signing secret, `timestamp` (s)
            and `sign` = base64(HMAC-SHA256(key="<timestamp>\\n<secret>", message="")) go in the body

The signing secret comes from an environment variable (never from the command line or a file that the
schedule writes). Posting uses urllib with a timeout; a failure (network, HTTP status, or the robot's own
error code in its JSON answer) is returned as a `Delivery` and reported, never raised: a run does not fail
because its notification did.

Certificates: any fact value in a run's evidence that is a mapping with a `not_after` (ISO 8601 / RFC 3339
time) is taken as a certificate; `subject`, `serial` and `sha256` are shown when present.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from assess.judge import coverage
from assess.model import VERDICT_ZH

FORMATS = ("generic", "dingtalk", "wecom", "feishu")
SCHEMA = "assess/alert@1"
DEFAULT_SECRET_ENV = "ASSESS_NOTIFY_SECRET"
DEFAULT_CERT_DAYS = 30
TIMEOUT = 10.0
_LIST_MAX = 15
_WECOM_MAX = 4096
_FEISHU_MAX = 18_000


@dataclass
class Delivery:
    ok: bool
    detail: str


def redact(url: str) -> str:
    """The URL without its query string or last path segment (robot tokens live there)."""
    parts = urllib.parse.urlsplit(url)
    path = parts.path.rsplit("/", 1)[0] + "/…" if parts.path.count("/") > 2 else parts.path
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "…" if parts.query else "", ""))


def _parse_time(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _walk(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        if isinstance(value.get("not_after"), str):
            yield value
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


def certificates(run_dir: Path, doc: Mapping[str, Any], now: datetime | None = None) -> list[dict[str, Any]]:
    """Certificates found in the run's evidence, with the days left before `not_after`, soonest first."""
    now = now or datetime.now(timezone.utc)
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for obj in doc.get("objects") or []:
        path = obj.get("evidence")
        if not path:
            continue
        try:
            evidence = json.loads((run_dir / path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for fact_name, fact in (evidence.get("facts") or {}).items():
            for cert in _walk(fact.get("value") if isinstance(fact, Mapping) else None):
                expiry = _parse_time(cert["not_after"])
                if expiry is None:
                    continue
                key = (obj["id"], str(cert.get("sha256") or cert.get("serial") or cert.get("subject")),
                       cert["not_after"])
                found[key] = {"object": obj["id"], "fact": fact_name, "subject": cert.get("subject"),
                              "serial": cert.get("serial"), "not_after": cert["not_after"],
                              "days_left": (expiry - now).total_seconds() // 86400}
    return sorted(found.values(), key=lambda c: c["days_left"])


def build_event(doc: Mapping[str, Any], drift: Mapping[str, Any] | None, certs: list[dict[str, Any]],
                cert_days: int = DEFAULT_CERT_DAYS, schedule: str | None = None) -> dict[str, Any] | None:
    """The alert for a run, or None when there is nothing to alert on."""
    expiring = [c for c in certs if c["days_left"] <= cert_days]
    regressed = list(drift["regressed"]) if drift else []
    new_fail = [e for e in drift["new_failures"] if e["to"] == "fail"] if drift else []
    lost = list(drift["no_longer_assessed"]) if drift else []
    risks_lost = list(drift["major_risks"].get("no_longer_assessed") or []) if drift else []
    cov = coverage.of(doc)
    not_collected = [{"id": o["id"], "address": o["address"], "reason": o["reason"]}
                     for o in cov["objects_not_collected"]]
    new_risks = list(drift["major_risks"]["new"]) if drift else \
        [r for r in (doc.get("conclusion") or {}).get("major_risks") or [] if r.get("status", "triggered") ==
         "triggered"]
    reasons = [name for name, present in (
        ("coverage-lost", lost or risks_lost or (not drift and not_collected)), ("regression", regressed),
        ("new-failure", new_fail), ("major-risk", new_risks), ("certificate-expiry", expiring)) if present]
    if not reasons:
        return None
    concl = doc.get("conclusion") or {}
    row_keys = ("item", "clause", "object", "control_point", "from", "to", "reason")
    return {
        "schema": SCHEMA, "reasons": reasons, "schedule": schedule,
        "run": doc["run"]["id"], "previous_run": drift["a"]["run_id"] if drift else None,
        "inventory": (doc.get("history") or {}).get("inventory_key"),
        "finished": doc["run"].get("finished"), "host": doc["run"].get("operator_host"),
        "conclusion": concl.get("conclusion_zh"), "conformance_rate": concl.get("conformance_rate"),
        "summary": dict(drift["summary"]) if drift else None,
        "not_collected": not_collected,
        "no_longer_assessed": [{k: e.get(k) for k in row_keys} for e in lost],
        "major_risks_no_longer_assessed": [{k: r.get(k) for k in ("rule", "title", "object")} for r in risks_lost],
        "regressed": [{k: e.get(k) for k in row_keys} for e in regressed],
        "new_failures": [{k: e.get(k) for k in row_keys} for e in new_fail],
        "new_major_risks": [{k: r.get(k) for k in ("rule", "title", "object")} for r in new_risks],
        "expiring_certificates": expiring,
    }


def _row(e: Mapping[str, Any]) -> str:
    return (f"{e['item']} {e.get('clause') or ''} {e['object']}: {VERDICT_ZH.get(e['from'], e['from'])} → "
            f"{VERDICT_ZH.get(e['to'], e['to'])} {e.get('control_point') or ''}")


def _lines(event: Mapping[str, Any], markdown: bool) -> tuple[str, list[str]]:
    who = f"「{event['schedule']}」" if event.get("schedule") else ""
    title = f"assess 等保自评{who}告警"
    bullet = "- " if markdown else "· "
    lines = [f"运行 {event['run']}" + (f"（对比 {event['previous_run']}）" if event.get("previous_run") else "")]
    gone = event.get("not_collected") or []
    if gone:
        lines.append(f"**未能采集 {len(gone)} 个测评对象，预测结论未评估它们：**" if markdown else
                     f"未能采集 {len(gone)} 个测评对象，预测结论未评估它们：")
        lines += [f"{bullet}{o['id']} {o.get('address') or ''}: {o['reason']}" for o in gone[:_LIST_MAX]]
    if event.get("conformance_rate") is not None:
        lines.append(f"预测结论 {event.get('conclusion') or '—'}，符合率 {event['conformance_rate'] * 100:.1f}%")
    sections = (
        ("重大风险隐患不再能评估（证据缺失，并非已消除）", event.get("major_risks_no_longer_assessed") or [],
         lambda r: f"{r.get('rule')} {r.get('object') or ''} {r.get('title') or ''}"),
        ("不再能评估（之前已判定，现在无法判定）", event.get("no_longer_assessed") or [], _row),
        ("退化项（之前符合，现在不符合）", event["regressed"], _row),
        ("新增不符合", event.get("new_failures") or [], _row),
        ("新增重大风险隐患", event["new_major_risks"],
         lambda r: f"{r.get('rule')} {r.get('object') or ''} {r.get('title') or ''}"),
        ("证书即将过期", event["expiring_certificates"],
         lambda c: f"{c['object']} {c.get('subject') or ''} 到期 {c['not_after']}（剩 {int(c['days_left'])} 天）"),
    )
    for heading, entries, fmt in sections:
        if not entries:
            continue
        lines.append(f"**{heading}：{len(entries)}**" if markdown else f"{heading}：{len(entries)}")
        lines += [bullet + fmt(e) for e in entries[:_LIST_MAX]]
        if len(entries) > _LIST_MAX:
            lines.append(f"{bullet}……另有 {len(entries) - _LIST_MAX} 项，见 assess diff")
    return title, lines


def _fit(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit - 20].decode("utf-8", "ignore") + "\n……（已截断）"


def payload(fmt: str, event: Mapping[str, Any], secret: str | None = None,
            now: float | None = None) -> dict[str, Any]:
    """The JSON body for one format (the DingTalk signature goes in the URL: see `target_url`)."""
    if fmt == "generic":
        return dict(event)
    title, lines = _lines(event, markdown=fmt != "feishu")
    if fmt == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": title, "text": f"### {title}\n\n" + "\n\n".join(lines)}}
    if fmt == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": _fit(f"### {title}\n" + "\n".join(lines), _WECOM_MAX)}}
    if fmt == "feishu":
        body: dict[str, Any] = {"msg_type": "text", "content": {"text": _fit(title + "\n" + "\n".join(lines),
                                                                             _FEISHU_MAX)}}
        if secret:
            ts = str(int(now if now is not None else time.time()))
            digest = hmac.new(f"{ts}\n{secret}".encode(), b"", hashlib.sha256).digest()
            body.update(timestamp=ts, sign=base64.b64encode(digest).decode())
        return body
    raise ValueError(f"unknown notification format {fmt!r}")


def target_url(fmt: str, url: str, secret: str | None = None, now: float | None = None) -> str:
    """The URL to post to: for a signed DingTalk robot, with `timestamp` and `sign` added."""
    if fmt != "dingtalk" or not secret:
        return url
    ts = str(int((now if now is not None else time.time()) * 1000))
    digest = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    return f"{url}{'&' if '?' in url else '?'}timestamp={ts}&sign={sign}"


def _robot_error(fmt: str, body: bytes) -> str | None:
    """The robot's own error, from the JSON it answers with (HTTP 200 with a non-zero code)."""
    if fmt == "generic":
        return None
    try:
        answer = json.loads(body.decode("utf-8") or "{}")
    except (ValueError, UnicodeDecodeError):
        return f"unexpected answer: {body[:200]!r}"
    if not isinstance(answer, dict):
        return f"unexpected answer: {body[:200]!r}"
    code = answer.get("errcode") if fmt in ("dingtalk", "wecom") else answer.get("code", answer.get("StatusCode"))
    if code not in (0, None):
        return f"robot error {code}: {answer.get('errmsg') or answer.get('msg') or answer}"
    return None


def send(url: str, fmt: str, event: Mapping[str, Any], secret: str | None = None,
         timeout: float = TIMEOUT) -> Delivery:
    """Post the event; never raises."""
    where = redact(url)
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        return Delivery(False, f"{where}: only http:// and https:// webhooks are supported")
    try:
        body = json.dumps(payload(fmt, event, secret), ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(target_url(fmt, url, secret), data=body, method="POST",
                                         headers={"Content-Type": "application/json; charset=utf-8",
                                                  "User-Agent": "assess-notify"})
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (the URL is the user's)
            answer = response.read(65536)
    except urllib.error.HTTPError as exc:
        return Delivery(False, f"{where}: HTTP {exc.code} {exc.reason}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Delivery(False, f"{where}: {reason}")
    error = _robot_error(fmt, answer)
    if error:
        return Delivery(False, f"{where}: {error}")
    return Delivery(True, f"{where}: delivered ({fmt})")
