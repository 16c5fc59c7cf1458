"""The SSL Labs / testssl.sh grade and Mozilla intermediate conformance (pure)."""

from assess.probes.http import ciphers, grade
from assess.probes.http.grade import KeyInfo

MODERN = [ciphers.by_name(n) for n in ("ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
                                       "TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256")]


RSA2048 = KeyInfo("RSA", 2048)


def _rate(protocols, suites, keys=(RSA2048,), **kw):
    args = {"trust_problems": [], "hostname_ok": True, "cert_signature_hash": "sha256",
            "secure_renegotiation": True, "hsts_max_age": 63072000}
    args.update(kw)
    return grade.rate(protocols, suites, list(keys), **args)


def test_modern_server_gets_a_plus_with_the_published_weights():
    r = _rate(["TLSv1.2", "TLSv1.3"], MODERN, [KeyInfo("RSA", 2048), KeyInfo("ECDH", 253)])
    # protocol 100, key exchange 90 (RSA 2048 < 4096), cipher (100 + 80) / 2 = 90
    assert (r.protocol_score, r.key_score, r.cipher_score, r.score) == (100, 90, 90, 93)
    assert r.grade == "A+" and not r.caps


def test_warnings_turn_a_plus_into_a_minus():
    assert _rate(["TLSv1.2"], MODERN[:2]).grade == "A-"  # no TLS 1.3
    assert _rate(["TLSv1.2", "TLSv1.3"], MODERN, hsts_max_age=86400).grade == "A-"
    assert _rate(["TLSv1.2", "TLSv1.3"], MODERN, hsts_max_age=None).grade == "A-"


def test_caps():
    legacy = _rate(["TLSv1.0", "TLSv1.1", "TLSv1.2"], MODERN[:2])
    assert legacy.grade == "B" and "B: TLSv1.0 offered" in legacy.caps
    assert _rate(["TLSv1.2", "TLSv1.3"], MODERN, trust_problems=["certificate expired"]).grade == "T"
    assert _rate(["TLSv1.2", "TLSv1.3"], MODERN, hostname_ok=False).grade == "M"
    assert _rate(["TLSv1.2"], MODERN[:2] + [ciphers.by_name("NULL-SHA")]).grade == "F"
    assert _rate(["TLSv1.0"], [ciphers.by_name("AES128-SHA")]).grade == "C"  # no TLS 1.2
    assert _rate(["TLSv1.2", "TLSv1.3"], MODERN, [KeyInfo("RSA", 1024)]).grade == "B"
    assert _rate(["TLSv1.2", "TLSv1.3"], MODERN, [KeyInfo("RSA", 512)]).grade == "F"
    assert _rate(["TLSv1.2", "TLSv1.3"], MODERN, cert_signature_hash="sha1").grade == "T"
    no_fs = _rate(["TLSv1.2"], [ciphers.by_name("AES128-GCM-SHA256")])
    assert no_fs.grade == "B" and "B: no forward secrecy" in no_fs.caps


def test_grade_order_helpers():
    assert grade.grade_ok("A+", "B") and grade.grade_ok("B", "B") and not grade.grade_ok("C", "B")
    assert not grade.grade_ok("T", "B") and grade.worse("A", "T") == "T" and grade.worse("B", "C") == "C"


def test_key_scores_follow_testssl():
    assert [grade.key_score(KeyInfo("RSA", b)) for b in (511, 1023, 2047, 2048, 4096)] == [20, 40, 80, 90, 100]
    assert [grade.key_score(KeyInfo("EC", b)) for b in (109, 160, 224, 256)] == [20, 80, 90, 100]


def test_mozilla_intermediate_deviations():
    cert = {"key_type": "RSA", "key_bits": 2048, "signature_algorithm": "sha256WithRSAEncryption",
            "lifespan_days": 90}
    assert grade.mozilla_intermediate(["TLSv1.2", "TLSv1.3"], MODERN, cert, [KeyInfo("ECDH", 253)], ["X25519"]) == []
    bad = grade.mozilla_intermediate(["TLSv1.0", "TLSv1.2"], [ciphers.by_name("AES128-SHA")],
                                     {**cert, "key_bits": 1024, "lifespan_days": 800}, [KeyInfo("DH", 1024)], [])
    assert "protocol TLSv1.0 not in the profile" in bad
    assert "cipher suite AES128-SHA not in the profile" in bad
    assert "RSA key 1024 bits < 2048" in bad and "certificate lifespan 800 days > 366" in bad
    assert "DH parameters 1024 bits < 2048" in bad


def test_cipher_classification():
    assert ciphers.by_name("DES-CBC3-SHA").insecure and "3des" in ciphers.by_name("DES-CBC3-SHA").problems
    assert ciphers.by_name("AECDH-AES128-SHA").insecure
    assert not ciphers.by_name("ECDHE-RSA-AES128-GCM-SHA256").problems
    assert ciphers.by_name("AES128-SHA").problems == ["no_fs", "cbc"]
    assert all(s.tls13 for s in ciphers.TLS13) and len({s.id for s in ciphers.SUITES.values()}) == len(ciphers.SUITES)
