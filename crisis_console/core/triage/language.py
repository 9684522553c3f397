"""The language a post is written in (the one module that imports py3langid).

Most posts a brand receives are in English, and the detector's model takes half a second
to load and about 20 µs a post, so a post is first looked at quickly: one that holds
enough of English's commonest words, or too few words to tell, is English without asking
the model (which is then never loaded). Only the rest are given to it, among the thirty
languages a brand's posts are most often in; a guess it is unsure of counts as English,
as every post did before.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from crisis_console.core.triage.terms import WORD, Words

SCORED = ("en", "es", "fr", "de", "pt", "it")  # the languages triage has vocabularies for
CANDIDATES = (
    "en es fr de pt it nl pl tr sv da no fi ru uk ar zh ja ko hi id ms tl vi th el he cs ro hu"
).split()
NAMES = {
    "en": "English", "es": "Spanish", "fr": "French", "de": "German", "pt": "Portuguese",
    "it": "Italian", "nl": "Dutch", "pl": "Polish", "tr": "Turkish", "sv": "Swedish",
    "da": "Danish", "no": "Norwegian", "fi": "Finnish", "ru": "Russian", "uk": "Ukrainian",
    "ar": "Arabic", "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "hi": "Hindi",
    "id": "Indonesian", "ms": "Malay", "tl": "Tagalog", "vi": "Vietnamese", "th": "Thai",
    "el": "Greek", "he": "Hebrew", "cs": "Czech", "ro": "Romanian", "hu": "Hungarian",
}  # fmt: skip
SURE = 0.6  # the detector's probability below which a post counts as English
MIN_WORDS = 3  # fewer words than this: too short to tell ("ok", "no way!!")

# English's commonest words, less those other languages share: a post with enough of
# them is English without further ado.
ENGLISH = frozenset(
    """the and or but are was were be been being i you he she it we they him her them my
    your his its our their this that these those of at for with from by about into than
    then there here what when where why how who which not yes does did have has had will
    would can could should just all any some get got go going gone again still very really
    too also only even more most much many thanks thank please lol omg im i'm it's don't
    can't won't didn't doesn't isn't wasn't you're that's i've i'll what's there's let's
    out up down now today tomorrow yesterday ordered anyone someone something nothing day
    days hours week month two three after before over since because never ever always same
    other new good great bad worst best love hate like want need came says said sent
    arrived back every another without next last first time keep off found working order
    mine your yours our ours my me if one way well know think make made take took see saw
    look looks help tried try still customer service refund delivery phone account app
    free price food check support update box minutes night morning year weeks""".split()
)
# Words English shares with other languages ("a", "in", "no", "me"): they count towards a
# post's English words only beside one of the words above.
SHARED = frozenset("a an in on to is as am do so no me he we".split())
_NOT_WORDS = re.compile(r"https?://\S+|www\.\S+|[@#]\w+")  # links, handles and tags
_FOR_MODEL = re.compile(r"https?://\S+|www\.\S+|@\w+|\brt\b")  # (tags' words are words)

# Words that, among the languages triage scores, mostly belong to one (accents as written
# and folded): a post with several of one language's and few of any other's is in it
# without asking the model. The rest, and every other language, go to the model.
MARKERS = {
    "es": "el los las del por para pero está esta estoy muy qué que y mi hay ya fue como "
          "también nada porque cuando donde tengo hace",
    "pt": "não nao os um uma com mas está muito você voce é do da dos das na ao pelo pela "
          "estou tenho isso meu minha foi já ja também",
    "it": "il gli della delle che non per sono è ma molto anche questo questa mio mia ho "
          "nel alla dal del ci perché",
    "fr": "le les des est une pour avec pas je vous et du dans sur ce cette mon ma mes "
          "très tres qui au aux suis",
    "de": "der die das und ist nicht mit ich ein eine auf für fur zu den von dem im es "
          "mein meine sehr auch wir",
}  # fmt: skip
_MARKERS = {code: frozenset(words.split()) for code, words in MARKERS.items()}
MIN_MARKERS = 2  # of one language's words, and twice those of the next


class LanguageDetector:
    """`language(words, text)`: the language's code ("en", "es", ...). Thread-safe; the
    model loads the first time a post is not plainly English, once a process."""

    def language(self, words: Words, text: str) -> str:
        # Distinct words (a set), less those of links, handles and tags.
        plain = {w for w in words.words if w.isalpha()}
        # One scan: most posts have none, and then nothing more is done.
        for found in _NOT_WORDS.findall(text):
            plain.difference_update(WORD.findall(found))
        if len(plain) < MIN_WORDS:
            return "en"
        english = len(plain & ENGLISH)
        if english and (english + len(plain & SHARED)) * 3 >= len(plain):
            return "en"
        scored, others = _scored_language(plain, english)
        if scored:
            return scored
        # A headline ("Search for dead in Dhaka collapse over"): a few English words, and
        # next to none of another language's.
        if (
            english >= 2
            and english >= 2 * others
            and (english + len(plain & SHARED)) * 4 >= len(plain)
        ):
            return "en"
        # Links, handles and "rt" say nothing of the language and pull towards English (a
        # Spanish headline with a link read as English): the model reads the words alone,
        # and 40 % faster.
        code, probability = _identifier().classify(_FOR_MODEL.sub(" ", text))
        return str(code) if probability >= SURE else "en"


def _scored_language(plain: set[str], english: int) -> tuple[str, int]:
    """The one scored language whose marker words the post plainly holds, or "", and the
    most marker words of any one of them."""
    counts = sorted(((len(plain & words), code) for code, words in _MARKERS.items()), reverse=True)
    (best, code), (second, _) = counts[0], counts[1]
    if best >= MIN_MARKERS and best >= 2 * max(second, english, 1) and best * 4 >= len(plain):
        return code, best
    return "", best


@functools.cache  # thread-safe enough: two first callers at once would each load it once
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    model.set_languages(CANDIDATES)
    return model


def name_of(code: str) -> str:
    return NAMES.get(code, code)
