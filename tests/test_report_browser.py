"""The generated report in a real browser: headless Chromium, driven over the DevTools protocol
on two plain pipes (--remote-debugging-pipe), so no websocket client or driver is needed.

Skips when Chromium is absent, unless AUTOGRAD_BENCH_REQUIRE_BROWSER=1 (CI) makes that a failure.
Saves reports/screenshot.png, the report as the browser drew it.
"""

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from report_samples import (
    XSS,
    benchmark_json,
    make_results,
    ratio_record,
    ratios_json,
    scaled,
    with_native,
    write,
)

from benchmarks.report import render
from benchmarks.workloads import variants as V

REPO = Path(__file__).resolve().parents[1]
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
)
DESKTOP = {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}
MAX_HEIGHT = 6000  # px at 1400 px wide, every section closed
WIDE = {"width": 1400, "height": 900, "deviceScaleFactor": 1, "mobile": False}
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}


def chromium_binary():
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _high_fd(fd):
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)  # pass_fds reopens it in the child only
    os.close(fd)
    return high


class Chromium:
    """One headless Chromium; `send` a DevTools command and get its result, events collected.

    Chromium reads NUL-terminated JSON commands on fd 3 and writes replies and events on fd 4.
    """

    def __init__(self, binary, profile_dir, log_path, timeout=60):
        # Pipes moved to fds >= 10, so that putting Chromium's ends on 3 and 4 cannot overwrite
        # one of them; a tiny Python exec shim does that (dash cannot redirect fds above 9).
        theirs_r, ours_w = map(_high_fd, os.pipe())  # commands, to Chromium's fd 3
        ours_r, theirs_w = map(_high_fd, os.pipe())  # replies and events, from its fd 4
        shim = "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
        shim += "os.close(int(sys.argv[1])); os.close(int(sys.argv[2])); "
        shim += "os.execv(sys.argv[3], sys.argv[3:])"
        self.log_path = log_path
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    shim,
                    str(theirs_r),
                    str(theirs_w),
                    binary,
                    *FLAGS,
                    f"--user-data-dir={profile_dir}",
                ],
                pass_fds=(theirs_r, theirs_w),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        os.close(theirs_r)
        os.close(theirs_w)
        self._w, self._r = ours_w, ours_r
        self._buffer, self._next_id, self.events = b"", 0, []
        self.deadline = time.monotonic() + timeout

    def send(self, method, params=None, session=None):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._w, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, event):
        while not any(e.get("method") == event for e in self.events):
            self.events.append(self._receive())

    def _receive(self):
        while b"\0" not in self._buffer:
            left = self.deadline - time.monotonic()
            if left <= 0 or not select.select([self._r], [], [], left)[0]:
                raise TimeoutError(f"Chromium did not answer in time; its log: {self.log_tail()}")
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise RuntimeError(f"Chromium closed the pipe; its log: {self.log_tail()}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def log_tail(self):
        return Path(self.log_path).read_text(errors="replace")[-2000:]

    def close(self):
        with contextlib.suppress(OSError, RuntimeError, TimeoutError):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._w)
        os.close(self._r)


class Page:
    """A tab in `browser`, attached with a flat session."""

    def __init__(self, browser):
        self.browser = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")

    def send(self, method, params=None):
        return self.browser.send(method, params, session=self.session)

    def open(self, url, metrics):
        self.send("Emulation.setDeviceMetricsOverride", metrics)
        self.send("Page.navigate", {"url": url})
        self.browser.wait_for("Page.loadEventFired")

    def resize(self, metrics):
        self.send("Emulation.setDeviceMetricsOverride", metrics)

    def evaluate(self, expression):
        reply = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in reply:
            raise RuntimeError(f"page script failed: {reply['exceptionDetails']}")
        return reply["result"]["value"]

    def errors(self):
        """Console errors, uncaught exceptions and browser-logged errors (blocked or failed
        loads, CSP violations) of this tab."""
        found = []
        for e in self.browser.events:
            p, method = e.get("params", {}), e.get("method")
            if e.get("sessionId") != self.session:
                continue
            if method == "Runtime.exceptionThrown":
                found.append(p["exceptionDetails"].get("text"))
            elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                found.append(json.dumps(p.get("args")))
            elif method == "Log.entryAdded" and p["entry"].get("level") == "error":
                found.append(p["entry"].get("text"))
        return found

    def screenshot(self, path, metrics):
        """The whole page, not only the viewport, as a PNG at `path`."""
        height = self.send("Page.getLayoutMetrics")["cssContentSize"]["height"]
        clip = {"x": 0, "y": 0, "width": metrics["width"], "height": height, "scale": 1}
        shot = self.send(
            "Page.captureScreenshot",
            {"format": "png", "clip": clip, "captureBeyondViewport": True},
        )
        Path(path).write_bytes(base64.b64decode(shot["data"]))


