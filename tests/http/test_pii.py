"""Personal-information detection: checksum-verified ID numbers, Luhn bank cards, phones, e-mail."""

import json

import pytest

from assess.probes.http import pii
from tests.http.loopback import Answer, collect, serve


def test_id_number_check_digit_and_birth_date():
    assert pii.id_check_digit("11010519491231002") == "X"
    assert pii.is_id_number("11010519491231002X")
    assert pii.is_id_number("11010519491231002x")
    assert not pii.is_id_number("110105194912310021")  # wrong check digit
    assert not pii.is_id_number("110105194913310020")  # month 13
    assert not pii.is_id_number("440524188001010014")  # born before 1900


def test_random_eighteen_digit_numbers_mostly_do_not_count():
    import random

    rng = random.Random(7)
    samples = ["".join(rng.choice("0123456789") for _ in range(18)) for _ in range(2000)]
    hits = sum(pii.is_id_number(s) for s in samples)
    assert hits < 2000 / 11 / 5  # check digit (1/11) and a real birth date together


def test_luhn_and_card_prefixes():
    assert pii.luhn_ok("6222021234567890128")
    assert pii.is_bank_card("6217001234567893")
    assert not pii.is_bank_card("6217001234567894")  # Luhn fails
    assert not pii.is_bank_card("9217001234567891")  # no known issuer prefix
    assert not pii.is_bank_card("1234")


def test_scan_counts_unmasked_and_ignores_masked_values():
    body = ('{"phone":"13812345678","masked":"138****5678","id":"11010519491231002X",'
            '"card":"6222021234567890128","mail":"zhangsan@example.cn","ts":1700000000000,'
            '"hidden":"z***@example.cn","idm":"110105********002X"}')
    found = pii.scan(body)
    assert found.counts == {"phone": 1, "id_number": 1, "bank_card": 1, "email": 1}
    assert found.samples["phone"] == ["138****5678"]
    assert found.samples["id_number"] == ["110105********002X"]
    assert found.samples["bank_card"] == ["6222***********0128"]
    assert found.samples["email"] == ["z***@example.cn"]


def test_phone_inside_longer_numbers_is_not_a_phone():
    assert pii.scan("order 2013812345678901 ts 13812345678901").counts["phone"] == 0
    assert pii.scan("tel: +86 13812345678").counts["phone"] == 1


def test_mask_text_replaces_every_value():
    text = "张三 13812345678 身份证 11010519491231002X"
    masked = pii.mask_text(text)
    assert "13812345678" not in masked and "11010519491231002X" not in masked
    assert "138****5678" in masked and "110105********002X" in masked


# --- whole tokens only (issue 17 item 6) ----------------------------------------------------------

#: Phone-, ID-, card- and e-mail-shaped runs inside identifiers, hashes, encoded data and file names.
NOT_PI = {
    "uuid-tail": '{"id":"8f14e45f-ceea-4e5a-8a3f-c13912345678"}',
    "uuid-11-digit-group": '{"traceId":"5f2b-a716-13812345678"}',
    "hex-id": '{"etag":"5f2b8a13912345678e"}',
    "hex-id-text": "request 8a3fc13912345678 failed",
    "base64-run": '{"avatar":"iVBORw0KGgoAAAANSUhEUgAA/13812345678+AAAABAAAAAQCAYAAAAf8/9hAAAA"}',
    "jwt-like": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMzgxMjM0NTY3OCJ9_13812345678",
    "id-in-hex-run": '{"sid":"e4d9-11010519491231002X-77ab"}',
    "snowflake-number": '{"id":4532015112830366,"orderNo":13912345678}',
    "card-shaped-request-id": '{"requestId":"4532015112830366"}',
    "retina-image": '<img src="/img/logo@2x.png"><img src="icon@3x.webp">',
}
PI = {
    "phone-value": ('{"phone":"13812345678"}', "phone"),
    "phone-number-under-phone-key": ('{"mobile":13812345678}', "phone"),
    "phone-in-chinese-text": ('{"msg":"请联系13812345678"}', "phone"),
    "phone-after-json-escape": ('{"remark":"line one\\n13812345678"}', "phone"),
    "phone-with-country-code": ("tel: +86-13812345678", "phone"),
    "phone-in-html": ("<td>13812345678</td>", "phone"),
    "phone-as-json-key": ('{"13812345678":{"trips":3}}', "phone"),
    "phone-in-url-path": ('{"href":"/api/users/13812345678/orders"}', "phone"),
    "id-number": ('{"idCard":"11010519491231002X"}', "id_number"),
    "id-number-after-escape": ('{"remark":"证件\\t11010519491231002X"}', "id_number"),
    "card": ('{"card":"6222021234567890128"}', "bank_card"),
    "card-number-under-card-key": ('{"bankCard":6217001234567893}', "bank_card"),
    "email": ('{"email":"zhangsan@example.cn"}', "email"),
}


@pytest.mark.parametrize("case", sorted(NOT_PI))
def test_values_inside_longer_tokens_are_not_pi(case):
    assert pii.scan(NOT_PI[case]).kinds == []


@pytest.mark.parametrize("case", sorted(PI))
def test_whole_values_are_pi(case):
    body, kind = PI[case]
    assert pii.scan(body).kinds == [kind]


def test_redaction_masks_at_least_what_the_scan_counts():
    """Evidence must never hold what the scan reports as unmasked PI, escaped JSON included."""
    for body, _kind in PI.values():
        for value in ("13812345678", "11010519491231002X", "6222021234567890128", "zhangsan@example.cn"):
            assert value not in pii.mask_text(body)


def test_id_numbers_need_a_province_code():
    first17 = "99010519491231002"
    assert not pii.is_id_number(first17 + pii.id_check_digit(first17))


def test_uuid_tails_do_not_fail_8_1_4_11_over_http():
    """The issue's case end to end: an API listing orders by UUID, and one returning a real phone number."""
    orders = json.dumps({"orders": [{"id": "8f14e45f-ceea-4e5a-8a3f-c13912345678", "etag": "5f2b8a13912345678e",
                                     "amount": 4532015112830366}]})
    people = json.dumps({"driver": {"mobile": "13812345678"}})

    def route(path: str) -> Answer:
        if path == "/api/orders":
            return Answer(body=orders, ctype="application/json")
        if path == "/api/driver":
            return Answer(body=people, ctype="application/json")
        return Answer(body="<html><body>home</body></html>")

    with serve(route) as base:
        clean = collect(base, ["personal_info"], endpoints=["/api/orders"])["personal_info"]
        leaking = collect(base, ["personal_info"], endpoints=["/api/orders", "/api/driver"])["personal_info"]
    assert clean["unmasked_kinds"] == [] and clean["counts"]["phone"] == 0
    assert leaking["unmasked_kinds"] == ["phone"] and leaking["counts"]["phone"] == 1


def test_deeply_nested_json_is_scanned_as_text():
    body = "[" * 5000 + '"13812345678"' + "]" * 5000
    assert pii.scan(body).kinds == ["phone"]
