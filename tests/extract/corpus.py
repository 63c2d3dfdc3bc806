# ruff: noqa: E501  (HTML fixtures read best one element per line)
"""A small corpus of news pages with their true article bodies, for measuring extraction.

Each page is built the way real news sites build theirs: site navigation and search
widgets, cookie banners, bylines, figures with captions, "read also" links inside the body,
newsletter boxes, related-story teasers, comment threads, pagination, footers, JSON-LD and
Open Graph metadata. The true body is the article's own paragraphs (and sub-headings) only.

The seed page (`seed_page`) reproduces the syndicated NYT story of `shared/seeds/` inside
a WordPress (JNews-like) theme, as DNYUZ publishes it.
"""

from __future__ import annotations

import html as html_lib
import json
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Page:
    """One evaluation page: its HTML, its URL and the hand-marked article body."""

    name: str
    url: str
    html: str
    body: str  # the true article text, paragraphs separated by blank lines
    language: str
    title: str = ""
    first_paragraph: str = field(default="")
    last_paragraph: str = field(default="")


def _e(text: str) -> str:
    return html_lib.escape(text, quote=True)


def _paragraphs(body: str) -> list[str]:
    return [p.strip() for p in body.strip().split("\n\n") if p.strip()]


def _json_ld(headline: str, date: str, author: str, image: str) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": headline,
        "datePublished": date,
        "author": [{"@type": "Person", "name": author}] if author else [],
        "image": [image] if image else [],
    }
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


_TRACKING_SCRIPT = """<script>
window.dataLayer = window.dataLayer || [];
function gtag(){dataLayer.push(arguments);} gtag('js', new Date()); gtag('config', 'G-XXXX');
var _comscore = _comscore || []; _comscore.push({ c1: "2", c2: "1234567" });
</script>
<style>.nav{display:flex}.ad-slot{min-height:250px}.cookie{position:fixed;bottom:0}</style>"""


# ---------------------------------------------------------------------------------------
# 1. The seed: DNYUZ (WordPress, JNews theme) republishing a New York Times story.


_SEED_TITLE = "European Allies Agree to Key Security Provisions for Ukraine"


def _seed_body() -> str:
    text = (DATA / "seed_article.txt").read_text(encoding="utf-8")
    return text.strip()


