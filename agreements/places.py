"""Place names reduced to one key, so that the spellings reports use meet the area's name.

"Donetsk", "Donetska oblast", "Donetsk Oblast'", "Donetskaya oblast" and "Донецька область"
all come down to one key per script: case, accents, apostrophes and punctuation go, generic
words go (oblast, region, province, raion, district, governorate, city of...), and the
adjectival ending of a Ukrainian or Russian place name (-ska, -skaya, -skyi, -ська, -ская...)
is cut back to its stem, as is the "-sk" of the noun it comes from. Other transliterations
(Lugansk for Luhansk, Zaporozhye for Zaporizhzhia) are not guessed: an area lists them as
aliases.
"""

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

# Words that say what kind of place a name is, not which one.
GENERIC_WORDS = frozenset(
    {
        # English and transliterations
        "oblast",
        "oblasti",
        "obl",
        "region",
        "province",
        "raion",
        "rayon",
        "district",
        "governorate",
        "city",
        "of",
        "the",
        # Ukrainian and Russian
        "область",
        "области",
        "області",
        "обл",
        "район",
        "місто",
        "город",
    }
)
_APOSTROPHES = dict.fromkeys(map(ord, "'’ʼʹ`´‘"), None)
_NOT_WORD = re.compile(r"[^\w]+")
# Adjectival endings after the "-sk" of a Ukrainian or Russian place name, with that "-sk"
# (Donetsk, Donetska, Donetskaya, Donetskyi, Donetskoi); the stem must keep three letters.
_LATIN_ADJECTIVE = re.compile(r"(?<=\w{3})sk(?:aya|aia|oye|oe|oy|oi|iy|yi|yy|ii|ij|y|a|e|i)?$")
# The same in Cyrillic, after accents are gone (й is и then): Донецьк-а, Донецк-ая, Луганськ-ий.
_CYRILLIC_ADJECTIVE = re.compile(r"(?<=\w{2}[сц])ь?к(?:ая|ои|ое|ии|ие|а|е|и)?$")


def _plain(text: str) -> str:
    """Case folded, without accents or apostrophes."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_APOSTROPHES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _stem(word: str) -> str:
    return _CYRILLIC_ADJECTIVE.sub("", _LATIN_ADJECTIVE.sub("", word))


@lru_cache(maxsize=16384)
def place_key(name: str) -> str:
    """The key two spellings of one place share ("" when nothing specific is left)."""
    words = _NOT_WORD.sub(" ", _plain(name)).replace("_", " ").split()
    return " ".join(_stem(word) for word in words if word not in GENERIC_WORDS)


def place_keys(names: Iterable[str]) -> frozenset[str]:
    """The keys of several names (an area's name, code and aliases), without empty ones."""
    return frozenset(key for key in map(place_key, names) if key)


@lru_cache(maxsize=16384)
def name_key(name: str) -> str:
    """A name without case, accents, apostrophes, dots or other punctuation, every word kept:
    "Donetsk People's Republic" and "DONETSK PEOPLES REPUBLIC" are one, "D.P.R." is "dpr"."""
    return " ".join(_NOT_WORD.sub(" ", _plain(name).replace(".", "")).replace("_", " ").split())
