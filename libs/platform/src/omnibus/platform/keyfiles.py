"""Development key files created on first use, safely when several processes start at once."""

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def read_or_create(path: Path, generate: Callable[[], bytes]) -> bytes:
    """The bytes of ``path``; when it does not exist, ``generate()`` written with mode 0600.

    The new file is written aside and linked into place, so a concurrent reader never sees a half-written key, and
    when two processes race the first link wins and both use its key.
    """
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(generate())
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)
    return path.read_bytes()
