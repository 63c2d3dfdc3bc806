"""A page reader for the worker pool that hangs on pages whose URL says "slow" (or kills
its worker on "crash"), to exercise the per-page time limit and pool recovery."""

from __future__ import annotations

import os
import time

from digests.extract.reading import PageReading, read_page


def read_page_slowly(body: bytes, url: str, **kwargs: object) -> PageReading:
    if "slow" in url:
        time.sleep(60)
    if "crash" in url:
        os._exit(3)
    return read_page(body, url, **kwargs)  # type: ignore[arg-type]
