"""The gazetteer is built in a child process and received whole: the same names as a build
in this process, and a build here when the child cannot run."""

from digests.topics import places


def names(gazetteer: places.Gazetteer) -> dict[str, tuple]:
    return {
        key: tuple((a.words, a.demonyms, a.common_word) for a in place.aliases)
        for key, place in gazetteer.places.items()
    }


def test_the_child_process_sends_the_gazetteer_built_here():
    received = places.gazetteer()
    built = places.build_gazetteer()
    assert names(received) == names(built)
    assert received.place_words == built.place_words
    assert {"ukraine", "kyiv", "україна"} <= set(received.places)


def test_a_child_that_cannot_start_means_building_here(monkeypatch, caplog):
    monkeypatch.setattr(places.sys, "executable", "/nonexistent/python")
    gazetteer = places.gazetteer.__wrapped__()
    assert "kyiv" in {" ".join(a.words) for a in gazetteer.places["ukraine"].aliases}
    assert "building here" in caplog.text
