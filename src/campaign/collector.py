"""Python's cyclic garbage collector, tuned for a long-running server process.

A full collection scans every object the process holds: in ``campaign run`` or ``campaign
serve-links`` that is mostly what start-up loaded (modules, SQLAlchemy's and APScheduler's
objects), tens of thousands of objects that live as long as the process. Such a pass took
about 80 ms here, holding up every post or redirect meanwhile (the p99s in bench/README.md).
"""

from __future__ import annotations

import gc


def quiet_collector() -> None:
    """Keep the collector from stalling a server process once it has started.

    What is loaded by now lives as long as the process: frozen, it is never scanned again.
    Full collections come after 1,000 younger ones instead of 10, as a post or a request
    leaves next to no cyclic garbage. Call it once, in the server process only (not on
    import: a library user's process is theirs to tune).
    """
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 1000)
