"""The teacher's pages: docs/cheatsheet.png from docs/cheatsheet.md, and both docs as pages of the book.

    python -m tools.teaching              # writes docs/cheatsheet.png (A4, 150 dpi, drawn with matplotlib)

`book_pages(out_dir)` writes teaching.html and cheatsheet.html (and the PNG) into the HTML book
that `make run` builds, and returns their links for its index page.

The PNG renderer understands only what the cheat sheet uses: a # title, ## headings, paragraphs
and pipe tables. Code spans are drawn in a monospace font in tables, plain in paragraphs.
"""

import re
import sys
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT, MARGIN = 8.27, 11.69, 0.55  # inches: A4 portrait
CHAR = {10: 0.075, 8.5: 0.064, 8: 0.06}  # rough width of a character, inches, per font size
MONO = {8: 0.066, 8.5: 0.071}


def blocks(text):
    "('title'|'heading'|'para'|'table', content) in order."
    out, para, table = [], [], []

    def flush():
        if para:
            out.append(("para", " ".join(para)))
            para.clear()
        if table:
            rows = [[c.strip() for c in r.strip().strip("|").split("|")] for r in table]
            out.append(("table", [r for r in rows if not all(set(c) <= set("-: ") for c in r)]))
            table.clear()

    for line in text.splitlines():
        if line.startswith("|"):
            if para:
                flush()
            table.append(line)
        elif not line.strip():
            flush()
        elif line.startswith("## "):
            flush()
            out.append(("heading", line[3:].strip()))
        elif line.startswith("# "):
            flush()
            out.append(("title", line[2:].strip()))
        else:
            if table:
                flush()
            para.append(line.strip())
    flush()
    return out


def plain(s):
    return re.sub(r"\*\*([^*]+)\*\*", r"\1", s.replace("`", ""))


def wrap(s, width_in, size, mono=False):
    chars = max(8, int(width_in / (MONO if mono else CHAR)[size]))
    return textwrap.wrap(plain(s), chars) or [""]


def render(md, png):
    fig = plt.figure(figsize=(WIDTH, HEIGHT), dpi=150)
    y = HEIGHT - MARGIN
    usable = WIDTH - 2 * MARGIN

    def put(x, y, s, **kw):
        fig.text(x / WIDTH, y / HEIGHT, s, va="top", ha="left", **kw)

    for kind, content in blocks(md):
        if kind == "title":
            put(MARGIN, y, plain(content), fontsize=16, fontweight="bold")
            y -= 0.42
        elif kind == "heading":
            y -= 0.08
            put(MARGIN, y, plain(content), fontsize=12, fontweight="bold", color="#1f4e79")
            y -= 0.28
        elif kind == "para":
            for line in wrap(content, usable, 10):
                put(MARGIN, y, line, fontsize=10)
                y -= 0.19
            y -= 0.1
        else:
            header, *rows = content
            shares = [0.14, 0.38, 0.48] if header[0] == "step" else [0.06, 0.40, 0.54]
            xs = [MARGIN + usable * sum(shares[:k]) for k in range(len(shares))]
            widths = [usable * s - 0.1 for s in shares]
            mono_col = len(header) - 1
            for r, row in enumerate([header, *rows]):
                lines = [wrap(c, w, 8.5 if k == mono_col and r else 10, mono=k == mono_col and r > 0)
                         for k, (c, w) in enumerate(zip(row, widths))]
                for k, cell_lines in enumerate(lines):
                    for j, line in enumerate(cell_lines):
                        put(xs[k], y - j * 0.16, line, fontsize=8.5 if k == mono_col and r else 10,
                            fontweight="bold" if r == 0 else "normal",
                            family="monospace" if k == mono_col and r else "sans-serif")
                y -= 0.16 * max(len(c) for c in lines) + 0.05
                fig.lines.append(plt.Line2D([MARGIN / WIDTH, (WIDTH - MARGIN) / WIDTH], [(y + 0.03) / HEIGHT] * 2,
                                            transform=fig.transFigure, color="#cccccc", linewidth=0.6))
            y -= 0.12
    if y < MARGIN:
        raise SystemExit(f"the cheat sheet runs {MARGIN - y:.2f} in past the bottom of an A4 page: shorten it")
    fig.savefig(png, dpi=150)
    plt.close(fig)
    return y


PAGES = (("teaching", "Teacher's guide: routes, objectives, common mistakes, answers to the questions"),
         ("cheatsheet", "One page to print: the six steps and the shapes"))
STYLE = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}"
         "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left}"
         "code{background:#f4f4f4;padding:0 .2rem}")


def book_pages(out_dir, docs=ROOT / "docs"):
    "Write docs/teaching.md and docs/cheatsheet.md as HTML pages into `out_dir`; return [(file name, title)]."
    import html
    import shutil

    import mistune

    from tools.runner import write_atomically
    from tools.student import repository

    out_dir = Path(out_dir)
    links = []
    for name, title in PAGES:
        md = Path(docs) / f"{name}.md"
        if not md.exists():
            continue
        body = mistune.html(md.read_text(encoding="utf-8"))
        body = re.sub(r'href="(teaching|cheatsheet)\.md', r'href="\1.html', body)  # links between the two pages
        body = body.replace('href="../', f'href="{repository()}/blob/main/')  # the rest of the project, on GitHub
        write_atomically(out_dir / f"{name}.html", f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>{STYLE}</style></head>
<body><p><a href="index.html">The series</a></p>
{body}</body></html>
""")
        links.append((f"{name}.html", title))
    png = Path(docs) / "cheatsheet.png"
    if png.exists():
        out_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, out_dir / png.name)
    return links


def main(argv=None):
    md = ROOT / "docs" / "cheatsheet.md"
    png = ROOT / "docs" / "cheatsheet.png"
    left = render(md.read_text(encoding="utf-8"), png)
    print(f"{png.relative_to(ROOT)}: A4, {left - MARGIN:.2f} in to spare at the bottom")
    return 0


if __name__ == "__main__":
    sys.exit(main())
