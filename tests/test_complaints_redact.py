"""PDPA redaction: the hand-written corpus shows zero leaks and zero false positives."""

from pathlib import Path

import pytest
import yaml

from openbangkok.redact import EMAIL, NATIONAL_ID, PHONE, Redactor, find_personal_data, national_id_valid, redact

CASES = yaml.safe_load((Path(__file__).parent / "data" / "pdpa_cases.yaml").read_text(encoding="utf-8"))
MARKERS = (PHONE, NATIONAL_ID, EMAIL)


def test_corpus_is_large_enough():
    assert len(CASES["redact"]) + len(CASES["keep"]) >= 200
    assert len(CASES["redact"]) >= 100 and len(CASES["keep"]) >= 100


def test_zero_leaks_and_zero_false_positives():
    leaks = [(text, redact(text), want) for text, want in CASES["redact"] if redact(text) != want]
    false_positives = [(text, redact(text)) for text in CASES["keep"] if redact(text) != text]
    print(f"\nPDPA corpus: {len(CASES['redact'])} positive cases, {len(leaks)} wrong; "
          f"{len(CASES['keep'])} negative cases, {len(false_positives)} false positives")
    assert leaks == []
    assert false_positives == []


@pytest.mark.parametrize("text, want", CASES["redact"])
def test_redacted_text_holds_no_personal_data(text, want):
    assert find_personal_data(redact(text)) == []


def test_counts_per_kind():
    redactor = Redactor()
    redactor.redact("โทร 081-234-5678 หรือ 02 123 4567 บัตร 3100600234561 เมล a@b.co")
    assert redactor.counts == {"phone": 2, "national_id": 1, "email": 1}


def test_check_digit():
    assert national_id_valid("3100600234561")
    assert not national_id_valid("3100600234564")
    assert national_id_valid("๓๑๐๐๖๐๐๒๓๔๕๖๑")


def test_markers_survive_a_second_pass():
    once = redact("โทร 0812345678 a@b.co 3100600234561")
    assert redact(once) == once
    assert all(marker in once for marker in MARKERS)


def test_empty_values():
    assert redact(None) is None
    assert redact("") == ""
