"""Writing a file so that readers see either the old one or the whole new one, never half."""

import os
from pathlib import Path


def write_atomically(path, text):
    "Write `text` to a temporary file beside `path`, then rename it over `path`."
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def notebook_text(nb):
    "A notebook as nbformat.write would store it (JSON, then one newline)."
    import nbformat

    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"
