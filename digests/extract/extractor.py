"""One HTML page in, its article out: newspaper4k first, trafilatura where it falls short.

newspaper4k gives the metadata (title, authors, date, top image) and usually the cleanest
body. It fails outright on some languages here (Japanese without tinysegmenter, Korean
without NLTK's punkt, Chinese without jieba), and now and then it picks the wrong block
or a fraction of a split article body. trafilatura, run on the same HTML, is the second
opinion: its text is taken when newspaper4k's is missing, much shorter, or mostly site
furniture. Nothing here touches the network: images are not fetched, NLP is never run.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import string
import threading
import types
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from digests.extract.article import Article
from digests.extract.boilerplate import furniture_share, tidy_body
from digests.extract.language import detect_language, page_language

log = logging.getLogger(__name__)

# newspaper4k's text is replaced by trafilatura's when it has less than this share of it.
SHORTER_THAN_TRAFILATURA = 0.6
# ... or when this share of its lines are furniture ("Read more", "No Result" …).
FURNITURE_SHARE = 0.3
# trafilatura is not asked at all (it costs a fifth of newspaper4k's time) when
# newspaper4k's text is at least this long, free of furniture, and leaves out less than
# this share of substantial paragraphs next to the block it chose.
CONFIDENT_CHARS = 2000
CONFIDENT_MISSED_SHARE = 0.1
NEARBY_PARAGRAPH_CHARS = 150

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-.]+)""", re.I)
_OG_TITLE = re.compile(
    r"""<meta[^>]+property\s*=\s*["']og:title["'][^>]*content\s*=\s*["']([^"']+)""", re.I
)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


@dataclass
class _Extraction:
    """What one extractor found (empty strings when it found nothing)."""

    title: str = ""
    text: str = ""
    authors: list[str] = field(default_factory=list)
    published: datetime | None = None
    top_image: str = ""
    language: str = ""
    error: str = ""
    # Characters of paragraph text next to the chosen block that the text leaves out:
    # a sign of an article split into sections of which only some were taken.
    missed_nearby_chars: int = 0


def decode_html(html: str | bytes, encoding: str | None = None) -> str:
    """The page as text: the given encoding (e.g. from Content-Type), else the one the
    page declares, else UTF-8, else a guess; never raises."""
    if isinstance(html, str):
        return html
    head = html[:4096]
    candidates = [encoding] if encoding else []
    for pattern in (_XML_ENCODING, _CHARSET):
        match = pattern.search(head)
        if match:
            candidates.append(match.group(1).decode("ascii", "replace"))
    candidates.append("utf-8")
    for candidate in candidates:
        try:
            return html.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    from trafilatura.utils import decode_file

    return decode_file(html)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# XPath's translate() as newspaper4k uses it: ASCII letters only are folded.
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def elements_with_attribute(doc: Any, attributes: tuple[str, ...], values: frozenset[str]) -> list:
    """Elements under `doc`, in document order, with one of `attributes` equal to one of
    the lower-case `values` (ASCII case aside): what newspaper4k finds with one XPath query
    per attribute and value, in one walk of the tree."""
    from lxml import etree

    found = []
    for element in doc.iterdescendants(etree.Element):
        for attribute in attributes:
            value = element.get(attribute)
            if value is not None and value.translate(_ASCII_LOWER) in values:
                found.append(element)
                break
    return found


