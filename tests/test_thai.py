"""Thai input conventions: digits, Buddhist-era years, Thai month names, fiscal years."""

import datetime as dt

import pytest

from openbangkok.thai import conversions as thai

SEPT_4_2023 = dt.date(2023, 9, 4)


@pytest.mark.parametrize(
    "text",
    [
        "2566-09-04",
        "2023-09-04",
        "4/9/2566",
        "4 กันยายน 2566",
        "๔/๙/๒๕๖๖",
        "4 ก.ย 2566",
        "04.09.2023",
    ],
)
def test_dates_as_agencies_write_them(text):
    assert thai.parse_date(text) == SEPT_4_2023


@pytest.mark.parametrize("text", ["04/09/66", "4 ก.ย. 66", "๔/๙/๖๖"])
def test_two_digit_buddhist_years_where_the_schema_says_so(text):
    assert thai.parse_date(text, two_digit_years=True) == SEPT_4_2023
    with pytest.raises(thai.TwoDigitYear):
        thai.parse_date(text)


def test_date_that_does_not_exist():
    with pytest.raises(ValueError):
        thai.parse_date("31/02/2566")


def test_not_a_date():
    assert thai.parse_date("soon") is None


@pytest.mark.parametrize(
    "text, number", [("๔,๙๔๖", "4946"), ("4,946", "4946"), ("1,234.5", "1234.5"), ("4,94", "4,94"), ("๑๒", "12")]
)
def test_plain_number(text, number):
    assert thai.plain_number(text) == number


def test_clean_text_nfc_and_zero_width():
    decomposed = "e\u0301"
    assert thai.clean_text(f"ถนน\u200bพระราม {decomposed}") == "ถนนพระราม \u00e9"


@pytest.mark.parametrize("day, year", [(dt.date(2023, 9, 30), 2023), (dt.date(2023, 10, 1), 2024)])
def test_fiscal_year(day, year):
    assert thai.fiscal_year(day) == year


@pytest.mark.parametrize("text", ["2566-09", "2023-09", "9/2566", "09/66", "ก.ย. 66", "กันยายน 2566", "๒๕๖๖-๐๙"])
def test_year_month_as_agencies_write_it(text):
    assert thai.parse_year_month(text, two_digit_years=True) == (2023, 9)


def test_not_a_month():
    assert thai.parse_year_month("2566-13") is None and thai.parse_year_month("soon") is None
