"""Places as data: the study area's streets and communities and the districts around it, read from places.csv.

Attribution of a text to a street follows one order everywhere: a manifest override, then a speaker heading, then
explicit street names (X街道), then community names (X社区) when no street is named. Whether a text is about the
study area at all (its scope) is decided from the same mentions: places of the study area against places outside
it. Switching the study area to another district is an edit of places.csv (the `area` column), not of code.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from helpers.base import paths, schema

PLACES = paths.RESOURCES / "places.csv"
# Suffix by which each kind of place is named in running text: a street only as "X街道" (bare 龙岗 is usually the
# district, bare 龙华 a temple or a street of another district), a community as "X社区", a town as "X镇".
SUFFIX = {"street": "街道", "community": "社区", "town": "镇", "district": "", "city": ""}
# A street or community preceded by the name of another district or city ("常州市…区南湾街道") is not ours.
FOREIGN_PREFIX = re.compile(r"(?:[\u4e00-\u9fff]{2,4}[市省])?[\u4e00-\u9fff]{2,3}[区县市]$")
DOMINANT_SHARE = 0.7  # a text is about one street when that street has at least 70% of the street mentions


@dataclass(frozen=True)
class Place:
    """One row of places.csv."""

    name: str
    english: str
    kind: str
    parent: str
    district: str
    area: str  # "in" for the study area, "outside" for neighbours
    aliases: tuple[str, ...]
    source: str

    @property
    def street(self) -> str:
        """The street this place belongs to (itself for a street, its parent for a community), else ''."""
        return self.name if self.kind == "street" else (self.parent if self.kind == "community" else "")

    def forms(self) -> list[str]:
        """Every string by which the place is named in text."""
        return [self.name + SUFFIX.get(self.kind, "")] + list(self.aliases)


@dataclass(frozen=True)
class Mention:
    """A place named in a text."""

    place: Place
    start: int
    end: int


@dataclass(frozen=True)
class Attribution:
    """Where a text belongs: scope (schema.SCOPES), district, street of the study area, and how that was decided."""

    scope: str
    district: str
    street: str
    how: str


class Gazetteer:
    """The places of places.csv with one regex over all their names (longest first)."""

    def __init__(self, rows: list[Place]):
        self.places = rows
        self.by_form = {form: p for p in rows for form in p.forms()}
        forms = sorted(self.by_form, key=lambda f: (-len(f), f))
        self.pattern = re.compile("|".join(re.escape(f) for f in forms))
        in_districts = [p.name for p in rows if p.kind == "district" and p.area == "in"]
        if len(in_districts) != 1:
            raise ValueError(f"{PLACES}: exactly one district must have area 'in' (found {in_districts})")
        self.study_district = in_districts[0]
        self.streets = tuple(p.name for p in rows if p.kind == "street" and p.area == "in")
        self.english = {p.name: p.english for p in rows}

    def mentions(self, text: str) -> list[Mention]:
        """Every place named in text, in order; a street or community behind another district's name is dropped."""
        found = []
        for m in self.pattern.finditer(text):
            place = self.by_form[m.group(0)]
            if place.kind in ("street", "community"):
                prefix = FOREIGN_PREFIX.search(text[max(m.start() - 9, 0) : m.start()])
                if prefix and not self._own_prefix(prefix.group(0), place):
                    continue
            found.append(Mention(place, m.start(), m.end()))
        return found

    def _own_prefix(self, prefix: str, place: Place) -> bool:
        """Whether a district/city prefix before a street is the place's own (深圳市龙岗区 before 南湾街道)."""
        district = self.by_form.get(place.district)
        return prefix.endswith(place.district) or (district is not None and prefix.endswith(district.parent))

    def streets_named(self, text: str) -> list[str]:
        """The study-area streets named as 'X街道', in order of mention."""
        return [m.place.name for m in self.mentions(text) if m.place.kind == "street" and m.place.area == "in"]

    def names(self) -> frozenset[str]:
        """Place words as jieba may cut them: every suffixed form and alias, the study area's bare street names, and
        the bare study district and its city (bare community names such as 吉祥 are ordinary words, so not these)."""
        district = self.by_form[self.study_district]
        stems = {self.study_district[:-1], district.parent, district.parent[:-1]}
        return frozenset(set(self.by_form) | set(self.streets) | {p.name for p in self.places if p.kind in ("district", "city")} | stems)

    def label(self, street: str) -> str:
        """平湖 → '平湖 Pinghu'; '' stays ''."""
        return f"{street} {self.english.get(street, '')}".strip()

    def attribute(self, text: str) -> Attribution:
        """Scope, district and street of a whole text from the places it names (no manifest, no heading)."""
        mentions = self.mentions(text)
        inside = [m.place for m in mentions if m.place.area == "in"]
        outside = Counter(m.place.district for m in mentions if m.place.area != "in")
        if not inside and not outside:
            return Attribution(schema.UNKNOWN, "", "", "")
        if sum(outside.values()) > len(inside):
            district = max(outside.items(), key=lambda kv: (kv[1], kv[0]))[0]
            return Attribution(schema.OUTSIDE, district, "", "place names")
        districts = sum(p.kind == "district" for p in inside)
        street = dominant([p.street for p in inside if p.kind == "street"], districts)
        if street:
            return Attribution(schema.IN_AREA, self.study_district, street, "street name")
        street = dominant([p.street for p in inside if p.kind == "community"], districts)
        return Attribution(schema.IN_AREA, self.study_district, street, "community name" if street else "")

    def heading_place(self, unit: str) -> Attribution | None:
        """The place of a speaker heading's unit ('平湖街道', '回龙埔社区', '龙华区'), or None if it names none."""
        mentions = self.mentions(unit)
        if not mentions:
            return None
        place = mentions[-1].place  # the most specific: 龙岗区南湾街道 → 南湾
        if place.area != "in":
            return Attribution(schema.OUTSIDE, place.district, "", "speaker")
        return Attribution(schema.IN_AREA, self.study_district, place.street, "speaker")

    def paragraph_street(self, text: str) -> tuple[str, str]:
        """(street, how) for a paragraph of a district-wide text: the one street it names, else the one street whose
        communities it names, else ('', '')."""
        mentions = [m.place for m in self.mentions(text) if m.place.area == "in"]
        streets = {p.street for p in mentions if p.kind == "street"}
        if len(streets) == 1:
            return streets.pop(), "mention"
        communities = {p.street for p in mentions if p.kind == "community"}
        if not streets and len(communities) == 1:
            return communities.pop(), "community"
        return "", ""


