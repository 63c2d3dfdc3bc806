"""Generated, seeded feeds and article pages, written once to benchmarks/out/corpus/.

Every URL inside the files starts with the placeholder `__BASE__`, which the local web
server replaces with its own address when it serves the file (the port is only known then);
`body_for()` does the same for the baselines, so both see the same bytes.

Feeds: RSS 2.0 (most) and Atom, N entries each, sizes spread log-uniformly over a range
(20–200 KB by default: a plain description per entry, plus `content:encoded` full text in the
bigger ones), links with tracking parameters, and some entries syndicated from other feeds.
Pages: article pages shaped like real news sites (the seed page of DESIGN.md): head with meta
tags, large inline styles and scripts, JSON-LD, navigation with search widgets, the article,
a "The post … appeared first on …" line, "Read more" teasers, comments, footer.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import random
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.report import OUT_DIR
from benchmarks.textgen import WordModel

BASE = "__BASE__"
BASE_BYTES = BASE.encode()
CORPUS_DIR = OUT_DIR / "corpus"
EPOCH = datetime(2026, 1, 7, 6, 0, tzinfo=UTC)
SITES = [f"site{n:02d}.example" for n in range(40)]


def body_for(raw: bytes, base_url: str) -> bytes:
    """A stored file's bytes as the server sends them from `base_url`."""
    return raw.replace(BASE_BYTES, base_url.encode())


def page_for_path(path: str, pages: int) -> int:
    """Which generated page the server sends for an article path (stable, spread evenly)."""
    return zlib.crc32(path.encode()) % pages


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _rfc822(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S +0000")


def _entry_url(feed: int, item: int) -> str:
    # Depends on (feed, item) only, so a syndicating feed can link the very same story.
    return f"{BASE}/a/f{feed}/story-{(feed * 7919 + item) % 100_003}-{item}.html"


def feed_xml(index: int, entries: int, target_bytes: int, seed: int) -> bytes:
    """One feed document of about `target_bytes` with `entries` entries."""
    rng = random.Random(seed * 1_000_003 + index)
    words = WordModel(seed * 7919 + index)
    atom = rng.random() < 0.2
    site = SITES[index % len(SITES)]
    overhead = 700 if atom else 600
    per_entry = max(300, target_bytes // entries - overhead)
    items = []
    for item in range(entries):
        subject = words.subject()
        title = words.title(subject)
        if rng.random() < 0.05:
            # Syndicated: another feed's story, under its URL with other tracking parameters.
            other = rng.randrange(0, max(1, index + 50))
            link = _entry_url(other, rng.randrange(entries)) + "?utm_source=partner&fbclid=x1"
        else:
            link = _entry_url(index, item) + "?utm_source=rss&utm_medium=feed"
        published = EPOCH - timedelta(minutes=17 * item + rng.randint(0, 15))
        description = words.paragraph(subject, rng.randint(2, 4))
        full = ""
        budget = per_entry - len(description) - len(title) - len(link)
        if budget > 400:
            paragraphs = words.text_of_chars(subject, budget - 200)
            full = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        author = f"{rng.choice(words.first_names)} {rng.choice(words.surnames)}"
        guid = f"{site}-{index}-{item}"
        if atom:
            content = f'<content type="html">{html.escape(full)}</content>' if full else ""
            items.append(
                f"<entry><title>{html.escape(title)}</title>"
                f'<link rel="alternate" href="{html.escape(link)}"/>'
                f"<id>tag:{site},2026:{guid}</id>"
                f"<updated>{published.isoformat()}</updated>"
                f"<published>{published.isoformat()}</published>"
                f"<author><name>{author}</name></author>"
                f'<category term="{subject.theme}"/>'
                f'<summary type="html">{html.escape(description)}</summary>{content}</entry>'
            )
        else:
            content = f"<content:encoded><![CDATA[{full}]]></content:encoded>" if full else ""
            items.append(
                f"<item><title>{html.escape(title)}</title>"
                f"<link>{html.escape(link)}</link>"
                f'<guid isPermaLink="false">{guid}</guid>'
                f"<pubDate>{_rfc822(published)}</pubDate>"
                f"<dc:creator>{author}</dc:creator>"
                f"<category>{subject.theme}</category>"
                f"<description><![CDATA[<p>{html.escape(description)}</p>]]></description>"
                f'<media:content url="{BASE}/img/{index}-{item}.jpg" medium="image"/>'
                f"{content}</item>"
            )
    body = "".join(items)
    if atom:
        doc = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{site} world news</title>"
            f'<link rel="alternate" href="{BASE}/"/>'
            f'<link rel="self" href="{BASE}/feeds/{index}.xml"/>'
            f"<id>tag:{site},2026:feed</id><updated>{EPOCH.isoformat()}</updated>{body}</feed>"
        )
    else:
        doc = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:media="http://search.yahoo.com/mrss/" '
            'xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
            f"<title>{site} world news</title><link>{BASE}/</link>"
            f"<description>World news from {site}</description><language>en</language>"
            f"<lastBuildDate>{_rfc822(EPOCH)}</lastBuildDate><ttl>15</ttl>"
            f'<atom:link href="{BASE}/feeds/{index}.xml" rel="self" type="application/rss+xml"/>'
            f"{body}</channel></rss>"
        )
    return doc.encode("utf-8")