def _authors_in_one_pass(self: Any, doc: Any) -> list[str]:
    """newspaper4k's `AuthorsExtractor.parse`, same result, with its 66 whole-tree XPath
    walks (one per attribute and value) made one: they were a third of a page's reading."""
    import newspaper.parsers as parsers
    from newspaper.extractors.defines import AUTHOR_ATTRS, AUTHOR_VALS

    authors: list[str] = []
    for script_tag in parsers.get_ld_json_object(doc):
        if "@graph" in script_tag:
            for item in script_tag.get("@graph", []):
                if not isinstance(item, dict):
                    continue
                if item.get("@type") == "Person":
                    authors.append(item.get("name", ""))
                if "author" in item:
                    authors.extend(self._get_authors_from_ld(item["author"]))
        elif "author" in script_tag:
            authors.extend(self._get_authors_from_ld(script_tag["author"]))
    authors = [re.sub(r"[\n\t\r\xa0]", " ", x) for x in authors if x]

    doc_root = doc.getroottree()
    values = frozenset(v.lower() for v in AUTHOR_VALS)
    candidates = elements_with_attribute(doc, tuple(AUTHOR_ATTRS), values)
    matches = [(node, doc_root.getpath(node)) for node in candidates]
    # As newspaper4k: the most specific of nested matches, in document path order.
    matches.sort(key=lambda m: m[1], reverse=True)
    reduced: list[tuple[Any, str]] = []
    for match in matches:
        if not reduced or not reduced[-1][1].startswith(match[1]):
            reduced.append(match)
    reduced.sort(key=lambda m: m[1])
    for node, _ in reduced:
        if node.tag == "meta":
            found = node.xpath("@content")
            content = found[0] if found else ""
        else:
            content = self._get_text_from_element(node)
        if content:
            authors.extend(self._parse_byline(content))

    authors = [re.sub(self._author_stopwords_re, "", x).strip(" .,-/") for x in authors]
    unique = {item.lower().strip(): item.strip() for item in authors if item}
    self.authors = list(unique.values())
    return self.authors


class _PubdateLookups:
    """newspaper4k's `parsers` module as its publish-date extractor sees it: the 49
    meta-tag and 7 attribute lookups it makes on a page, each a walk of the whole tree,
    answered from two walks made when it starts on that page. Same elements, same order
    (the walk over-collects — any date attribute with any date value — and each lookup
    keeps its own)."""

    def __init__(self, parsers: Any) -> None:
        from lxml import etree
        from newspaper.extractors.defines import PUBLISH_DATE_TAGS

        self._parsers = parsers
        # (doc, its meta tags, its date-attribute elements), per thread.
        self._walked = threading.local()
        self._known = {(t["attribute"], t["value"]) for t in PUBLISH_DATE_TAGS}
        self._attributes = tuple(sorted({attr for attr, _ in self._known}))
        self._values = frozenset(value.lower() for _, value in self._known)
        self._metas_xpath = etree.XPath("//meta[@name or @property or @itemprop]")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._parsers, name)

    def index(self, doc: Any) -> None:
        """Walk `doc` for the lookups to come (None: forget it)."""
        self._walked.page = (
            None
            if doc is None
            else (
                doc,
                self._metas_xpath(doc),
                elements_with_attribute(doc, self._attributes, self._values),
            )
        )

    def _walked_for(self, node: Any) -> tuple[Any, list[Any], list[Any]] | None:
        page = getattr(self._walked, "page", None)
        return page if page is not None and page[0] is node else None

    def get_metatags(self, node: Any, value: str | None = None) -> list[Any]:
        page = self._walked_for(node)
        if value is None or page is None:
            return self._parsers.get_metatags(node, value)
        return [
            m for m in page[1] if value in (m.get("name"), m.get("property"), m.get("itemprop"))
        ]

    def get_elements_by_attribs(
        self, node: Any, attribs: dict[str, str], attribs_match: str = "exact"
    ) -> list[Any]:
        items = list(attribs.items())
        page = self._walked_for(node)
        if (
            page is None
            or attribs_match != "exact"
            or len(items) != 1
            or items[0] not in self._known
        ):
            return self._parsers.get_elements_by_attribs(node, attribs, attribs_match)
        ((attr, value),) = items
        wanted = value.lower()
        return [n for n in page[2] if (n.get(attr) or "").translate(_ASCII_LOWER) == wanted]


def _date_lookups_in_two_walks() -> None:
    """Point newspaper4k's publish-date extractor at `_PubdateLookups`."""
    import newspaper.extractors.pubdate_extractor as pubdate

    lookups = _PubdateLookups(pubdate.parsers)
    parse = pubdate.PubdateExtractor.parse

    def parse_with_lookups(self: Any, article_url: str, doc: Any) -> Any:
        lookups.index(doc)
        try:
            return parse(self, article_url, doc)
        finally:
            lookups.index(None)

    pubdate.parsers = lookups
    pubdate.PubdateExtractor.parse = parse_with_lookups


