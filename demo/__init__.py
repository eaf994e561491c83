"""A local simulator of the sites a city office monitors: a 12345 hotline open-data API (JSON, Open311,
CSV/Excel), message boards (UTF-8 and GBK) and a news site (RSS, Atom, articles), publishing deterministic,
realistic items of the fictional city 云江市 as simulated time passes, with scripted incidents and faults.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DemoServer"]


def __getattr__(name: str) -> Any:
    # Lazy, so that the text generator can be used without loading the HTTP server.
    if name == "DemoServer":
        from demo.server import DemoServer

        return DemoServer
    raise AttributeError(name)