_CSS_RULE = (
    ".{a}-{b} {{ display: flex; margin: {n}px {m}px; padding: 0 {m}px; color: #{c:06x}; "
    "font: {n}px/1.4 Georgia, serif; border-bottom: 1px solid #{d:06x}; }}\n"
)
_JS_CHUNK = (
    "function {a}{b}(e,t){{var n=e&&e.{c}||{{}};if(!n.{d})return t.push({n});"
    "for(var r=0;r<n.{d}.length;r++){{t[r]=(n.{d}[r]|{m})^{n};}}"
    'return window.__{a}=t,document.querySelector(".{c}-{d}")}}\n'
)
_IDENT = "abcdefghijklmnopqrstuvwxyz"


def _filler(rng: random.Random, template: str, size: int) -> str:
    parts, total = [], 0
    while total < size:
        chunk = (
            template.format(
                a="".join(rng.choices(_IDENT, k=5)),
                b="".join(rng.choices(_IDENT, k=4)),
                c="".join(rng.choices(_IDENT, k=6)),
                d="".join(rng.choices(_IDENT, k=3)),
                n=rng.randint(1, 99),
                m=rng.randint(1, 40),
            )
            if "{c:06x}" not in template
            else template.format(
                a="".join(rng.choices(_IDENT, k=5)),
                b="".join(rng.choices(_IDENT, k=4)),
                n=rng.randint(8, 40),
                m=rng.randint(0, 24),
                c=rng.randrange(1 << 24),
                d=rng.randrange(1 << 24),
            )
        )
        parts.append(chunk)
        total += len(chunk)
    return "".join(parts)


