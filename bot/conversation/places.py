"""Places people type at the join form's location step instead of tapping a button ("on est à
Seraing", "Mouscron", "Gent"), folded as `message_cues.words` folds them. Towns, not every
municipality: a place not listed still gets the buttons."""

from __future__ import annotations

WALLONIA = (
    "wallonie wallonia liege namur charleroi mons tournai mouscron verviers seraing wavre"
    " ottignies nivelles waterloo arlon bastogne dinant huy gembloux ath soignies binche herstal"
    " eupen spa malmedy bertrix libramont ciney andenne sambreville chatelet fleurus gosselies"
    " jodoigne tubize waremme hannut vise ans flemalle chaudfontaine durbuy neufchateau virton"
    " philippeville couvin chimay thuin enghien lessines peruwelz comines frameries boussu"
    " manage seneffe courcelles rixensart genappe perwez eghezee jambes marcinelle jumet"
    " aywaille esneux stavelot welkenraedt ardennes hainaut"
)
BELGIUM_ELSEWHERE = (
    "bruxelles brussels brussel ixelles anderlecht schaerbeek uccle etterbeek flandre flanders"
    " vlaanderen anvers antwerpen antwerp gand gent ghent bruges brugge louvain leuven malines"
    " mechelen hasselt courtrai kortrijk ostende oostende genk alost aalst zaventem vilvorde"
    " belgique belgium belgie"
)
ABROAD = (
    "etranger abroad france paris lille netherlands nederland amsterdam rotterdam maastricht"
    " allemagne germany aachen cologne luxembourg uk london londres usa israel canada suisse"
    " switzerland italie italy espagne spain pologne poland inde india"
)
NAMED_PLACES: tuple[tuple[str, str], ...] = (
    *((name, "wallonia") for name in WALLONIA.split()),
    *((name, "belgium") for name in BELGIUM_ELSEWHERE.split()),
    *((name, "abroad") for name in ABROAD.split()),
)
# Read first and taken out, so that "louvain la neuve" is in Wallonia and "louvain" alone is not.
MULTI_WORD_PLACES: tuple[tuple[str, str], ...] = (
    ("louvain la neuve", "wallonia"),
    ("la louviere", "wallonia"),
    ("braine l alleud", "wallonia"),
    ("braine le comte", "wallonia"),
    ("marche en famenne", "wallonia"),
    ("mont saint guibert", "wallonia"),
    ("saint ghislain", "wallonia"),
    ("saint vith", "wallonia"),
    ("brabant wallon", "wallonia"),
    ("luxembourg belge", "wallonia"),
    ("pays bas", "abroad"),
    ("aix la chapelle", "abroad"),
    ("etats unis", "abroad"),
    ("united states", "abroad"),
    ("new york", "abroad"),
    ("tel aviv", "abroad"),
)


def place_of(said: list[str]) -> str | None:
    """`wallonia`, `belgium` or `abroad` for the one kind of place the words name, if any."""
    joined = " " + " ".join(said) + " "
    found = {kind for name, kind in MULTI_WORD_PLACES if f" {name} " in joined}
    for name, _kind in MULTI_WORD_PLACES:
        joined = joined.replace(f" {name} ", " ")
    single = {kind for name, kind in NAMED_PLACES if f" {name} " in joined}
    found |= single
    return found.pop() if len(found) == 1 else None