def seed_page() -> Page:
    """The seed's shape: navigation, "No Result / View All Result" search widgets, the
    article, "The post … appeared first on …", then "Read more" teasers of other stories."""
    body = _seed_body()
    paras = _paragraphs(body)
    search = """<div class="jeg_search_wrapper jeg_search_popup_expand">
<a href="#" class="jeg_search_toggle"><i class="fa fa-search"></i></a>
<form action="https://dnyuz.com/" method="get" class="jeg_search_form" target="_top">
<input name="s" class="jeg_search_input" placeholder="Search..." type="text" value="" autocomplete="off">
<button aria-label="Search Button" type="submit" class="jeg_search_button btn"><i class="fa fa-search"></i></button>
</form>
<div class="jeg_search_result jeg_search_hide with_result">
<div class="search-result-wrapper"></div>
<div class="search-link search-noresult">No Result</div>
<div class="search-link search-all-button"><i class="fa fa-search"></i> View All Result</div>
</div></div>"""
    nav = """<div class="jeg_nav_row"><div class="jeg_logo"><a href="https://dnyuz.com/">DNYUZ</a></div>
<ul class="jeg_menu jeg_main_menu">
<li><a href="https://dnyuz.com/category/news/">News</a></li>
<li><a href="https://dnyuz.com/category/world/">World</a></li>
<li><a href="https://dnyuz.com/category/business/">Business</a></li>
<li><a href="https://dnyuz.com/category/entertainment/">Entertainment</a></li>
<li><a href="https://dnyuz.com/category/sports/">Sports</a></li>
<li><a href="https://dnyuz.com/category/tech/">Tech</a></li>
</ul></div>"""
    teasers = [
        (
            "‘Greenland 2: Migration’ Review: The New World",
            "From the beginning of the propulsive sci-fi sequel “Greenland 2: Migration,” it’s "
            "clear the new normal isn’t sustainable. Five years ...",
        ),
    ]
    more = [
        "Instant Bifocals: New Glasses Can Change Their Prescription on the Fly Depending "
        "on What You’re Looking At",
        "‘Greenland 2: Migration’ Review: Good Post-Apocalyptic Thriller, Bad Movie About "
        "Greenland",
        "Woman shot by ICE was ‘leading an insurrection’: MAGA host",
        "Astronomers Found an Impossibly Hot Object Near the Big Bang",
        "Master Chief Bundle is Back in Fortnite – Price and Last Day to Buy",
        "Angi is cutting 350 jobs ‘in light of AI-driven efficiency improvements’",
        "House GOP’s first 2026 priority: Trump’s changes to showerheads",
    ]
    teaser_html = "".join(
        f"""<article class="jeg_post jeg_pl_md_1 format-standard">
<div class="jeg_thumb"><a href="https://dnyuz.com/2026/01/08/teaser-{i}/"><img src="https://dnyuz.com/wp-content/uploads/2026/01/t{i}.jpg" alt="{_e(t)}"></a>
<div class="jeg_post_category"><a href="https://dnyuz.com/category/news/">News</a></div></div>
<div class="jeg_postblock_content"><h3 class="jeg_post_title"><a href="https://dnyuz.com/2026/01/08/teaser-{i}/">{_e(t)}</a></h3>
<div class="jeg_post_meta"><div class="jeg_meta_author">by <a href="#">New York Times</a></div>
<div class="jeg_meta_date"><a href="#">January 8, 2026</a></div></div>
<div class="jeg_post_excerpt"><p>{_e(x)}</p><a href="https://dnyuz.com/2026/01/08/teaser-{i}/" class="jeg_readmore">Read more</a></div>
</div></article>"""
        for i, (t, x) in enumerate(teasers)
    )
    more_html = "".join(
        f"""<article class="jeg_post jeg_pl_sm format-standard"><div class="jeg_postblock_content">
<div class="jeg_post_category"><a href="#">News</a></div>
<h3 class="jeg_post_title"><a href="https://dnyuz.com/2026/01/08/more-{i}/">{_e(t)}</a></h3>
<div class="jeg_post_meta"><div class="jeg_meta_date"><a href="#">January 8, 2026</a></div></div>
</div></article>"""
        for i, t in enumerate(more)
    )
    content = "\n".join(f"<p>{_e(p)}</p>" for p in paras)
    page = f"""<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="UTF-8">
<title>{_e(_SEED_TITLE)} - DNYUZ</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta property="og:type" content="article">
<meta property="og:title" content="{_e(_SEED_TITLE)}">
<meta property="og:url" content="https://dnyuz.com/2026/01/07/european-allies-agree-to-key-security-provisions-for-ukraine/">
<meta property="og:image" content="https://static01.nyt.com/images/2026/01/06/multimedia/06int-ukraine-paris-lgqm/06int-ukraine-paris-lgqm-facebookJumbo.jpg">
<meta property="article:published_time" content="2026-01-07T00:48:12+00:00">
<link rel="canonical" href="https://dnyuz.com/2026/01/07/european-allies-agree-to-key-security-provisions-for-ukraine/">
{_TRACKING_SCRIPT}
</head>
<body class="post-template-default single single-post jeg_single_tpl_1">
<div class="jeg_viewport">
<div class="jeg_header_wrapper"><div class="jeg_header normal">{nav}{search}</div></div>
<div class="jeg_navbar_mobile_wrapper"><div class="jeg_navbar_mobile"><div class="jeg_logo"><a href="https://dnyuz.com/">DNYUZ</a></div>{search}</div></div>
<div class="jeg_main"><div class="jeg_container"><div class="jeg_content jeg_singlepage"><div class="container">
<div class="jeg_breadcrumbs jeg_breadcrumb_container"><div id="breadcrumbs"><span><a href="https://dnyuz.com">Home</a></span><i class="fa fa-angle-right"></i><span class="breadcrumb_last_link"><a href="https://dnyuz.com/category/news/">News</a></span></div></div>
<div class="row"><div class="jeg_main_content col-md-8">
<div class="jeg_inner_content">
<div class="entry-header"><h1 class="jeg_post_title">{_e(_SEED_TITLE)}</h1>
<div class="jeg_meta_container"><div class="jeg_post_meta jeg_post_meta_1">
<div class="jeg_meta_date"><a href="#">January 7, 2026</a></div>
<div class="jeg_meta_category"><span><span class="meta_text">in</span> <a href="https://dnyuz.com/category/news/" rel="category tag">News</a></span></div>
</div></div></div>
<div class="jeg_featured featured_image"><a href="#"><div class="thumbnail-container"><img width="1050" height="549" src="https://static01.nyt.com/images/2026/01/06/multimedia/06int-ukraine-paris-lgqm/06int-ukraine-paris-lgqm-facebookJumbo.jpg" class="wp-post-image" alt="{_e(_SEED_TITLE)}"></div></a></div>
<div class="jeg_share_top_container"><div class="jeg_share_button share-float jeg_sticky_share clearfix share-monocrhome"><div class="jeg_share_float_container"></div></div></div>
<div class="entry-content no-share"><div class="content-inner ">
{content}
<p>The post <a rel="nofollow" href="https://www.nytimes.com/2026/01/06/world/europe/ukraine-security-guarantees-paris.html">{_e(_SEED_TITLE)}</a> appeared first on <a rel="nofollow" href="https://www.nytimes.com">New York Times</a>.</p>
</div></div>
<div class="jeg_postblock_22 jeg_postblock jeg_module_hook jeg_pagination_disable jeg_col_2o3"><div class="jeg_block_container"><div class="jeg_posts_wrap"><div class="jeg_posts jeg_load_more_flag">{teaser_html}</div></div></div></div>
</div></div>
<div class="jeg_sidebar col-md-4"><div class="widget widget_jnews_module_block_21"><div class="jeg_postblock_21 jeg_postblock"><div class="jeg_posts">{more_html}</div></div></div></div>
</div></div></div></div></div>
<div class="footer-holder" id="footer"><div class="jeg_footer jeg_footer_custom"><div class="jeg_container"><div class="jeg_footer_content"><div class="jeg_footer_bottom"><p class="copyright">DNYUZ © 2025</p></div></div></div></div></div>
<div class="jeg_navbar_mobile_menu">{search}<p class="copyright">DNYUZ © 2025</p></div>
</div>
</body></html>"""
    return Page(
        name="seed_dnyuz_en",
        url="https://dnyuz.com/2026/01/07/european-allies-agree-to-key-security-provisions-for-ukraine/",
        html=page,
        body=body,
        language="en",
        title=_SEED_TITLE,
        first_paragraph=paras[0],
        last_paragraph=paras[-1],
    )


