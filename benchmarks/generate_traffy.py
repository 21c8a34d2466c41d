"""Synthetic Traffy Fondue tickets in the exact format of the public dump, for tests and scale tests.

    python benchmarks/generate_traffy.py --rows 1000000 --out /tmp/traffy_1m.csv --seed 7
    python benchmarks/generate_traffy.py --rows 3000 --dataset /tmp/site/datasets
    python benchmarks/generate_traffy.py --rows 1000 --text short     (the older, shorter texts)

`--dataset DIR` writes the tickets into DIR/complaints/traffy_fondue.csv and points the complaints
resource of DIR (a copy of datasets/) at them, read by the dump adapter and labelled ILLUSTRATIVE:
the site then publishes the synthetic tickets in place of the real ones (tests, benchmarks). The
published site's complaints are real (datasets/complaints/traffy_api/).

Every ticket is made up (place names come from geothai; no text, number or coordinate is real).
The rows carry the dirt the real dump is known for: multi-type and empty `{}`
types, coordinates missing, in parentheses or written latitude first, tickets from Nonthaburi and
other neighbouring provinces, several spellings of Bangkok, district names with and without เขต
and with typos, fractional seconds of varying length, unusual states, duplicate submissions, quoted
newlines, HTML and spreadsheet-formula text, and phone numbers, national IDs and e-mail addresses
in comments (for the PDPA redaction to remove). The output is written as it is generated, so
memory stays flat for any number of rows; the same seed gives the same file.

Text (`--text`): `real` (the command line's default, for benchmarks) draws each comment's length
from the lengths of the real comments in datasets/complaints/traffy_api/ (the API's pages: mean
129 characters, median 74, 90th percentile 290) and fills it with their words, shuffled and
recombined, and each address's street part from the real addresses, so that the text per row (what
the search index and the redaction work on) is the real one's; personal data is made up and added
at the real comments' share (what the redaction finds in them), the real texts being redacted
before use. `short` (the tests' sample: `use_in`) writes the older one- or two-sentence comments of
known words (about 49 characters).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sys
from pathlib import Path

import geothai

from openbangkok.adapters.traffy.columns import RAW_FIELDS, TYPE_NAMES

if __package__:  # imported by the tests, as benchmarks.generate_traffy
    from .traffy_text import ODD_TEXT, PLACES, PROBLEMS, ROADS, TAILS, personal_data, real_text
else:  # run as a script, or imported by another benchmark: benchmarks/ is on sys.path
    from traffy_text import ODD_TEXT, PLACES, PROBLEMS, ROADS, TAILS, personal_data, real_text

COLUMNS = list(RAW_FIELDS)  # the dump's header, as adapters/traffy/dump_csv reads it
ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
URL_ALPHABET = "abcdefghjkmnpqrstuvwxyz"  # no digits: a photo URL never looks like a phone number
TYPES = list(TYPE_NAMES)  # TYPE_WEIGHTS below follow their order
TYPE_WEIGHTS = [14, 10, 9, 6, 12, 8, 7, 8, 6, 2, 4, 3, 3, 4, 5, 2, 2, 1, 2, 1, 1, 1, 1, 1]
UNKNOWN_TYPES = ["ทางด่วน", "อื่นๆ", "ฝุ่นควัน"]
STATES = [
    ("เสร็จสิ้น", 70),
    ("กำลังดำเนินการ", 14),
    ("รอรับเรื่อง", 10),
    ("", 3),
    ("ส่งต่อ", 2),
    ("ไม่เกี่ยวข้อง", 0.5),
    ("ดำเนินการแล้วบางส่วน", 0.5),
]
BANGKOK_SPELLINGS = [
    ("กรุงเทพมหานคร", 86),
    ("จังหวัดกรุงเทพมหานคร", 4),
    ("กรุงเทพฯ", 3),
    ("กทม", 2),
    ("กทม.", 1),
    ("Bangkok", 1),
    ("", 1),
]
NEIGHBOURS = {"12": "นนทบุรี", "11": "สมุทรปราการ", "13": "ปทุมธานี"}
NEIGHBOUR_SPELLINGS = {
    "นนทบุรี": ["นนทบุรี", "จังหวัดนนทบุรี", "จ.นนทบุรี"],
    "สมุทรปราการ": ["สมุทรปราการ", "จังหวัดสมุทรปราการ"],
    "ปทุมธานี": ["ปทุมธานี"],
}
START = dt.datetime(2021, 8, 1, tzinfo=dt.UTC)
SPAN_SECONDS = int((dt.datetime(2025, 1, 31, tzinfo=dt.UTC) - START).total_seconds())


def pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def typo(rng: random.Random, name: str) -> str:
    """One character dropped or doubled: the kind of slip seen in the district column."""
    i = rng.randrange(1, len(name))
    return name[:i] + name[i + 1 :] if rng.random() < 0.5 else name[:i] + name[i - 1] + name[i:]


class Generator:
    def __init__(self, seed: int, text: str = "real"):
        self.rng = random.Random(seed)
        self.real = real_text() if text == "real" else None
        self.bangkok = [
            (d, [s.name_th for s in geothai.subdistricts(d.code)], s_postal)
            for d in geothai.districts("10")
            for s_postal in [geothai.subdistricts(d.code)[0].postal_codes[0]]
        ]
        self.neighbours = {
            code: [(d, [s.name_th for s in geothai.subdistricts(d.code)]) for d in geothai.districts(code)]
            for code in NEIGHBOURS
        }
        self.previous: list[list[str]] = []

    def ticket_id(self, number: int, year: int) -> str:
        value = (number * 1_000_003 + 7_777_777) % 36**6  # distinct for every number below 36**6
        chars = []
        for _ in range(6):
            value, digit = divmod(value, 36)
            chars.append(ID_ALPHABET[digit])
        return f"{year}-{''.join(chars)}"

    def url(self, when: dt.datetime) -> str:
        name = "".join(self.rng.choices(URL_ALPHABET, k=24))
        return f"https://storage.googleapis.com/traffy_public_bucket/attachment/{when:%Y-%m}/{name}.jpg"

    @staticmethod
    def timestamp(when: dt.datetime, digits: int) -> str:
        text = when.strftime("%Y-%m-%d %H:%M:%S")
        if digits:
            text += "." + f"{when.microsecond:06d}"[:digits]
        return text + "+00"

    def row(self, number: int) -> list[str]:
        rng = self.rng
        if self.previous and rng.random() < 0.01:  # a duplicate submission of a recent ticket
            return list(rng.choice(self.previous))
        when = START + dt.timedelta(seconds=rng.randrange(SPAN_SECONDS), microseconds=rng.randrange(1_000_000))
        roll = rng.random()
        if roll < 0.08:
            types = []
        else:
            types = list(dict.fromkeys(rng.choices(TYPES, TYPE_WEIGHTS, k=1 if roll < 0.75 else rng.randint(2, 3))))
            if rng.random() < 0.01:
                types.append(rng.choice(UNKNOWN_TYPES))
        type_text = "{" + ",".join(f'"{t}"' if rng.random() < 0.02 else t for t in types) + "}"

        if rng.random() < 0.04:
            province_code = rng.choice(list(NEIGHBOURS))
            district, subdistricts = rng.choice(self.neighbours[province_code])
            province = rng.choice(NEIGHBOUR_SPELLINGS[NEIGHBOURS[province_code]])
            district_text = district.name_th
            latitude, longitude = rng.uniform(13.55, 14.10), rng.uniform(100.35, 100.75)
            postal = ""
        else:
            district, subdistricts, postal = rng.choice(self.bangkok)
            province = pick(rng, BANGKOK_SPELLINGS)
            short = district.name_th.removeprefix("เขต")
            district_text = district.name_th if rng.random() < 0.5 else short
            if rng.random() < 0.03:
                district_text = typo(rng, short)
            latitude, longitude = rng.uniform(13.55, 13.93), rng.uniform(100.36, 100.90)
        subdistrict = rng.choice(subdistricts)
        organization = (
            "{"
            + ",".join(
                [f"สำนักงาน{district.name_th}" if province_code_of(district) == "10" else f"สำนักงาน{province}"]
                + (['"ฝ่ายโยธา ' + district.name_th + '"'] if rng.random() < 0.3 else [])
            )
            + "}"
        )
        if rng.random() < 0.05:
            organization = "{}" if rng.random() < 0.5 else ""

        comment = self.real_comment() if self.real else self.comment(types)
        if self.real:
            street = self.real.street(rng)
        else:  # drawn in this order, so that a seed gives the sample it gave before
            road = rng.choice(ROADS)
            street = f"{rng.randint(1, 999)}/{rng.randint(1, 99)} ถนน{road}"
        address = (
            f"{street} แขวง{subdistrict} {district.name_th} {province or 'กรุงเทพมหานคร'} {postal} ประเทศไทย"
        ).replace("  ", " ")
        if rng.random() < 0.01:
            address += " " + personal_data(rng)

        coords_roll = rng.random()
        if coords_roll < 0.03:
            coords = ""
        else:
            coords = f"{longitude:.5f},{latitude:.5f}"
            if coords_roll < 0.08:
                coords = f"({coords})"
            elif coords_roll < 0.09:
                coords = f"{latitude:.5f},{longitude:.5f}"  # latitude first
            elif coords_roll < 0.095:
                coords = f"{rng.uniform(99.5, 100.2):.5f},{rng.uniform(14.2, 15.0):.5f}"  # far outside

        state = pick(rng, STATES)
        digits = rng.choice([0, 1, 2, 3, 4, 5, 6, 6, 6])
        last = when + dt.timedelta(seconds=rng.expovariate(1 / (86400 * (12 if state == "เสร็จสิ้น" else 30))))
        finished = state == "เสร็จสิ้น"
        star = f"{rng.randint(1, 5)}.0" if finished and rng.random() < 0.5 else ""
        reopen = str(rng.choices([0, 1, 2, 3], [90, 7, 2, 1])[0])
        row = [
            self.ticket_id(number, when.year),
            type_text,
            organization,
            comment,
            self.url(when),
            self.url(last) if finished and rng.random() < 0.8 else "",
            coords,
            address,
            subdistrict,
            district_text,
            province,
            self.timestamp(when, digits),
            state,
            star,
            reopen,
            self.timestamp(last, rng.choice([3, 5, 6, 6])),
        ]
        if rng.random() < 0.001:  # a row cut short by a broken export
            row = row[: rng.randint(3, 14)]
        elif rng.random() < 0.0005:
            row[0] = ""
        self.previous.append(row)
        if len(self.previous) > 50:
            self.previous.pop(0)
        return row

    def real_comment(self) -> str:
        """Real words in a real comment's length, with the sample's dirt at the same rates as
        comment() except personal data, added at the real comments' share."""
        rng = self.rng
        text = self.real.comment(rng)
        if rng.random() < self.real.personal_share:
            text += " " + personal_data(rng)
        elif rng.random() < 0.03:
            text = rng.choice(ODD_TEXT) + text
        if rng.random() < 0.02:
            text += ' ทั้งที่ป้ายเขียนว่า "ห้ามจอด", ห้ามทิ้งขยะ'
        return text

    def comment(self, types: list[str]) -> str:
        rng = self.rng
        kinds = types or [rng.choice(TYPES)]
        parts = [rng.choice(PROBLEMS.get(k, ["แจ้งปัญหาในพื้นที่"])) for k in kinds[:2]]
        text = f"{' '.join(parts)} {rng.choice(PLACES)}" + rng.choice(TAILS)
        roll = rng.random()
        if roll < 0.06:
            text += " " + personal_data(rng)
        elif roll < 0.09:
            text = rng.choice(ODD_TEXT) + text
        if rng.random() < 0.05:
            text = text.replace(" ", "\n", 1)  # a line break inside the quoted cell
        if rng.random() < 0.02:
            text += ' ทั้งที่ป้ายเขียนว่า "ห้ามจอด", ห้ามทิ้งขยะ'
        if rng.random() < 0.01:
            text = ""
        return text