# What the test reads from the page: every picture's drawn size, the variant rows, whether the
# page overflows sideways (the tables must scroll inside their own box instead).
PAGE_FACTS = """(() => {
  const size = el => { const r = el.getBoundingClientRect(); return [r.width, r.height]; };
  return {
    images: [...document.images].map(i => ({alt: i.alt, loaded: i.complete && i.naturalWidth > 0,
                                            size: size(i)})),
    svgs: [...document.querySelectorAll("svg")].map(s => ({size: size(s)})),
    rows: [...document.querySelectorAll("#variant-table tbody tr")].map(r => r.dataset.variant),
    tables: [...document.querySelectorAll("table")].map(t => {
      const box = t.parentElement, overflow = getComputedStyle(box).overflowX;
      return {id: t.id || t.className, width: t.getBoundingClientRect().width,
              box: size(box)[0], box_right: box.getBoundingClientRect().right,
              scrolls: overflow === "auto" || overflow === "scroll"};
    }),
    why: [...document.querySelectorAll("#why table")].map(t => t.id),
    scripts: document.querySelectorAll("script").length,
    text: document.body.innerText,
    page_width: document.documentElement.scrollWidth,
    viewport_width: window.innerWidth,
  };
})()"""


@pytest.fixture
def chromium(tmp_path):
    binary = chromium_binary()
    if not binary:
        if os.environ.get("AUTOGRAD_BENCH_REQUIRE_BROWSER") == "1":
            pytest.fail("AUTOGRAD_BENCH_REQUIRE_BROWSER=1 but no chromium on PATH")
        pytest.skip("no chromium on PATH (apt-get install chromium); the browser test needs it")
    browser = Chromium(binary, tmp_path / "profile", tmp_path / "chromium.log")
    yield browser
    browser.close()


def sample_report(root):
    """A report in `root` with every section filled: a previous run, the native pass with a flame
    graph, mprof files (one holding a <script> in its command line, one malformed), a
    pytest-benchmark JSON and a ratios file; one peer not installed."""
    reports = root / "reports"
    results = make_results(iters=300)
    write(reports / "results" / "20261122T120000Z.json", scaled(results, 0.8, {"weak-backprop"}))
    newest = with_native(make_results(iters=300, explained=True))
    write(reports / "results" / "20261123T120000Z.json", newest)
    extra = {
        "tracemalloc_peak_mib": 2.29,
        "gc_collections": [0, 0, 0],
        "gc_collected": 0,
        "numpy_median_us": 80.12,
        "time_vs_numpy": 1.0371,
    }
    rows = [
        (f"test_classic_loop_iteration[{name}]", "classic-loop-iteration", 1e-4, extra)
        for name in ("numpy", "strong-backprop", "weak-backprop", "book-strong-backprop")
    ] + [(f"test_chain_backward[weak-{n}]", f"chain-backward-{n}", n * 3e-6, {}) for n in (1000,)]
    write(reports / "speed" / "20261123T120100Z.json", benchmark_json(rows))
    (root / "mprofile_20261123115900.dat").write_text(
        f"CMDLINE python -m benchmarks run --only strong-backprop {XSS}\n"
        + "".join(f"MEM {25 + 3 * (i % 40):.6f} {1700000000 + i / 10:.4f}\n" for i in range(200))
    )
    (reports / "mprofile_broken.dat").write_text("MEM not-a-number\n")
    gone = "autograd is not installed (pip install -e '.[peers]')"
    ratios = ratios_json(
        ratio_record("backward-neg-weak-1000", 2.276), ratio_record("b", None, reason=gone)
    )
    write(reports / "ratios" / "20261123T120000Z.json", ratios)
    return render(reports_dir=reports, repo_root=root)