# ---------------------------------------------------------------------------------------
# Generic skins: each wraps an article in one site's markup and boilerplate.


@dataclass(frozen=True)
class Story:
    name: str
    url: str
    language: str
    title: str
    author: str
    date: str  # ISO
    paragraphs: list[str]
    # (index, heading) sub-headings placed before paragraph index
    headings: dict[int, str] = field(default_factory=dict)
    captions: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    html_lang: str | None = None  # None: declare `language`; "": declare nothing
    ui: dict[str, str] = field(default_factory=dict)

    def true_body(self) -> str:
        parts: list[str] = []
        for i, p in enumerate(self.paragraphs):
            if i in self.headings:
                parts.append(self.headings[i])
            parts.append(p)
        return "\n\n".join(parts)


def _head(s: Story, image: str) -> str:
    lang_attr = "" if s.html_lang == "" else f' lang="{s.html_lang or s.language}"'
    return f"""<!DOCTYPE html>
<html{lang_attr}><head><meta charset="utf-8">
<title>{_e(s.title)} | {_e(s.ui.get("site", "News"))}</title>
<meta name="description" content="{_e(s.paragraphs[0][:150])}">
<meta property="og:title" content="{_e(s.title)}">
<meta property="og:image" content="{image}">
<meta property="og:type" content="article">
<meta name="author" content="{_e(s.author)}">
<meta property="article:published_time" content="{s.date}">
{_json_ld(s.title, s.date, s.author, image)}
{_TRACKING_SCRIPT}
</head>"""