def province_code_of(district) -> str:
    return district.code[:2]


def generate(rows: int, out, seed: int = 2024, text: str = "real") -> None:
    generator = Generator(seed, text)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for number in range(rows):
        writer.writerow(generator.row(number))


# The complaints resource when it holds the synthetic tickets (--dataset).
SYNTHETIC_RESOURCE = {
    "title": "เรื่องร้องเรียน Traffy Fondue (ข้อมูลตัวอย่าง) / Traffy Fondue tickets (ILLUSTRATIVE synthetic sample)",
    "description": "ILLUSTRATIVE (ข้อมูลตัวอย่าง): synthetic tickets in the format of the Traffy Fondue public "
    "dump, made up for tests; no ticket, text, number or coordinate is real.",
    "path": "traffy_fondue.csv",
    "adapter": "traffy.dump_csv",
    "illustrative": True,
    "schema": "traffy_fondue.schema.yaml",
    "sources": [
        {
            "title": "ILLUSTRATIVE synthetic tickets made up for tests, in the Traffy Fondue dump format "
            "(ข้อมูลตัวอย่างสังเคราะห์ ไม่ใช่เรื่องร้องเรียนจริง)"
        }
    ],
}


def use_in(datasets: Path, rows: int, seed: int, text: str = "short") -> Path:
    """Writes `rows` tickets into datasets/complaints and makes them the complaints resource (the
    tests' sample: short texts of known words by default)."""
    out = datasets / "complaints" / SYNTHETIC_RESOURCE["path"]
    with out.open("w", encoding="utf-8", newline="") as f:
        generate(rows, f, seed, text)
    point_complaints_at_dump(datasets)
    return out


