"""`newsdigest preview` as a person or a script runs it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.cli import main
from digests.storage.models import utcnow
from tests.compose.newsroom import Copy, Newsroom

HOUR = timedelta(hours=1)


@pytest.fixture
def room(db) -> Newsroom:
    room = Newsroom(db)
    now = utcnow()
    room.cluster(
        now - HOUR,
        Copy(
            "New York Times",
            "European Allies Agree to Key Security Provisions for Ukraine",
            summary=["Allies agreed on security provisions for Ukraine."],
            url="https://www.nytimes.com/2026/01/06/world/europe/ukraine.html",
        ),
        Copy(None, "European Allies Agree…", url="https://dnyuz.com/2026/01/07/allies/"),
    )
    room.cluster(now - 2 * HOUR, Copy("BBC", "Grain harvest sets a record"))
    for days in (2, 3, 4):
        room.cluster(now - days * 24 * HOUR, Copy("BBC", f"Ukraine talks, day {days}"))
    return room


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["preview", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_text_output_groups_items_under_topics(room, capsys):
    code, out, _ = run(capsys, "--topic", "ukraine", "--topic", "grain")

    assert code == 0
    assert out.index("== ukraine (1) ==") < out.index("== grain (1) ==")
    assert "1. European Allies Agree to Key Security Provisions for Ukraine" in out
    assert "New York Times, dnyuz.com" in out
    assert "https://www.nytimes.com/2026/01/06/world/europe/ukraine.html" in out
    assert "- Allies agreed on security provisions for Ukraine." in out
    assert "matched: Ukraine" in out
    assert "2. Grain harvest sets a record" in out
    assert "day 2" not in out  # older than the default 24 hours


def test_json_output_shape(room, capsys):
    code, out, _ = run(capsys, "--topic", "ukraine", "--since", "7d", "--json")

    assert code == 0
    items = json.loads(out)["items"]
    assert items[0]["title"] == ("European Allies Agree to Key Security Provisions for Ukraine")
    assert len(items) == 4
    first = items[0]
    assert set(first) == {"title", "url", "sources", "published", "summary", "topic", "matched"}
    assert first["sources"] == ["New York Times", "dnyuz.com"]
    assert first["summary"] == ["Allies agreed on security provisions for Ukraine."]
    assert first["topic"] == "ukraine"
    assert "Ukraine" in first["matched"]
    assert first["published"].endswith("+00:00")


def test_max_items_zero_means_no_cap(room, capsys, monkeypatch):
    monkeypatch.setenv("MAX_ITEMS_PER_DIGEST", "2")

    _, out, _ = run(capsys, "--topic", "ukraine", "--since", "all", "--json")
    assert len(json.loads(out)["items"]) == 2

    _, out, _ = run(capsys, "--topic", "ukraine", "--since", "all", "--json", "--max-items", "0")
    assert len(json.loads(out)["items"]) == 4

    _, out, _ = run(capsys, "--topic", "ukraine", "--since", "all", "--json", "--max-items", "3")
    assert len(json.loads(out)["items"]) == 3


def test_nothing_to_show(room, capsys):
    code, out, _ = run(capsys, "--topic", "football")
    assert code == 0
    assert out.startswith("No matching stories (since ")


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["--topic=-football"], "football"),
        (["--topic", "ukraine", "--since", "yesterday"], "--since 'yesterday'"),
        (["--topic", "ukraine", "--max-items", "-1"], "--max-items -1"),
    ],
)
def test_bad_input_is_one_line_and_a_nonzero_exit(room, capsys, argv, names):
    code, out, err = run(capsys, *argv)

    assert code != 0
    assert out == ""
    assert err.startswith("newsdigest preview: ")
    assert names in err
    assert err.count("\n") == 1
