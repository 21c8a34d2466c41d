"""Regenerate the illustrative district rows of datasets/ita/ita_results.csv.

Usage: python scripts/generate_ita_sample.py [DATASETS_DIR]

Per-district ITA scores are not public in a form we have, so the district rows are a made-up sample
(is_illustrative = 1) that agrees with what the BMA did publish: about 10 of the 50 district offices
rated excellent (level AA, see datasets/ita/datapackage.yaml) in ITA 2565 and 26 of 50 in 2566, and
ภาษีเจริญ top in 2565 with 98.60 (a real row). Real rows (is_illustrative = 0) are kept as they are;
a district that has a real row for a year gets no illustrative row for that year. The sample is the
same on every run (fixed seed).
"""

import csv
import random
import sys
from pathlib import Path

from openbangkok.model.sql_functions import ITA_LEVELS, ita_level

SEED = 2566
COLUMNS = ["agency_code", "fiscal_year_be", "score", "iit", "eit", "oit", "level", "is_illustrative", "source"]
# How many of the 50 district offices get each level, per year. AA counts are the published aggregates;
# the others are made up (2566: "almost all district offices passed", PPTV, 5 Sep 2023).
LEVEL_COUNTS = {
    2565: {"AA": 10, "A": 28, "B": 9, "C": 3},
    2566: {"AA": 26, "A": 21, "B": 3},
}
SOURCE = (
    "ตัวอย่างประกอบ ไม่ใช่คะแนนจริง / ILLUSTRATIVE, not an official score: made up by the Open Bangkok team "
    "to agree with BMA's published aggregates (about 10 districts excellent in 2565, 26 of 50 in 2566; "
    "BMA press release of 4 Sep 2023, https://pr-bangkok.com/?p=178020)"
)


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def band_cents(level: str) -> tuple[int, int]:
    """(lowest, highest) score of a level, in hundredths."""
    bounds = dict((lvl, low) for low, lvl in ITA_LEVELS)
    higher = [low for low, lvl in ITA_LEVELS if low > bounds[level]]
    top = min(higher) * 100 - 1 if higher else 100 * 100
    return bounds[level] * 100, top


def components(score_cents: int, maxima: dict[str, int], rng: random.Random) -> dict[str, int]:
    """Split the points a score misses (100 - score) over IIT, EIT and OIT, each within its maximum."""
    missing = 100 * 100 - score_cents
    weights = {"iit": rng.uniform(0.3, 1.0), "eit": rng.uniform(0.3, 1.0), "oit": rng.uniform(0.0, 0.6)}
    total = sum(weights.values())
    lost = {}
    for name in ("iit", "eit"):
        lost[name] = min(int(missing * weights[name] / total), maxima[name])
    lost["oit"] = missing - lost["iit"] - lost["eit"]
    if lost["oit"] > maxima["oit"]:  # cannot happen for scores of 30 or more; kept for safety
        raise ValueError(f"score {score_cents / 100} cannot be split within the maxima {maxima}")
    return {name: maxima[name] - lost[name] for name in ("iit", "eit", "oit")}


def sample_scores(counts: dict[str, int], rng: random.Random, below: int | None) -> list[int]:
    """Distinct scores (hundredths), highest first, `counts[level]` of each level, all below `below`."""
    scores = []
    for level, n in counts.items():
        low, high = band_cents(level)
        if below is not None:
            high = min(high, below - 1)
        scores += rng.sample(range(low, high + 1), n)
    return sorted(scores, reverse=True)


def generate(datasets: Path) -> list[dict]:
    rng = random.Random(SEED)
    ita = datasets / "ita"
    offices = [
        r["agency_code"] for r in read_csv(datasets / "reference" / "agencies.csv") if r["kind"] == "district office"
    ]
    rounds = {
        int(r["fiscal_year_be"]): {k: round(float(r[f"{k}_max"]) * 100) for k in ("iit", "eit", "oit")}
        for r in read_csv(ita / "ita_rounds.csv")
    }
    real = [r for r in read_csv(ita / "ita_results.csv") if r["is_illustrative"] == "0"]
    rows = list(real)
    # A latent order of the districts, kept from year to year with some noise, so trends look plausible.
    order = offices[:]
    rng.shuffle(order)
    for year, counts in LEVEL_COUNTS.items():
        known = {
            r["agency_code"]: int(round(float(r["score"]) * 100))
            for r in real
            if int(r["fiscal_year_be"]) == year and r["agency_code"] in offices
        }
        noisy = sorted(order, key=lambda code: order.index(code) + rng.gauss(0, 6))
        # Real rows stay where their score puts them; the sample fills the remaining places.
        remaining = dict(counts)
        for cents in known.values():
            remaining[ita_level(cents / 100)] -= 1
        top_real = max(known.values(), default=None)
        scores = iter(sample_scores({k: v for k, v in remaining.items() if v}, rng, top_real))
        this_year = dict(known)
        for code in [c for c in noisy if c not in known]:
            score = this_year[code] = next(scores)
            parts = components(score, rounds[year], rng)
            rows.append(
                {
                    "agency_code": code,
                    "fiscal_year_be": str(year),
                    "score": f"{score / 100:.2f}",
                    **{name: f"{value / 100:.2f}" for name, value in parts.items()},
                    "level": ita_level(score / 100),
                    "is_illustrative": "1",
                    "source": SOURCE,
                }
            )
        # the sample's own order goes on to next year; a real row does not lift its district in the
        # sample (the sample must not rank a real district first in a year nobody published)
        previous = order
        order = sorted((code for code in this_year if code not in known), key=this_year.get, reverse=True)
        for code in sorted(known, key=previous.index):
            order.insert(previous.index(code), code)
    rows.sort(key=lambda r: (int(r["fiscal_year_be"]), r["is_illustrative"], r["agency_code"]))
    return rows


def main(datasets: Path) -> None:
    rows = generate(datasets)
    with (datasets / "ita" / "ita_results.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "datasets")