def article_html(index: int, target_bytes: int, seed: int) -> bytes:
    """One article page of about `target_bytes` (the article itself is 3–12 KB of text)."""
    rng = random.Random(seed * 2_000_003 + index)
    words = WordModel(seed * 104_729 + index)
    site = SITES[index % len(SITES)]
    subject = words.subject()
    title = words.title(subject)
    esc = html.escape
    author = f"{rng.choice(words.first_names)} {rng.choice(words.surnames)}"
    published = EPOCH - timedelta(minutes=rng.randint(0, 1440))
    paragraphs = words.text_of_chars(subject, rng.randint(3000, 12000))
    sections = ["World", "Europe", "Politics", "Business", "Tech", "Science", "Sport", "Culture"]

    nav_links = "".join(
        f'<li class="menu-item"><a href="{BASE}/section/{n}">{rng.choice(sections)} '
        f"{words.rng.choice(words.content_words)}</a></li>"
        for n in range(rng.randint(60, 180))
    )
    header = (
        f'<header class="site-header"><div class="top-bar"><a class="logo" href="{BASE}/">'
        f'{site.upper()}</a><span>No Result</span><a href="{BASE}/search">View All Result</a>'
        '</div><form class="search-form" action="/search"><input type="search" name="s" '
        'placeholder="Search"><button>Search</button><div class="results">No Result</div>'
        f'<a href="{BASE}/search">View All Result</a></form>'
        f'<nav class="main-nav"><ul class="menu">{nav_links}</ul></nav></header>'
    )
    body_parts = []
    for number, paragraph in enumerate(paragraphs):
        body_parts.append(f"<p>{esc(paragraph)}</p>")
        if number == 2:
            body_parts.append(
                f'<figure class="wp-block-image"><img src="{BASE}/img/{index}-inline.jpg" '
                f'alt="{esc(subject.capital)}" width="800" height="450"><figcaption>'
                f"{esc(words.sentence(subject, words=10))}</figcaption></figure>"
            )
        if number % 5 == 4:
            body_parts.append(
                '<div class="ad-slot" data-ad="mid"><span>Advertisement</span>'
                '<div id="gpt-ad-' + str(number) + '"></div></div>'
            )
    article = (
        '<article class="post type-post"><div class="breadcrumbs">'
        f'<a href="{BASE}/">Home</a> › <a href="{BASE}/news">News</a></div>'
        f'<h1 class="entry-title">{esc(title)}</h1>'
        f'<div class="byline">By <a rel="author" href="{BASE}/author/{index}">{author}</a> '
        f'<time class="published" datetime="{published.isoformat()}">'
        f'{published.strftime("%B %d, %Y")}</time> in <a href="{BASE}/news">News</a></div>'
        f'<figure class="featured"><img src="{BASE}/img/{index}.jpg" alt="{esc(title)}">'
        f"</figure>"
        f'<div class="entry-content">{"".join(body_parts)}'
        f'<p>The post <a href="{BASE}/a/{index}">{esc(title)}</a> appeared first on '
        f'<a href="{BASE}/">{site}</a>.</p></div></article>'
    )
    teasers = []
    for n in range(rng.randint(6, 14)):
        other = words.subject()
        teasers.append(
            f'<div class="card"><div class="card-media"><img src="{BASE}/img/t{index}-{n}.jpg">'
            f'</div><div class="card-body"><h4><a href="{BASE}/a/teaser-{index}-{n}">'
            f"{esc(words.title(other))}</a></h4><p>{esc(words.sentence(other))}</p>"
            '<a class="more">Read more</a></div></div>'
        )
    related = f'<aside class="related"><h3>Read more</h3>{"".join(teasers)}</aside>'
    footer_links = "".join(
        f'<li><a href="{BASE}/p/{n}">{esc(rng.choice(words.content_words).title())}</a></li>'
        for n in range(rng.randint(40, 90))
    )
    footer = (
        f'<footer class="site-footer"><ul class="footer-links">{footer_links}</ul>'
        f"<p>© 2026 {site}. All rights reserved. Terms of use. Privacy policy.</p></footer>"
    )
    markup_so_far = len(header) + len(article) + len(related) + len(footer)
    remaining = max(0, target_bytes - markup_so_far - 2000)
    comments_budget = int(remaining * rng.uniform(0.1, 0.3))
    comments, total = [], 0
    while total < comments_budget:
        comment = (
            f'<li class="comment"><div class="comment-author"><img class="avatar" '
            f'src="{BASE}/avatar/{rng.randint(1, 999)}.png"><b>{rng.choice(words.surnames)}'
            f'</b> <time>{rng.randint(1, 59)} minutes ago</time></div><div class="comment-body">'
            f"<p>{esc(words.paragraph(subject, rng.randint(1, 3)))}</p></div>"
            '<a class="reply">Reply</a></li>'
        )
        comments.append(comment)
        total += len(comment)
    comment_block = (
        f'<section class="comments"><h3>{len(comments)} comments</h3>'
        f'<ol class="comment-list">{"".join(comments)}</ol></section>'
    )
    remaining -= total
    # "More stories" grids: the nested-div markup most of a real page's elements are.
    grid_budget, grid, total = int(remaining * 0.4), [], 0
    while total < grid_budget:
        other = words.subject()
        card = (
            '<div class="col"><div class="story-card"><div class="thumb"><a href="'
            f'{BASE}/a/more-{index}-{len(grid)}"><picture><source srcset="{BASE}/img/m.webp">'
            f'<img src="{BASE}/img/m{len(grid)}.jpg" loading="lazy"></picture></a></div>'
            '<div class="meta"><span class="kicker"><a href="'
            f'{BASE}/section/{rng.randint(1, 9)}">{rng.choice(sections)}</a></span>'
            f'<h3 class="headline"><a href="{BASE}/a/more-{index}-{len(grid)}">'
            f"{esc(words.title(other))}</a></h3><div class='byline'><span>"
            f"{rng.choice(words.surnames)}</span> <span>{rng.randint(1, 23)}h ago</span>"
            "</div></div></div></div>"
        )
        grid.append(card)
        total += len(card)
    more = f'<section class="more-stories"><div class="row">{"".join(grid)}</div></section>'
    remaining -= total
    css = _filler(rng, _CSS_RULE, int(remaining * 0.3))
    js = _filler(rng, _JS_CHUNK, int(remaining * 0.7) - 600)
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title,
            "datePublished": published.isoformat(),
            "author": {"@type": "Person", "name": author},
            "image": [f"{BASE}/img/{index}.jpg"],
        }
    )
    description = esc(words.sentence(subject))
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)} - {site}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="description" content="{description}">'
        f'<meta property="og:title" content="{esc(title)}">'
        f'<meta property="og:image" content="{BASE}/img/{index}.jpg">'
        f'<meta property="article:published_time" content="{published.isoformat()}">'
        f'<meta name="author" content="{author}">'
        f'<link rel="canonical" href="{BASE}/a/{index}">'
        f"<style>{css}</style>"
        f'<script type="application/ld+json">{ld}</script>'
        f"<script>{js[: len(js) // 2]}</script></head>"
        f'<body class="single-post"><div id="page">{header}<main id="main">'
        f'<div class="content-area">{article}{related}{comment_block}{more}</div>'
        f"</main>{footer}</div><script>{js[len(js) // 2 :]}</script></body></html>"
    )
    return page.encode("utf-8")


