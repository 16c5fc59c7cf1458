"""Personal-information detection: checksum-verified ID numbers, Luhn bank cards, phones, e-mail."""

from assess.probes.http import pii


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
