"""Real APKs built by tests/mobile/apkbuild.py, cached under the system tmp directory keyed by the digest of the
builder and the specs (a change to either builds afresh); each cached APK is re-verified before use."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pytest

from tests.conftest import lab_unavailable
from tests.mobile import apkbuild, specs

NAMES = ("hardened", "weak", "no_policy", "packed")


@pytest.fixture(scope="session")
def apks() -> dict[str, Path]:
    missing = apkbuild.missing_tools()
    if missing:
        lab_unavailable(f"APK build tools missing: {', '.join(missing)} (tests/apt-packages.txt)")
    key = hashlib.sha256(Path(apkbuild.__file__).read_bytes() + Path(specs.__file__).read_bytes()).hexdigest()[:16]
    out = Path(tempfile.gettempdir()) / f"assess-test-apks-{key}"
    out.mkdir(mode=0o700, exist_ok=True)
    built = {}
    for name in NAMES:
        apk = out / f"{name}.apk"
        try:
            if apk.is_file():
                apkbuild.verify(apk)
                built[name] = apk
                continue
        except RuntimeError:
            pass
        built[name] = apkbuild.build(getattr(specs, name)(), out, name)
    return built


@pytest.fixture(scope="session")
def evidence(apks: dict[str, Path]):
    """Each built APK collected once through the real collector (child process)."""
    from assess.model import Target
    from assess.probes.mobile import collector
    from assess.probes.registry import facts_for

    facts = list(facts_for("mobile-app").values())
    return {name: collector.collect(Target(id=name, type="mobile-app",
                                           connection={"transport": "apk", "file": str(path)}), facts)
            for name, path in apks.items()}