@functools.lru_cache(maxsize=1)
def _article_body_tests() -> list[tuple[str | None, list[tuple[str, Any, str]], int]]:
    """newspaper4k's ARTICLE_BODY_TAGS as (tag or None, [(attribute, compiled pattern or
    None, lower-case value)], score boost), built once."""
    from newspaper.extractors.defines import ARTICLE_BODY_TAGS

    tests = []
    for spec in ARTICLE_BODY_TAGS:
        checks = []
        for key, value in spec.items():
            if key in ("tag", "score_boost"):
                continue
            if value.startswith("re:"):
                checks.append((key, re.compile(value[3:], re.IGNORECASE), ""))
            else:
                checks.append((key, None, value.lower()))
        tests.append((spec.get("tag"), checks, spec["score_boost"]))
    return tests


def _highly_likely_boost(self: Any, node: Any) -> int:
    """newspaper4k's `ArticleBodyExtractor.is_highly_likely`, same result, with its
    patterns compiled and its table read once instead of for each of ~50k checks a page."""
    scores = []
    for tag, checks, boost in _article_body_tests():
        if tag is not None and node.tag != tag:
            continue
        for attribute, pattern, value in checks:
            found = node.get(attribute, "")
            if pattern is not None:
                if not pattern.search(found):
                    break
            elif found.lower() != value:
                break
        else:
            scores.append(boost)
    return max(scores) if scores else 0


@functools.lru_cache(maxsize=1)
def _speed_up_newspaper() -> None:
    """Make newspaper4k's parse cheaper with the same output. Its author extractor walks
    the tree once instead of 66 times, its date extractor three times instead of 58; its
    body scorer compiles its container patterns once; its link-density check reuses one
    stop-word object per language (it built one, with file-system lookups, for every link
    of every block); its word tokenizer gets a translation table built once (it rebuilt
    one from all Unicode punctuation on every call, a tenth of its parse time)."""
    import newspaper.parsers as np_parsers
    import newspaper.text as np_text
    from newspaper.extractors.articlebody_extractor import ArticleBodyExtractor
    from newspaper.extractors.authors_extractor import AuthorsExtractor

    AuthorsExtractor.parse = _authors_in_one_pass
    ArticleBodyExtractor.is_highly_likely = _highly_likely_boost
    _date_lookups_in_two_walks()

    table = str.maketrans(np_text.punctuation, " " * len(np_text.punctuation))
    separators = re.escape("".join(np_text.contraction_separators))
    stray = re.compile(
        rf"(?<=\W)[{separators}]|[{separators}](?=\W)|^[{separators}]*|[{separators}]*$|"
        rf"[{separators}]{{2,}}"
    )
    split = np_text.whitespace_tokenizer.tokenize

    def default_tokenizer(text: str | bytes) -> list[str]:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        return split(stray.sub(" ", text.translate(table)).lower())

    np_text.default_tokenizer = default_tokenizer

    # parsers.is_highlink_density calls `txt.StopWords(language)`: only that module sees
    # a cached one (instances are never changed after they are built; built after the
    # tokenizer above is in place, which they pick up).
    stop_words = functools.lru_cache(maxsize=64)(np_text.StopWords)
    np_parsers.txt = types.SimpleNamespace(**{**vars(np_text), "StopWords": stop_words})


def _newspaper_config(language: str):
    from newspaper.configuration import Configuration

    config = Configuration()
    config.fetch_images = False  # parse() would download every candidate image
    config.follow_meta_refresh = False
    config.max_text = 1_000_000
    config.memorize_articles = False
    if language:
        # A language newspaper4k has no stop words for: let it read the page's meta.
        with contextlib.suppress(ValueError):
            config.language = language
    return config


def _run_newspaper(html: str, url: str, language: str) -> _Extraction:
    from newspaper import Article as NewspaperArticle

    _speed_up_newspaper()
    article = NewspaperArticle(url, config=_newspaper_config(language))
    article.download(input_html=html)
    article.parse()
    return _Extraction(
        title=(article.title or "").strip(),
        text=article.text or "",
        authors=[a for a in (article.authors or []) if a and len(a) < 100],
        published=_aware(article.publish_date)
        if isinstance(article.publish_date, datetime)
        else None,
        top_image=article.meta_img or article.top_image or "",
        language=article.meta_lang or "",
        missed_nearby_chars=_missed_nearby_chars(article.top_node, article.text or ""),
    )