def _params_key(**params: object) -> str:
    text = json.dumps(params, sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def build_feeds(*, feeds: int, entries: int, feed_kb: tuple[int, int], seed: int) -> list[Path]:
    """The generated feed files for these parameters (written on first use, reused after)."""
    key = _params_key(feeds=feeds, entries=entries, feed_kb=feed_kb, seed=seed, v=4)
    directory = CORPUS_DIR / f"feeds-{key}"
    paths = [directory / f"{n:05d}.xml" for n in range(feeds)]
    if not (directory / "complete").exists():
        directory.mkdir(parents=True, exist_ok=True)
        sizes = random.Random(seed)
        for n, path in enumerate(paths):
            target = int(_log_uniform(sizes, feed_kb[0], feed_kb[1]) * 1024)
            path.write_bytes(feed_xml(n, entries, target, seed))
        (directory / "complete").write_text("ok\n")
    return paths


def build_pages(*, pages: int, page_kb: tuple[int, int], seed: int) -> list[Path]:
    """The generated article pages for these parameters (written on first use, reused after)."""
    key = _params_key(pages=pages, page_kb=page_kb, seed=seed, v=4)
    directory = CORPUS_DIR / f"pages-{key}"
    paths = [directory / f"{n:05d}.html" for n in range(pages)]
    if not (directory / "complete").exists():
        directory.mkdir(parents=True, exist_ok=True)
        sizes = random.Random(seed + 1)
        for n, path in enumerate(paths):
            target = int(_log_uniform(sizes, page_kb[0], page_kb[1]) * 1024)
            path.write_bytes(article_html(n, target, seed))
        (directory / "complete").write_text("ok\n")
    return paths