def _ul(items: list[str], cls: str) -> str:
    links = "".join(f'<li><a href="/{cls}/{i}">{_e(t)}</a></li>' for i, t in enumerate(items))
    return f'<ul class="{cls}">{links}</ul>'


def _nav(s: Story) -> str:
    sections = s.ui.get("sections", "World|Politics|Business|Technology|Science|Sport|Culture")
    return f"""<header class="site-header"><a class="logo" href="/">{_e(s.ui.get("site", "News"))}</a>
<nav class="nav">{_ul(sections.split("|"), "menu")}</nav>
<form class="search" action="/search"><input name="q" placeholder="{_e(s.ui.get("search", "Search"))}"><button>{_e(s.ui.get("search", "Search"))}</button></form>
<a class="subscribe" href="/subscribe">{_e(s.ui.get("subscribe", "Subscribe"))}</a></header>"""


def _footer(s: Story) -> str:
    return f"""<footer class="site-footer">{_ul(s.ui.get("footer", "About us|Contact|Privacy policy|Terms of use|Advertise").split("|"), "footer-links")}
<p>© 2026 {_e(s.ui.get("site", "News"))}. {_e(s.ui.get("rights", "All rights reserved."))}</p></footer>"""


def _cookie(s: Story) -> str:
    text = s.ui.get(
        "cookie",
        "We use cookies to improve your experience, personalise content and ads, and "
        "analyse our traffic. By clicking Accept you agree to our use of cookies.",
    )
    return f"""<div class="cookie-banner" id="cookie-consent" role="dialog"><p>{_e(text)}</p>
<button>{_e(s.ui.get("accept", "Accept all"))}</button><button>{_e(s.ui.get("settings", "Settings"))}</button></div>"""


def _comments(s: Story) -> str:
    if not s.comments:
        return ""
    items = "".join(
        f'<li class="comment"><div class="comment-author"><b>user{i}</b> '
        f'<span class="comment-date">2026-01-0{i % 9 + 1}</span></div>'
        f'<div class="comment-body"><p>{_e(c)}</p></div><a class="reply" href="#">Reply</a></li>'
        for i, c in enumerate(s.comments)
    )
    heading = s.ui.get("comments", "Comments")
    return f'<section id="comments" class="comments-area"><h3>{_e(heading)} ({len(s.comments)})</h3><ol class="comment-list">{items}</ol></section>'


def _related(s: Story) -> str:
    if not s.related:
        return ""
    heading = s.ui.get("related", "More stories")
    items = "".join(
        f'<div class="card"><a href="/story/{i}"><img src="/img/{i}.jpg" alt=""><h4>{_e(t)}</h4></a>'
        f'<span class="time">{_e(s.ui.get("ago", "2 hours ago"))}</span></div>'
        for i, t in enumerate(s.related)
    )
    return f'<aside class="related"><h3>{_e(heading)}</h3>{items}</aside>'


def skin_newsroom(s: Story) -> str:
    """<article> with <p>s, a figure with caption, an in-body "Read also" link and a
    newsletter box, related cards and comments after it."""
    image = f"https://cdn.example.net/{s.name}/main.jpg"
    body: list[str] = []
    for i, p in enumerate(s.paragraphs):
        if i in s.headings:
            body.append(f"<h2>{_e(s.headings[i])}</h2>")
        body.append(f"<p>{_e(p)}</p>")
        if i == 1 and s.captions:
            body.append(
                f'<figure class="inline-figure"><img src="https://cdn.example.net/{s.name}/2.jpg" alt="">'
                f'<figcaption>{_e(s.captions[0])} <span class="credit">Photo: Reuters</span></figcaption></figure>'
            )
        if i == 2 and s.related:
            body.append(
                f'<p class="read-also"><strong>{_e(s.ui.get("also", "Read also:"))}</strong> '
                f'<a href="/story/99">{_e(s.related[-1])}</a></p>'
            )
        if i == 4:
            body.append(
                f'<div class="newsletter-box"><h3>{_e(s.ui.get("nl_title", "Sign up for our newsletter"))}</h3>'
                f"<p>{_e(s.ui.get('nl_text', 'The most important stories of the day, delivered to your inbox every morning.'))}</p>"
                f'<form><input type="email" placeholder="Email"><button>{_e(s.ui.get("subscribe", "Subscribe"))}</button></form></div>'
            )
    lead_caption = s.captions[1] if len(s.captions) > 1 else ""
    return f"""{_head(s, image)}
<body>{_cookie(s)}{_nav(s)}
<main><div class="breadcrumbs"><a href="/">{_e(s.ui.get("home", "Home"))}</a> › <a href="/world">{_e(s.ui.get("section", "World"))}</a></div>
<article class="story">
<header><h1 class="headline">{_e(s.title)}</h1>
<div class="byline">{_e(s.ui.get("by", "By"))} <a rel="author" href="/authors/x">{_e(s.author)}</a> · <time datetime="{s.date}">{_e(s.date[:10])}</time></div>
<div class="share"><a href="#">Facebook</a> <a href="#">X</a> <a href="#">WhatsApp</a> <a href="#">{_e(s.ui.get("copy", "Copy link"))}</a></div></header>
<figure class="lead"><img src="{image}" alt="{_e(s.title)}"><figcaption>{_e(lead_caption)}</figcaption></figure>
<div class="story-body">
{"".join(body)}
</div>
<div class="tags">{_ul(s.ui.get("tags", "Europe|Politics").split("|"), "tag-list")}</div>
</article>
{_related(s)}
{_comments(s)}
</main>{_footer(s)}</body></html>"""


