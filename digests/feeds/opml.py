"""OPML 2.0: reading a list of feeds from a file and writing one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

from digests.errors import UserError

BUNDLED_DEFAULTS = Path(__file__).resolve().parent / "defaults.opml"


@dataclass(frozen=True)
class OpmlFeed:
    """One feed outline: where the feed is, what it is called, its site."""

    url: str
    title: str = ""
    site_url: str = ""


def _attribute(element: etree._Element, name: str) -> str:
    # OPML in the wild spells attributes in any case (xmlUrl, xmlurl, XMLURL).
    for key, value in element.attrib.items():
        if str(key).lower() == name.lower():
            return str(value).strip()
    return ""


def parse_opml(data: bytes, source: str) -> list[OpmlFeed]:
    """The feeds listed in an OPML document; UserError naming `source` if it is broken."""
    # No entity expansion and no network: an OPML file is outside input.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise UserError(f"{source}: not valid OPML (broken XML: {exc})") from None
    if root is None or etree.QName(root).localname.lower() != "opml":
        raise UserError(f"{source}: not valid OPML (the document is not <opml>)")
    body = next((child for child in root if etree.QName(child).localname == "body"), None)
    if body is None:
        raise UserError(f"{source}: not valid OPML (no <body>)")
    feeds: list[OpmlFeed] = []
    seen: set[str] = set()
    for outline in body.iter("{*}outline"):
        url = _attribute(outline, "xmlUrl")
        if not url:
            continue  # a folder or a plain note
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UserError(f"{source}: feed URL {url!r} is not an http(s) URL")
        if url in seen:
            continue
        seen.add(url)
        title = _attribute(outline, "title") or _attribute(outline, "text")
        feeds.append(OpmlFeed(url=url, title=title, site_url=_attribute(outline, "htmlUrl")))
    if not feeds:
        raise UserError(f"{source}: no feeds in it (no <outline> with an xmlUrl)")
    return feeds


def read_opml(path: str | Path) -> list[OpmlFeed]:
    """The feeds listed in the OPML file at `path`; UserError naming it if unreadable."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    return parse_opml(data, str(path))


def render_opml(
    feeds: Sequence[OpmlFeed], *, title: str = "newsdigest feeds", now: datetime | None = None
) -> bytes:
    """An OPML 2.0 document listing `feeds`."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    if now is not None:
        etree.SubElement(head, "dateCreated").text = format_datetime(now, usegmt=True)
    body = etree.SubElement(root, "body")
    for feed in feeds:
        outline = etree.SubElement(body, "outline", type="rss", text=feed.title or feed.url)
        if feed.title:
            outline.set("title", feed.title)
        outline.set("xmlUrl", feed.url)
        if feed.site_url:
            outline.set("htmlUrl", feed.site_url)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