def dominant(streets: list[str], district_mentions: int) -> str:
    """The street most mentions are about: ≥70% of them, and named twice or more unless the text names no district."""
    counts = Counter(streets)
    if not counts:
        return ""
    street, n = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    if n / sum(counts.values()) < DOMINANT_SHARE:
        return ""
    return street if n >= 2 or district_mentions == 0 else ""


def read_places(path: Path = PLACES) -> list[Place]:
    """The rows of places.csv, checked: known kinds, a parent street for every community."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = [
            Place(
                r["name"].strip(),
                r["english"].strip(),
                r["kind"].strip(),
                r["parent"].strip(),
                r["district"].strip(),
                r["area"].strip(),
                tuple(a.strip() for a in r["aliases"].split("|") if a.strip()),
                r["source"].strip(),
            )
            for r in csv.DictReader(handle)
        ]
    streets = {p.name for p in rows if p.kind == "street"}
    for p in rows:
        if p.kind not in SUFFIX:
            raise ValueError(f"{path}: place {p.name} has unknown kind {p.kind!r}")
        if p.kind == "community" and p.parent not in streets:
            raise ValueError(f"{path}: community {p.name} names a parent street {p.parent!r} that is not listed")
        if p.area not in ("in", "outside"):
            raise ValueError(f"{path}: place {p.name} has area {p.area!r} (expected 'in' or 'outside')")
    return rows


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The project's gazetteer, read once."""
    return Gazetteer(read_places())
