"""Imported once where extraction workers start (the forkserver, or each spawned worker):
the extractors' heavy imports, so no page pays for them inside its time limit."""

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # newspaper4k warns that NLTK is missing: not needed
    import newspaper
    import newspaper.nlp  # noqa: F401
    import trafilatura  # noqa: F401

    import digests.extract.reading
    import digests.summarize.summarizer  # noqa: F401
