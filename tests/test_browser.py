"""Every notebook opens in JupyterLab in a real browser (headless Chromium) without errors.

One JupyterLab server (on a temporary copy of notebooks/, so nothing rewrites the committed
files; no news or update checks) and one browser serve all notebooks.  JupyterLab is loaded once
in one page, and each notebook is opened there (as the file browser opens it) and closed again,
which saves reloading the whole application per notebook.  For each notebook:
no error dialog, no error toast, no error or stderr output, no page/console errors; its title
(the first markdown heading) is visible; its first figure (the first stored image output) is
visible and decoded.  Screenshots go to build/screenshots/<name>.png (the top of the notebook)
and build/screenshots/<name>.figure.png (its first figure).

Run All, as a reader does it (issue 13), for 01 and for the first notebook that trains with
fastai's Learner: Edit > Clear Outputs of All Cells, then Run > Run All Cells, through the menus;
wait until every code cell has run and the kernel is idle; then no error or stderr output, the
headline (the first line printed by the cell tagged `headline` in the committed notebook) is on
the page, and fastai's progress bar rendered as a bar (an HTML <progress> element while it
trains, a rendered table when it is done; never HTML shown as text).  Screenshots:
build/screenshots/<name>.run-all.png (the whole finished notebook), <name>.headline.png and,
for the Learner, <name>.progress.png (the bar while it trains).

Needs Debian's `chromium` (/usr/bin/chromium, or $CHROMIUM) and the playwright Python package
(never `playwright install`: the system Chromium is used).  Skipped, with the reason, otherwise.
"""

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
SHOTS = ROOT / "build" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
TIMEOUT_MS = 60_000

# Console messages that say nothing about the notebook: the browser's own noise.
HARMLESS = re.compile(r"favicon|Failed to load resource: net::ERR_INTERNET_DISCONNECTED|"
                      r"\[Violation\]|DevTools|Download the React DevTools", re.I)

BLANK_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="117" height="20"><rect width="117" height="20" rx="3" '
             'fill="#555"/><text x="58" y="14" fill="#fff" font-family="sans-serif" font-size="11" '
             'text-anchor="middle">Open in Colab</text></svg>')

pytestmark = pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks/[0-9]*.ipynb yet")


def _require_browser():
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium (or set $CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright  # noqa: F401
    except ImportError as e:
        pytest.skip(f"the playwright Python package is not importable ({e}): pip install -e '.[dev]'")
    try:
        import jupyterlab  # noqa: F401
    except ImportError as e:
        pytest.skip(f"JupyterLab is not installed ({e}): pip install -e '.[dev]'")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    "A JupyterLab server on a temporary copy of the notebooks: (base_url, token, folder)."
    _require_browser()
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "notebooks"
    root.mkdir()
    for nb in NOTEBOOKS:
        shutil.copy2(nb, root / nb.name)
    # ... and no "Would you like to get notified about official Jupyter news?" prompt.
    notification = tmp / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    # Every cell in the DOM (no windowing), so the Run All test can read every prompt and output.
    tracker = tmp / "settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    port, token = _free_port(), secrets.token_hex(16)
    config = tmp / "config"
    config.mkdir()
    # No news feed, no update check, nothing else that reaches the network.
    (config / "jupyter_server_config.json").write_text(json.dumps({
        "LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
                   "extension_manager": "readonly"},
        "ServerApp": {"open_browser": False, "allow_root": True},  # CI containers run as root
        "IdentityProvider": {"token": token},
    }))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"), "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
           "NBHELPERS_QUIET": "1"}
    log = open(tmp / "jupyterlab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0",
         "--LabApp.expose_app_in_browser=True"],  # window.jupyterapp: open a notebook without a reload
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{(tmp / 'jupyterlab.log').read_text()[-3000:]}")
            try:
                if _get(f"{base}/api/status?token={token}")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer within 90 s:\n{(tmp / 'jupyterlab.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield base, token, root
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def browser(lab, tmp_path_factory):
    "One headless Chromium (a fresh profile) for all notebooks."
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 1000}, service_workers="block")
        context.set_default_timeout(TIMEOUT_MS)
        # Nothing leaves localhost: outside addresses (the Colab badge's image) get an empty
        # picture, so the test is the same with or without network and never hangs on it.
        context.route(lambda url: not url.startswith(("http://127.0.0.1", "ws://127.0.0.1")),
                      lambda route: route.fulfill(status=200, content_type="image/svg+xml", body=BLANK_SVG))
        try:
            yield context
        finally:
            context.close()