def skin_divsoup(s: Story) -> str:
    """No <article>, no <p>: paragraphs are <div>s of text; sidebars with "most read"."""
    image = f"https://img.example.org/{s.name}.jpg"
    body: list[str] = []
    for i, p in enumerate(s.paragraphs):
        if i in s.headings:
            body.append(f'<div class="subtitle"><strong>{_e(s.headings[i])}</strong></div>')
        body.append(f'<div class="text-block">{_e(p)}</div>')
        if i == 2:
            body.append('<div class="ad-slot" id="ad-mid"><span>Anzeige</span></div>')
    most_read = s.related or ["-"]
    return f"""{_head(s, image)}
<body>{_nav(s)}{_cookie(s)}
<div id="wrapper"><div class="col-main">
<div class="article-head"><span class="kicker">{_e(s.ui.get("section", "World"))}</span><h1>{_e(s.title)}</h1>
<div class="meta">{_e(s.author)} | {_e(s.date[:10])} | {_e(s.ui.get("read_time", "4 min read"))}</div></div>
<div class="article-image"><img src="{image}"><div class="caption">{_e(s.captions[0] if s.captions else "")}</div></div>
<div class="article-text">{"".join(body)}</div>
<div class="article-footer"><div class="author-box"><b>{_e(s.author)}</b> {_e(s.ui.get("bio", "is a correspondent."))}</div></div>
</div>
<div class="col-side"><div class="box"><h3>{_e(s.ui.get("most_read", "Most read"))}</h3>{_ul(most_read, "most-read")}</div>
<div class="box"><h3>{_e(s.ui.get("video", "Video"))}</h3>{_ul(most_read[:3], "video-list")}</div></div>
</div>{_comments(s)}{_footer(s)}</body></html>"""


def skin_brtext(s: Story) -> str:
    """An older CMS: the body is one <div> with paragraphs separated by <br><br>;
    a table layout around it, pagination links at the end."""
    image = f"https://www.example.fr/images/{s.name}.jpg"
    parts: list[str] = []
    for i, p in enumerate(s.paragraphs):
        if i in s.headings:
            parts.append(f"<b>{_e(s.headings[i])}</b>")
        parts.append(_e(p))
    text = "<br><br>\n".join(parts)
    pages = s.ui.get("pages", "Page 1|2|3|Suivant »").split("|")
    return f"""{_head(s, image)}
<body>{_nav(s)}
<table class="layout" width="100%"><tr>
<td class="left" width="20%">{_ul(s.ui.get("sections", "A|B").split("|"), "left-menu")}</td>
<td class="center">
<h1 class="titre">{_e(s.title)}</h1>
<div class="auteur">{_e(s.ui.get("by", "Par"))} {_e(s.author)} — {_e(s.date[:10])}</div>
<div class="texte">{text}</div>
<div class="pagination">{" ".join(f'<a href="?page={i + 1}">{_e(p)}</a>' for i, p in enumerate(pages))}</div>
<div class="partage">{_e(s.ui.get("share", "Partager cet article"))}</div>
</td>
<td class="right" width="25%">{_related(s)}</td></tr></table>
{_comments(s)}{_footer(s)}</body></html>"""


