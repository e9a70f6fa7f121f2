"""Single active instance per service for the relay and each projection: a PostgreSQL advisory lock.

A second instance (another workers process) waits as a standby and takes over when the holder's connection ends.
On SQLite (one embedded process) there is nothing to coordinate.
"""

import logging
import threading
import zlib

from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)


def acquire(engine: Engine, name: str, stop: threading.Event | None = None) -> Connection | None:
    """Block until this process holds the lock called ``name``; returns the connection that holds it (keep it
    open; close it to release). Returns None on SQLite, or when ``stop`` is set while waiting."""
    if engine.dialect.name != "postgresql":
        return None
    key = zlib.crc32(name.encode())
    conn = engine.connect()
    waiter = stop if stop is not None else threading.Event()
    announced = False
    while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
        conn.rollback()
        if not announced:
            log.info("%s: another instance is active; standing by", name)
            announced = True
        if waiter.wait(2.0):
            conn.close()
            return None
    conn.commit()
    return conn