def _missed_nearby_chars(top_node: Any, text: str) -> int:
    """Characters of substantial paragraphs around `top_node` that `text` lacks."""
    if top_node is None:
        return 0
    parent = top_node.getparent()
    scope = parent if parent is not None else top_node
    flat = " ".join(text.split())
    missed = 0
    for paragraph in scope.iter("p"):
        content = " ".join((paragraph.text_content() or "").split())
        if len(content) >= NEARBY_PARAGRAPH_CHARS and content[:80] not in flat:
            missed += len(content)
    return missed


def newspaper_extraction(html: str, url: str, language: str) -> _Extraction:
    """newspaper4k's reading of the page; `error` set (and text empty) when it failed.

    Languages whose tokenizer is missing (Chinese, Korean, Thai…) make newspaper4k raise;
    it is then asked again as English, which still finds the metadata.
    """
    try:
        return _run_newspaper(html, url, language)
    except (ImportError, LookupError) as exc:
        error = f"newspaper4k cannot read {language or 'this language'}: {type(exc).__name__}"
    except Exception as exc:  # a parser bug on odd HTML must not lose the page
        return _Extraction(error=f"newspaper4k failed: {type(exc).__name__}: {exc}"[:300])
    try:
        metadata_only = _run_newspaper(html, url, "en")
    except Exception:
        return _Extraction(error=error)
    metadata_only.text = ""
    metadata_only.error = error
    return metadata_only


def trafilatura_extraction(html: str, url: str, *, with_metadata: bool = False) -> _Extraction:
    """trafilatura's reading of the page (comments left out)."""
    import trafilatura

    try:
        document = trafilatura.bare_extraction(
            html, url=url, include_comments=False, include_tables=True, with_metadata=with_metadata
        )
    except Exception as exc:
        return _Extraction(error=f"trafilatura failed: {type(exc).__name__}: {exc}"[:300])
    if document is None:
        return _Extraction()
    return _Extraction(
        title=(document.title or "").strip() if with_metadata else "",
        text=document.text or "",
        authors=[a.strip() for a in (document.author or "").split(";") if a.strip()],
        top_image=document.image or "",
    )


def combine_texts(
    newspaper_text: str,
    trafilatura_text: str,
    *,
    title: str = "",
    authors: list[str] | None = None,
) -> tuple[str, str]:
    """The better body of the two, tidied, and which extractor it came from."""
    ours = tidy_body(newspaper_text, title=title, authors=authors)
    theirs = tidy_body(trafilatura_text, title=title, authors=authors)
    if not ours:
        return theirs, "trafilatura" if theirs else ""
    if not theirs:
        return ours, "newspaper4k"
    if len(ours) < SHORTER_THAN_TRAFILATURA * len(theirs):
        return theirs, "trafilatura"
    if furniture_share(newspaper_text) > FURNITURE_SHARE:
        return theirs, "trafilatura"
    return ours, "newspaper4k"


def needs_second_opinion(paper: _Extraction) -> bool:
    """Whether newspaper4k's reading leaves room for trafilatura to do better."""
    text = paper.text.strip()
    if len(text) < CONFIDENT_CHARS or furniture_share(text) > 0:
        return True
    return paper.missed_nearby_chars > CONFIDENT_MISSED_SHARE * len(text)


def _fallback_title(html: str) -> str:
    import html as html_lib

    for pattern in (_OG_TITLE, _TITLE):
        match = pattern.search(html[:50000])
        if match:
            return html_lib.unescape(re.sub(r"\s+", " ", match.group(1))).strip()
    return ""


def extract_article(html: str | bytes, url: str, *, encoding: str | None = None) -> Article:
    """The article in a page: title, body text, authors, date, top image, language.

    Never raises on bad HTML and never touches the network. `text` is "" when no
    extractor found a body (`extractor` is then "").
    """
    page = decode_html(html, encoding)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        language = page_language(page)
        paper = newspaper_extraction(page, url, language)
        if paper.error:
            log.debug("%s: %s", url, paper.error)
        if needs_second_opinion(paper):
            second = trafilatura_extraction(page, url, with_metadata=not paper.title)
        else:
            second = _Extraction()
    title = paper.title or second.title or _fallback_title(page)
    authors = paper.authors or second.authors
    text, extractor = combine_texts(paper.text, second.text, title=title, authors=authors)
    if text and not language:
        language = detect_language(text)
    return Article(
        title=title,
        text=text,
        authors=authors,
        published=paper.published,
        top_image=paper.top_image or second.top_image,
        language=language,
        extractor=extractor,
    )