def skin_split(s: Story) -> str:
    """The body cut into several sibling sections by ads, a newsletter box and a "more
    stories" rail (as big news sites do), with a long "most read" sidebar."""
    image = f"https://media.example.com/{s.name}/lead.jpg"
    chunks: list[list[str]] = [[], [], []]
    for i, p in enumerate(s.paragraphs):
        part = min(2, i * 3 // len(s.paragraphs))
        if i in s.headings:
            chunks[part].append(f"<h2>{_e(s.headings[i])}</h2>")
        chunks[part].append(f'<p class="paragraph">{_e(p)}</p>')
    rail = "".join(
        f'<li><a href="/r/{i}"><span class="rail-title">{_e(t)}</span></a></li>'
        for i, t in enumerate(s.related)
    )
    between = [
        '<div class="ad-container"><div class="ad" data-slot="mid1"></div><p class="ad-label">Advertisement</p></div>',
        f'<div class="inline-rail"><h3>{_e(s.ui.get("related", "More stories"))}</h3><ul>{rail}</ul></div>',
    ]
    sections = []
    for i, chunk in enumerate(chunks):
        sections.append(f'<div class="article-body__section">{"".join(chunk)}</div>')
        if i < len(between):
            sections.append(between[i])
    sidebar = "".join(
        f'<div class="promo"><a href="/p/{i}"><h4>{_e(c)}</h4></a></div>'
        for i, c in enumerate(s.comments + s.related)
    )
    return f"""{_head(s, image)}
<body>{_cookie(s)}{_nav(s)}
<div class="page"><div class="main-column">
<h1 data-testid="headline">{_e(s.title)}</h1>
<div class="article-meta"><span class="author">{_e(s.author)}</span><span class="date">{_e(s.date[:10])}</span></div>
<div class="lead-media"><img src="{image}"><span class="caption">{_e(s.captions[0] if s.captions else "")}</span></div>
<div class="article-body">{"".join(sections)}</div>
</div><aside class="sidebar"><h3>{_e(s.ui.get("most_read", "Most read"))}</h3>{sidebar}</aside></div>
{_footer(s)}</body></html>"""


SKINS = {
    "newsroom": skin_newsroom,
    "divsoup": skin_divsoup,
    "brtext": skin_brtext,
    "split": skin_split,
}


def story_page(s: Story, skin: str) -> Page:
    body = s.true_body()
    paras = _paragraphs(body)
    return Page(
        name=f"{s.name}_{skin}",
        url=s.url,
        html=SKINS[skin](s),
        body=body,
        language=s.language,
        title=s.title,
        first_paragraph=paras[0],
        last_paragraph=paras[-1],
    )


def _load_stories() -> list[tuple[Story, str]]:
    raw = json.loads((DATA / "stories.json").read_text(encoding="utf-8"))
    out: list[tuple[Story, str]] = []
    for item in raw:
        skins = item.pop("skin").split("+")
        item["headings"] = {int(k): v for k, v in item.get("headings", {}).items()}
        out.extend((Story(**item), skin) for skin in skins)
    return out


def all_pages() -> list[Page]:
    """Every evaluation page: the seed page plus each story in its site's skin."""
    pages = [seed_page(), story_page(_seed_story(), "split")]
    pages.extend(story_page(story, skin) for story, skin in _load_stories())
    return pages


def _seed_story() -> Story:
    """The seed's long article cut into sections, to test a long body split by ads."""
    return Story(
        name="seed_long",
        url="https://www.example-times.com/2026/01/06/world/europe/ukraine-security.html",
        language="en",
        title=_SEED_TITLE,
        author="Catherine Porter",
        date="2026-01-06T18:00:00Z",
        paragraphs=_paragraphs(_seed_body()),
        related=["Zelensky meets Trump envoys", "What the 20-point plan says"],
        comments=["A long comment that should never be part of the article text at all."],
    )