def point_complaints_at_dump(datasets: Path) -> None:
    """The complaints resource of `datasets` read from complaints/traffy_fondue.csv by the dump adapter."""
    import yaml  # a dependency of the project, not of plain generation

    folder = datasets / "complaints"
    descriptor_path = folder / "datapackage.yaml"
    descriptor = yaml.safe_load(descriptor_path.read_text(encoding="utf-8"))
    resource = next(r for r in descriptor["resources"] if r["name"] == "complaints")
    for key in ("path", "adapter", "schema", "illustrative", "sources", "title", "description"):
        resource.pop(key, None)
    resource.update(SYNTHETIC_RESOURCE)
    descriptor_path.write_text(yaml.safe_dump(descriptor, allow_unicode=True, sort_keys=False), encoding="utf-8")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=3000, help="Number of rows (duplicates included).")
    parser.add_argument("--out", type=Path, help="The CSV to write (default: standard output).")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--text",
        choices=("real", "short"),
        default="real",
        help="Comments and addresses from the real tickets' words and lengths, or the short sample's.",
    )
    parser.add_argument(
        "--dataset",
        type=Path,
        metavar="DIR",
        help="A copy of datasets/ whose complaints become these tickets (see above).",
    )
    args = parser.parse_args(argv)
    if args.dataset is not None:
        use_in(args.dataset, args.rows, args.seed, args.text)
        return
    if args.out is None:
        generate(args.rows, sys.stdout, args.seed, args.text)
        return
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as out:
        generate(args.rows, out, args.seed, args.text)


if __name__ == "__main__":
    main()
