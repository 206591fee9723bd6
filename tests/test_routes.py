"""docs/teaching.md's routes add up: each column of the routes table sums to its heading (set-up and break
included), and no notebook gets more class time than its own heading in the guide says it takes."""

import re
from pathlib import Path

GUIDE = (Path(__file__).resolve().parent.parent / "docs" / "teaching.md").read_text(encoding="utf-8")


def routes_table():
    section = GUIDE.split("## Routes", 1)[1].split("\n### ", 1)[0]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in section.splitlines() if line.startswith("|")]
    return rows[0], rows[2:]


def minutes(cell):
    m = re.match(r"(\d+)", cell)
    return int(m.group(1)) if m else 0  # "homework"


def test_each_route_adds_up_to_its_length():
    header, rows = routes_table()
    body, total = rows[:-1], rows[-1]
    assert any(r[0].startswith("set-up") and minutes(r[1]) >= 15 for r in body), "a route must budget the set-up"
    for k, name in enumerate(header[1:], start=1):
        length = int(re.match(r"(\d+)", name).group(1)) * (60 if "hour" in name else 1)
        got = sum(minutes(r[k]) for r in body)
        assert got == minutes(total[k]) == length, f"the {name} route's rows add up to {got} minutes, not {length}"


def test_no_notebook_gets_more_than_its_own_minutes():
    _, rows = routes_table()
    for row in rows:
        if m := re.match(r"(\d\d) ·", row[0]):
            heading = re.search(rf"### {m.group(1)} ·.*?\n\n\*About (\d+)(?:–(\d+))? minutes", GUIDE, re.S)
            most = int(heading.group(2) or heading.group(1))
            assert all(minutes(c) <= most for c in row[1:]), f"{row[0]} gets more than its own {most} minutes: {row}"
