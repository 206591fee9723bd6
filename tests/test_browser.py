"""Every notebook opens in JupyterLab in a real browser (headless Chromium) without errors.

One JupyterLab server (on a temporary copy of notebooks/, so nothing rewrites the committed
files; no news or update checks) and one browser serve all notebooks.  For each notebook:
no error dialog, no error toast, no error or stderr output, no page/console errors; its title
(the first markdown heading) is visible; its first figure (the first stored image output) is
visible and decoded.  Screenshots go to build/screenshots/<name>.png (the top of the notebook)
and build/screenshots/<name>.figure.png (its first figure).

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
         f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0"],
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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_renders_in_jupyterlab(lab, browser, path):
    base, token, _ = lab
    nb = json.loads(path.read_text(encoding="utf-8"))
    title = first_heading(nb)
    assert title, f"{path.name} has no markdown heading: its first cell should start with '# NN · Title'"

    page = browser.new_page()
    problems = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("console", lambda m: m.type == "error" and not HARMLESS.search(m.text)
            and problems.append(f"console error: {m.text}"))
    try:
        # ?reset: a fresh workspace, so only this notebook is open.
        page.goto(f"{base}/lab/tree/{path.name}?reset&token={token}", wait_until="domcontentloaded")
        panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first
        panel.wait_for(state="visible")
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
        page.close()
        _shutdown_sessions(base, token)