# Where the first screen's parts lie, with every section closed, and how tall the page is.
FIRST_SCREEN = """(() => {
  document.querySelectorAll("details").forEach(d => d.open = false);
  const box = el => { const r = el.getBoundingClientRect();
                      return {top: r.top, bottom: r.bottom, width: r.width, height: r.height}; };
  const parts = sel => [...document.querySelectorAll(sel)].map(el => ({...box(el),
                                                                      text: el.innerText}));
  const picture = document.querySelector(".headline img");
  return {
    height: document.documentElement.scrollHeight,
    lead: parts(".headline .lead"),
    because: parts(".headline .because"),
    picture: picture && {...box(picture), loaded: picture.complete && picture.naturalWidth > 0},
    not_installed: parts(".not-installed").map(p => p.text),
  };
})()"""
OPEN_ALL = "document.querySelectorAll('details').forEach(d => d.open = true); 0"


@pytest.mark.browser
def test_report_renders_in_chromium(chromium, tmp_path):
    index = sample_report(tmp_path)
    data = make_results()
    shown = [v["name"] for v in data["variants"] if v["status"] != "skipped"]
    page = Page(chromium)
    page.open(index.as_uri(), WIDE)

    # The first screen answers how much more and why, beside its picture, every section closed.
    first = page.evaluate(FIRST_SCREEN)
    assert first["height"] <= MAX_HEIGHT, f"{first['height']} px tall with the sections closed"
    on_screen = [*first["lead"], *first["because"], first["picture"]]
    assert all(p and p["top"] >= 0 and p["bottom"] <= WIDE["height"] for p in on_screen), first
    strong, weak = (next(v for v in data["variants"] if v["name"] == n) for n in V.HEADLINE)
    assert f"{strong['peak_rss_mib'] / weak['peak_rss_mib']:.2f}×" in first["lead"][0]["text"]
    why = " ".join(p["text"] for p in first["because"])
    assert "reference cycles" in why and "counts objects, not bytes" in why
    assert first["picture"]["loaded"] and first["picture"]["width"] > 400
    assert first["not_installed"] == ["not installed: torch: pip install -e '.[peers]'"]

    page.evaluate(OPEN_ALL)
    facts = page.evaluate(PAGE_FACTS)
    assert page.errors() == []
    assert facts["images"], "the report shows no plots"
    for picture in facts["images"] + facts["svgs"]:
        assert picture.get("loaded", True), f"image not decoded: {picture}"
        assert min(picture["size"]) > 0, f"drawn with no size: {picture}"
    assert facts["rows"] == shown
    assert facts["scripts"] == 0
    assert XSS in facts["text"]  # shown as text, inert
    assert "2.276×" in facts["text"] and "not installed: autograd" in facts["text"]
    assert "no ratio: skipped" not in facts["text"]
    assert facts["why"] == ["census-table", "model-table", "attribution-table", "sampler-table"]
    assert any(i["alt"].startswith("RSS and live bytes") for i in facts["images"])
    (REPO / "reports").mkdir(exist_ok=True)
    page.screenshot(REPO / "reports" / "screenshot.png", DESKTOP)

    # Every table fits its box or scrolls inside it, and no box passes the window's edge.
    for metrics in (WIDE, DESKTOP):
        page.resize(metrics)
        facts = page.evaluate(PAGE_FACTS)
        assert facts["page_width"] <= facts["viewport_width"], f"the page scrolls at {metrics}"
        for table in facts["tables"]:
            assert table["width"] <= table["box"] + 1 or table["scrolls"], table
            assert table["box_right"] <= facts["viewport_width"], table

    page.resize(PHONE)
    facts = page.evaluate(PAGE_FACTS)
    assert facts["page_width"] <= facts["viewport_width"], "the page scrolls sideways on a phone"
    assert all(min(p["size"]) > 0 for p in facts["images"])
    assert page.errors() == []

    # The attribution table links the flame graph of the native peak: a page of its own.
    link = page.evaluate("document.querySelector('#attribution-table a.flame').href")
    page.open(link, WIDE)
    drawn = page.evaluate(
        "[...document.querySelectorAll('text')].map(t => t.textContent).join(' | ')"
    )
    assert "Square.forward (autograd_core/_ops.py:23)" in drawn and XSS in drawn
    assert page.errors() == []
