"""The canonical form of a story URL: one story, one key, whatever tracking it carried."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that only say where a click came from, never which page it is.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ocid",
        "_ga",
        "_gl",
        "xtor",  # AT Internet (French publishers' RSS links)
        "at_medium",  # AT Internet / Piano (BBC's RSS links)
        "at_campaign",
        "cmpid",
        "cmp",  # the Guardian's share links
        "smid",  # the New York Times' share links
        "smtyp",
    }
)
TRACKING_PREFIXES = ("utm_",)

_SPACE = re.compile(r"\s+")


def is_tracking_parameter(name: str) -> bool:
    """True for `utm_source`, `fbclid` and the other click trackers."""
    lowered = unquote_plus(name).strip().lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """`url` with scheme and host lower-cased, default port, fragment and tracking
    parameters removed; the other query parameters are kept as written, in order."""
    parts = urlsplit(_SPACE.sub("", url))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    netloc = host
    if parts.username is not None:
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@{host}"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None and DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{netloc}:{port}"
    path = parts.path or ("/" if netloc else "")
    # Kept raw (not re-encoded), so the page's own parameters stay byte for byte.
    query = "&".join(
        piece
        for piece in parts.query.split("&")
        if piece and not is_tracking_parameter(piece.partition("=")[0])
    )
    return urlunsplit((scheme, netloc, path, query, ""))