def first_heading(nb):
    "The text of the first markdown heading, without markdown markup."
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if m := re.match(r"#{1,6}\s+(.*\S)", line):
                    return re.sub(r"[`*_]", "", m.group(1))
    return None


def has_image(nb):
    return any("image/png" in out.get("data", {}) or "image/jpeg" in out.get("data", {})
               for c in nb["cells"] if c["cell_type"] == "code" for out in c.get("outputs", []))


def _shutdown_sessions(base, token):
    "Stop the kernels the opened notebooks started, so they do not pile up."
    try:
        _, body = _get(f"{base}/api/sessions?token={token}")
        for s in json.loads(body):
            req = urllib.request.Request(f"{base}/api/sessions/{s['id']}?token={token}", method="DELETE")
            urllib.request.urlopen(req, timeout=10).close()
    except OSError:
        pass


@pytest.fixture(scope="module")
def lab_page(lab, browser):
    "(page, problems): JupyterLab loaded once, with nothing open; `problems` collects page and console errors."
    base, token, _ = lab
    page = browser.new_page()
    problems = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("console", lambda m: m.type == "error" and not HARMLESS.search(m.text)
            and problems.append(f"console error: {m.text}"))
    page.goto(f"{base}/lab?reset&token={token}", wait_until="domcontentloaded")
    page.wait_for_function("() => window.jupyterapp !== undefined")
    page.evaluate("async () => { await window.jupyterapp.restored; }")
    try:
        yield page, problems
    finally:
        page.close()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_renders_in_jupyterlab(lab, lab_page, path):
    base, token, _ = lab
    nb = json.loads(path.read_text(encoding="utf-8"))
    title = first_heading(nb)
    assert title, f"{path.name} has no markdown heading: its first cell should start with '# NN · Title'"

    page, problems = lab_page
    problems.clear()
    try:
        page.evaluate("p => { window.jupyterapp.commands.execute('docmanager:open', {path: p}); }", path.name)
        panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first
        panel.wait_for(state="visible")
        current = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel").first
        assert current.inner_text().strip() == path.name, f"{path.name} did not open: {current.inner_text()!r} did"
        # The notebook is rendered once its first cell shows and the kernel has settled.
        heading = panel.locator(".jp-MarkdownOutput :is(h1, h2, h3, h4, h5, h6)").first
        heading.wait_for(state="visible")
        # The kernel starts and settles ("Python 3 (ipykernel) | Idle" in the status bar): no
        # "Select Kernel" dialog, no dead kernel.
        try:
            page.locator(".jp-StatusBar-Widget").get_by_text(re.compile(r"\|\s*Idle")).first.wait_for()
        except Exception:
            problems.append("the kernel did not reach Idle: "
                            + page.locator(".jp-StatusBar-Widget").first.inner_text().replace("\n", " "))
        page.wait_for_timeout(300)

        shown = heading.inner_text().replace("¶", "").strip()
        assert shown == title, f"{path.name}: the first heading shows {shown!r}, the notebook says {title!r}"

        dialogs = page.locator(".jp-Dialog")
        if dialogs.count():
            problems.append(f"a dialog is open: {dialogs.first.inner_text()[:300]!r}")
        toasts = page.locator(".jp-toast-error, .Toastify__toast--error")
        if toasts.count():
            problems.append(f"an error notification: {toasts.first.inner_text()[:300]!r}")
        for sel, what in ((".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                           "stderr/error output"),
                          (".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']", "error output")):
            n = panel.locator(sel).count()
            if n:
                problems.append(f"{n} {what}(s), the first: {panel.locator(sel).first.inner_text()[:300]!r}")

        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{path.stem}.png"))

        if has_image(nb):
            img = panel.locator(".jp-OutputArea-output img").first
            img.scroll_into_view_if_needed()
            img.wait_for(state="visible")
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
            box = img.bounding_box()
            assert box and box["width"] > 20 and box["height"] > 20, f"{path.name}: first figure is {box}"
            img.locator("xpath=ancestor::div[contains(@class, 'jp-OutputArea-child')][1]").screenshot(
                path=str(SHOTS / f"{path.stem}.figure.png"))
        assert not problems, f"{path.name} in JupyterLab:\n" + "\n".join(problems)
    finally:
        # Dispose of the panel (no "save your changes?" dialog: the copy is thrown away anyway).
        page.evaluate("() => { for (const w of Array.from(window.jupyterapp.shell.widgets('main'))) w.dispose(); }")
        page.locator(".jp-NotebookPanel").first.wait_for(state="detached")
        _shutdown_sessions(base, token)


# --------------------------------------------------------------------------------------------
# Run All through the UI (issue 13)

def _trains_with_learner(nb):
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    return bool(re.search(r"\bLearner\(", code) and re.search(r"\.fit(?:_one_cycle)?\(", code))


RUN_ALL = [p for p in NOTEBOOKS if p.name.startswith("01_")]
RUN_ALL += [p for p in NOTEBOOKS if _trains_with_learner(json.loads(p.read_text(encoding="utf-8")))][:1]
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def headline(nb):
    "(cell index, first printed line) of the cell tagged `headline` in the committed notebook."
    for i, cell in enumerate(nb["cells"]):
        if "headline" in cell.get("metadata", {}).get("tags", []):
            for out in cell.get("outputs", []):
                text = "".join(out.get("text", "")) or "".join(out.get("data", {}).get("text/plain", ""))
                if text.strip():
                    return i, text.strip().splitlines()[0].strip()
            pytest.fail(f"the cell tagged headline (cell {i}) has no stored output: re-execute the notebook")
    pytest.fail("no cell is tagged headline (docs/conventions.md)")


def _full_mnist():
    "True when the kernel will find the full MNIST (the committed outputs' data); else its numbers differ."
    from nbhelpers.mnist import mnist_path

    return mnist_path(download=False, verbose=False).kind == "full"


def same_headline(shown, committed, rel=0.005, numbers=True):
    "The same words, and each number within `rel` of the committed one (another CPU may differ in a last digit)."
    if NUMBER.sub("#", shown) != NUMBER.sub("#", committed):
        return False
    if not numbers:
        return True
    pairs = zip(NUMBER.findall(shown), NUMBER.findall(committed))
    return all(abs(float(a.replace(",", "")) - float(b.replace(",", ""))) <= rel * abs(float(b.replace(",", "")))
               for a, b in pairs)


def _menu(page, menu, item):
    "Click `menu` in the menu bar, then its `item`, by the labels a reader sees."
    page.locator(".lm-MenuBar-item").filter(has_text=re.compile(rf"^\s*{menu}\s*$")).first.click()
    page.locator(f".lm-Menu-item:has(.lm-Menu-itemLabel:text-is('{item}'))").first.click()


# Not marked slow: `make test` runs it (about a minute per notebook), as issue 13 asks of CI.
@pytest.mark.parametrize("path", RUN_ALL, ids=[p.name for p in RUN_ALL])
def test_run_all_in_jupyterlab(lab, browser, path):
    base, token, _ = lab
    nb = json.loads(path.read_text(encoding="utf-8"))
    n_code = sum(c["cell_type"] == "code" for c in nb["cells"])
    head_index, head_line = headline(nb)
    learner = _trains_with_learner(nb)

    page = browser.new_page()
    problems = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    try:
        page.goto(f"{base}/lab/tree/{path.name}?reset&token={token}", wait_until="domcontentloaded")
        panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first
        panel.wait_for(state="visible")
        status = page.locator(".jp-StatusBar-Widget").get_by_text(re.compile(r"\|\s*Idle")).first
        status.wait_for()
        cells = panel.locator(".jp-Notebook .jp-Cell")
        assert cells.count() == len(nb["cells"]), f"{path.name}: {cells.count()} cells on the page, {len(nb['cells'])} in the file"

        _menu(page, "Edit", "Clear Outputs of All Cells")
        prompts = panel.locator(".jp-CodeCell .jp-InputPrompt")
        page.wait_for_function("() => ![...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
                               ".some(p => /\\d/.test(p.textContent))")
        _menu(page, "Run", "Run All Cells")

        # Wait for the last code cell to run (or an error to stop Run All) and the kernel to idle.
        errors = panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error'], "
                               ".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']")
        bar_seen, shot = None, False
        for kind in ("run-all", "headline", "progress"):  # no stale picture from an earlier run
            (SHOTS / f"{path.stem}.{kind}.png").unlink(missing_ok=True)
        started, deadline = time.monotonic(), time.monotonic() + 600
        while True:
            if learner and not shot:
                bar = panel.locator(".jp-OutputArea-output progress").first
                try:
                    # A real <progress> element, drawn with a width: not escaped text.
                    seen = bar.count() and bar.evaluate(
                        "e => e instanceof HTMLProgressElement && e.max > 0 && e.getBoundingClientRect().width > 50"
                        " ? `<progress value=${e.value} max=${e.max}>, "
                        "${Math.round(e.getBoundingClientRect().width)} px wide` : null")
                    if seen:
                        bar_seen = seen
                        SHOTS.mkdir(parents=True, exist_ok=True)
                        bar.scroll_into_view_if_needed(timeout=2000)
                        bar.locator("xpath=ancestor::div[contains(@class, 'jp-Cell')][1]").screenshot(
                            path=str(SHOTS / f"{path.stem}.progress.png"), timeout=5000)
                        shot = True
                except Exception:  # the bar was replaced while we looked: look again
                    pass
            texts = prompts.all_inner_texts()
            ran = sum(bool(re.search(r"\[\d+\]", t)) for t in texts)
            busy = any("*" in t for t in texts)
            if not busy and status.count() and (ran == n_code or errors.count()):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"{path.name}: Run All did not finish in 600 s ({ran} of {n_code} code cells ran)")
            page.wait_for_timeout(100 if learner and not shot else 500)
        seconds = time.monotonic() - started

        if errors.count():
            problems.append(f"{errors.count()} error output(s), the first: {errors.first.inner_text()[:500]!r}")
        assert ran == n_code, f"{path.name}: Run All stopped after {ran} of {n_code} code cells\n" + "\n".join(problems)
        stderr = panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        if stderr.count():
            problems.append(f"{stderr.count()} stderr output(s), the first: {stderr.first.inner_text()[:300]!r}")

        # The headline, as the committed notebook has it, on the page.
        cell = cells.nth(head_index)
        cell.scroll_into_view_if_needed()
        shown = cell.locator(".jp-OutputArea-output").first.inner_text().strip().splitlines()[0].strip()
        full = _full_mnist()  # on the offline sample only the words must match, not the numbers
        if not same_headline(shown, head_line, numbers=full):
            problems.append(f"headline: the page shows {shown!r}, the committed notebook {head_line!r}"
                            + ("" if full else " (offline sample: the words should still match)"))
        SHOTS.mkdir(parents=True, exist_ok=True)
        cell.screenshot(path=str(SHOTS / f"{path.stem}.headline.png"))

        # fastai's progress bar: a <progress> element while it trained, a rendered table at the end,
        # and nowhere HTML shown as text.
        shown_text = "\n".join(panel.locator(".jp-OutputArea-output").all_inner_texts())
        escaped = re.findall(r"<(?:progress|div|table|style)\b[^\n]{0,60}", shown_text)
        if escaped:
            problems.append(f"HTML shown as text: {escaped[0]!r}")
        if learner:
            if bar_seen is None:
                problems.append("no <progress> bar was rendered while the Learner trained")
            if not panel.locator(".jp-OutputArea-output table.fastprogress").count():
                problems.append("no fastprogress results table was rendered after training")

        # The whole finished notebook in one picture: a viewport as tall as the notebook, from its top.
        outer = panel.locator(".jp-WindowedPanel-outer").first
        height = outer.evaluate("e => e.scrollHeight")
        page.set_viewport_size({"width": 1280, "height": min(int(height) + 200, 30000)})
        outer.evaluate("e => e.scrollTop = 0")
        page.wait_for_timeout(500)
        bottom = cells.last.evaluate("e => e.getBoundingClientRect().bottom")
        page.screenshot(path=str(SHOTS / f"{path.stem}.run-all.png"),
                        clip={"x": 0, "y": 0, "width": 1280, "height": min(int(bottom) + 40, 30000)})
        print(f"{path.name}: Run All {ran}/{n_code} code cells in {seconds:.0f} s; headline {shown!r}; "
              f"progress bar: {bar_seen}")
        assert not problems, f"{path.name}, Run All in JupyterLab:\n" + "\n".join(problems)
    finally:
        page.close()
        _shutdown_sessions(base, token)
