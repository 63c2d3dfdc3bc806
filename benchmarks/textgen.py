"""Seeded news-like English text: a unigram word model with real function-word density.

Not meant to be read, meant to be *processed* like news: about 45 % stop words (what
newspaper4k's scoring counts), sentences of 8–30 words with commas and quotes, proper
names, and a subject (a country and its capital) that titles, summaries and bodies share, so
topic matching and clustering see the shapes real stories have.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

_FUNCTION_WORDS_TEXT = """
the of and to a in that is was he for it with as his on be at by i this had not are but
from or have an they which one you were her all she there would their we him been has
when who will more no if out so said what up its about into than them can only other new
some could time these two may then do first any my now such like our over man me even
most made after also did many before must through back years where much your way well
down should because each just those people how too little state good very make world
still own see men work long get here between both life being under never day same
another know while last might us great old year off come since against go came right
used take three
"""
FUNCTION_WORDS = tuple(_FUNCTION_WORDS_TEXT.split())

_CONTENT_WORDS_TEXT = """
government minister president officials leaders agreement security forces troops war
peace talks ceasefire attack missile drone strike border military defense army navy
election vote voters parliament party campaign coalition opposition court judge ruling
law police investigation prosecutors charges trial prison economy inflation prices
market markets bank banks rates interest growth recession jobs workers wages union
strike trade tariffs exports imports sanctions oil gas energy pipeline power grid
climate emissions heat flood floods storm hurricane wildfire drought weather scientists
study research health hospital doctors patients virus vaccine outbreak disease schools
students teachers university children families women refugees migrants asylum aid
humanitarian food grain wheat harvest farmers prices fuel budget tax taxes spending debt
deficit reform policy plan proposal summit meeting conference statement spokesman
spokeswoman report reports data figures survey analysts experts company companies
technology software chips artificial intelligence internet platform users privacy
cyberattack hackers satellite space launch rocket airline flights airport railway
transport city cities capital region regions province village villages residents
community protest protesters demonstrators rally crowd violence killed wounded dead
injured casualties civilians soldiers fighters rebels militants hostages negotiators
envoy envoys diplomats embassy ambassador foreign ministry allies alliance partners
treaty deal commitments support weapons ammunition equipment funding billion million
percent quarter week month morning evening night weekend official announced warned
called signed agreed rejected approved denied accused confirmed reported expected
according including despite however although several former senior national local
international european american russian chinese western eastern northern southern major
new key final recent early late high low strong weak public private independent historic
significant serious critical growing rising falling
"""
CONTENT_WORDS = tuple(_CONTENT_WORDS_TEXT.split())

COUNTRIES = (
    ("Ukraine", "Kyiv"),
    ("Russia", "Moscow"),
    ("Germany", "Berlin"),
    ("France", "Paris"),
    ("Britain", "London"),
    ("Poland", "Warsaw"),
    ("Italy", "Rome"),
    ("Spain", "Madrid"),
    ("China", "Beijing"),
    ("Japan", "Tokyo"),
    ("India", "Delhi"),
    ("Brazil", "Brasilia"),
    ("Mexico", "Mexico City"),
    ("Canada", "Ottawa"),
    ("Australia", "Canberra"),
    ("Turkey", "Ankara"),
    ("Iran", "Tehran"),
    ("Israel", "Jerusalem"),
    ("Egypt", "Cairo"),
    ("Nigeria", "Abuja"),
    ("Kenya", "Nairobi"),
    ("Argentina", "Buenos Aires"),
    ("Sweden", "Stockholm"),
    ("Norway", "Oslo"),
    ("Finland", "Helsinki"),
    ("Greece", "Athens"),
    ("Hungary", "Budapest"),
    ("Romania", "Bucharest"),
    ("Moldova", "Chisinau"),
    ("Georgia", "Tbilisi"),
    ("Syria", "Damascus"),
    ("Lebanon", "Beirut"),
    ("Pakistan", "Islamabad"),
    ("Indonesia", "Jakarta"),
    ("Vietnam", "Hanoi"),
    ("Thailand", "Bangkok"),
    ("Philippines", "Manila"),
    ("Chile", "Santiago"),
    ("Peru", "Lima"),
    ("Colombia", "Bogota"),
)

TOPIC_PHRASES = (
    "climate change",
    "interest rates",
    "artificial intelligence",
    "coalition of the willing",
    "grain deal",
    "peace talks",
    "oil prices",
)

_SYLLABLE_TEXT = "ka lo mi ren sto var del bri an ov ski tor el ma ne ri son berg ley ham ford"
_SYLLABLES = tuple(_SYLLABLE_TEXT.split())


def _name_list(rng: random.Random, count: int) -> list[str]:
    names = set()
    while len(names) < count:
        parts = rng.randint(2, 3)
        names.add("".join(rng.choice(_SYLLABLES) for _ in range(parts)).capitalize())
    return sorted(names)


@dataclass(frozen=True)
class Subject:
    """What one story is about: a country, its capital, people and a theme word."""

    country: str
    capital: str
    people: tuple[str, str]
    theme: str


class WordModel:
    """A seeded source of words, sentences, titles and paragraphs."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        names_rng = random.Random(1234)  # the same people in every run and every model
        self.surnames = _name_list(names_rng, 400)
        self.first_names = _name_list(names_rng, 120)
        # Zipf-like weights: a few very common words, a long tail.
        self.function_words = FUNCTION_WORDS
        self.function_cum = list(
            itertools.accumulate(1.0 / (rank + 1) ** 0.9 for rank in range(len(FUNCTION_WORDS)))
        )
        self.content_words = CONTENT_WORDS
        self.content_cum = list(
            itertools.accumulate(1.0 / (rank + 1) ** 0.6 for rank in range(len(CONTENT_WORDS)))
        )

    def subject(self) -> Subject:
        rng = self.rng
        country, capital = rng.choice(COUNTRIES)
        people = (
            f"{rng.choice(self.first_names)} {rng.choice(self.surnames)}",
            f"{rng.choice(self.first_names)} {rng.choice(self.surnames)}",
        )
        return Subject(country, capital, people, rng.choice(self.content_words))

    def sentence(self, subject: Subject | None = None, *, words: int | None = None) -> str:
        rng = self.rng
        count = words or rng.randint(8, 30)
        function = rng.choices(self.function_words, cum_weights=self.function_cum, k=count)
        content = rng.choices(self.content_words, cum_weights=self.content_cum, k=count)
        out = []
        for i in range(count):
            roll = rng.random()
            if subject is not None and roll < 0.05:
                out.append(rng.choice((subject.country, subject.capital, *subject.people)))
            elif roll < 0.07:
                out.append(rng.choice(self.surnames))
            elif roll < 0.52:
                out.append(function[i])
            else:
                out.append(content[i])
            if i and i < count - 2 and rng.random() < 0.06:
                out[-1] += ","
        out[0] = out[0][:1].upper() + out[0][1:]
        text = " ".join(out)
        if rng.random() < 0.12:
            name = subject.people[0] if subject else rng.choice(self.surnames)
            return f"“{text},” said {name}."
        return text + "."

    def paragraph(self, subject: Subject | None = None, sentences: int | None = None) -> str:
        count = sentences or self.rng.randint(2, 6)
        return " ".join(self.sentence(subject) for _ in range(count))

    def title(self, subject: Subject) -> str:
        rng = self.rng
        words = rng.choices(self.content_words, cum_weights=self.content_cum, k=rng.randint(4, 8))
        lead = rng.choice((subject.country, subject.capital, subject.people[1].split()[-1]))
        words.insert(rng.randint(0, 2), lead)
        words.insert(rng.randint(1, len(words)), subject.theme)
        if rng.random() < 0.3:
            words.insert(rng.randint(1, len(words)), rng.choice(self.function_words))
        text = " ".join(words)
        return text[:1].upper() + text[1:]

    def text_of_chars(self, subject: Subject, chars: int) -> list[str]:
        """Paragraphs adding up to about `chars` characters."""
        paragraphs, total = [], 0
        while total < chars:
            paragraph = self.paragraph(subject)
            paragraphs.append(paragraph)
            total += len(paragraph) + 2
        return paragraphs

    def topic_query(self) -> str:
        """A query a person might type after /topic (the query language of issue 3)."""
        rng = self.rng
        roll = rng.random()
        country = rng.choice(COUNTRIES)[0]
        if roll < 0.45:
            return country.lower()
        if roll < 0.6:
            return f"{country.lower()} {rng.choice(self.content_words)}"
        if roll < 0.7:
            return f'"{rng.choice(TOPIC_PHRASES)}"'
        if roll < 0.8:
            other = rng.choice(COUNTRIES)[0]
            return f"{country.lower()} OR {other.lower()}"
        if roll < 0.9:
            return f"{country.lower()} -{rng.choice(self.content_words)}"
        return rng.choice(self.content_words)
