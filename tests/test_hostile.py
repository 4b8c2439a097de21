"""Issue 8: hostile input — no edition carries active content, the build fetches nothing,
paths cannot leave source/, entity expansion and zip bombs are refused."""
from __future__ import annotations

import http.server
import io
import json
import re
import threading
import zipfile
from pathlib import Path

import pytest

from conftest import run_pipeline

EVIL = """---
title: Hostile
---

Intro <span onclick="steal()" style="background:url(http://{host}/css-attr)">text</span> here.

<script>fetch('http://{host}/script')</script>
<style>@import url(http://{host}/import.css); p {{ background: url(http://{host}/bg.png) }}</style>
<iframe src="http://{host}/frame"></iframe>
<object data="http://{host}/object"></object><embed src="http://{host}/embed">
<form action="http://{host}/form"><input name="q"><button>Go</button></form>
<img src="http://{host}/raw-img.png" onerror="alert(1)">
<link rel="stylesheet" href="http://{host}/link.css">

A [harmless link](javascript:alert(document.cookie)) and <a href="javascript:alert(2)">another</a>.

![A remote picture](http://{host}/md-image.png)

Closing words stay.
"""
FORBIDDEN = ["<script", "onclick", "onerror", "<iframe", "<object", "<embed", "<form", "<input",
             "javascript:", "steal()", "@import", "/css-attr", "/bg.png", "<link rel=\"stylesheet\" href=\"http"]


class Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):
        Recorder.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(b"\x89PNG\r\n\x1a\n")

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    Recorder.requests = []
    yield f"127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def edition_texts(folder: Path) -> dict[str, str]:
    texts = {}
    for p in folder.rglob("*"):
        if p.suffix in {".md", ".html"}:
            texts[p.name] = p.read_text(encoding="utf-8")
        elif p.suffix == ".epub":
            with zipfile.ZipFile(p) as z:
                for n in z.namelist():
                    if n.endswith((".xhtml", ".opf", ".css", ".ncx")):
                        texts[f"{p.name}/{n}"] = z.read(n).decode("utf-8")
    return texts


def test_no_active_content_and_no_request(tmp_path, server):
    src = tmp_path / "source"
    src.mkdir()
    (src / "evil.md").write_text(EVIL.format(host=server))
    out = tmp_path / "out"
    proc = run_pipeline("build", "--source-dir", src, "-o", out, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "W-UNSAFE-HTML" in proc.stderr and "W-REMOTE" in proc.stderr
    texts = edition_texts(out / "evil")
    assert {"evil.md", "evil.html"} <= set(texts) and any(k.startswith("evil.epub/") for k in texts)
    for name, text in texts.items():
        # Our own metadata block is the one script allowed: data, never run.
        text = re.sub(r'<script type="application/ld\+json">([^<]*)</script>',
                      lambda m: json.loads(m.group(1)) and "", text)
        for bad in FORBIDDEN:
            assert bad not in text, f"{bad!r} reached {name}"
        assert server not in text or name == "evil.md" and "harmless" in text
    for name, text in texts.items():
        if name.endswith((".html", ".xhtml")) and "Closing words" in text:
            assert "A remote picture" in text     # the description of a dropped image stays
    pdf = (out / "evil" / "evil.pdf").read_bytes()
    assert b"JavaScript" not in pdf and b"/JS" not in pdf
    assert Recorder.requests == [], f"the build fetched {Recorder.requests}"


@pytest.mark.parametrize("target, code", [
    ("file:///etc/passwd", "E-PATH"),
    ("/etc/passwd", "E-PATH"),
    ("../outside.png", "E-PATH"),
])
def test_paths_leaving_source_are_refused(tmp_path, target, code):
    src = tmp_path / "source"
    src.mkdir()
    (tmp_path / "outside.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (src / "paths.md").write_text(f"---\ntitle: Paths\n---\n\nText.\n\n![x]({target})\n")
    proc = run_pipeline("build", "--source-dir", src, "-o", tmp_path / "out", "--formats", "html",
                        check=False)
    assert proc.returncode == 1 and f"paths.md:7: error[{code}]" in proc.stderr, proc.stderr
    html = tmp_path / "out" / "paths" / "paths.html"
    assert not html.exists() or "root:" not in html.read_text()


def test_symlink_leaving_source_is_refused(tmp_path):
    src = tmp_path / "source"
    src.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("Secret\n\nprivate words that must not be published\n")
    (src / "link.txt").symlink_to(secret)
    proc = run_pipeline("build", "--source-dir", src, "-o", tmp_path / "out", "--formats", "html",
                        check=False)
    assert proc.returncode == 1 and "link.txt:1: error[E-PATH]" in proc.stderr
    assert not (tmp_path / "out" / "link").exists()


ENTITY_BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<html><body><p>&lol2;</p></body></html>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE html [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<html><body><p>&xxe;</p></body></html>
"""


def _docx_with(document_xml: str, pad: int = 0) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", document_xml)
        if pad:
            z.writestr("word/media/zeros.bin", bytes(pad))
    return buf.getvalue()


@pytest.mark.parametrize("name, content, code, line", [
    ("bomb.html", ENTITY_BOMB, "E-XML-ENTITY", 2),
    ("xxe.html", EXTERNAL, "E-XML-ENTITY", 2),
    ("xxe.docx", _docx_with(EXTERNAL), "E-XML-ENTITY", 1),
    ("zip.docx", _docx_with("<w:document/>", pad=50 * 2**20), "E-ZIP-BOMB", 1),
    ("broken.epub", b"PK\x03\x04 not really a zip", "E-ZIP", 1),
])
def test_dangerous_containers_refused(tmp_path, name, content, code, line):
    src = tmp_path / "source"
    src.mkdir()
    (src / name).write_bytes(content.encode() if isinstance(content, str) else content)
    proc = run_pipeline("build", "--source-dir", src, "-o", tmp_path / "out", "--formats", "html",
                        check=False)
    assert proc.returncode == 1
    assert f"{name}:{line}: error[{code}]" in proc.stderr, proc.stderr
    assert "root:x:0" not in proc.stderr


HOSTILE_HTML = """<!DOCTYPE html>
<html><head><title>Hostile page</title>
<link rel="stylesheet" href="http://{host}/page.css">
<style>body {{ background: url(http://{host}/page-bg.png) }}</style>
<script src="http://{host}/page.js"></script></head>
<body><h1>Hostile page</h1>
<p onmouseover="steal()">First paragraph of the page stays.</p>
<iframe src="http://{host}/page-frame"></iframe>
<p><img src="http://{host}/page-img.png" alt="a picture"> <a href="javascript:alert(1)">link</a></p>
<form action="http://{host}/page-form"><input name="q"></form>
<p>Last paragraph of the page stays.</p>
</body></html>
"""


def _epub_with(xhtml: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/container.xml", '<?xml version="1.0"?><container version="1.0" '
                   'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
                   '<rootfile full-path="content.opf" media-type="application/oebps-package+xml"/>'
                   '</rootfiles></container>')
        z.writestr("content.opf", '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" '
                   'version="3.0" unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
                   '<dc:identifier id="id">x</dc:identifier><dc:title>Hostile book</dc:title>'
                   '<dc:language>en</dc:language></metadata><manifest><item id="c" href="c.xhtml" '
                   'media-type="application/xhtml+xml"/></manifest><spine><itemref idref="c"/></spine></package>')
        z.writestr("c.xhtml", xhtml)
    return buf.getvalue()


@pytest.mark.parametrize("name", ["page.html", "book.epub"])
def test_hostile_html_and_epub_sources(tmp_path, server, name):
    src = tmp_path / "source"
    src.mkdir()
    page = HOSTILE_HTML.format(host=server)
    if name.endswith(".epub"):
        xhtml = page.replace("<!DOCTYPE html>\n<html>", '<?xml version="1.0" encoding="utf-8"?>\n'
                             '<html xmlns="http://www.w3.org/1999/xhtml">')
        xhtml = xhtml.replace('<input name="q">', '<input name="q"/>').replace('alt="a picture">', 'alt="a picture"/>')
        xhtml = xhtml.replace('<link rel="stylesheet" href="http://%s/page.css">' % server,
                              '<link rel="stylesheet" href="http://%s/page.css"/>' % server)
        (src / name).write_bytes(_epub_with(xhtml))
    else:
        (src / name).write_text(page)
    out = tmp_path / "out"
    proc = run_pipeline("build", "--source-dir", src, "-o", out, check=False)
    assert proc.returncode == 0, proc.stderr
    slug = name.split(".")[0]
    texts = edition_texts(out / slug)
    assert any("Last paragraph of the page stays" in t for t in texts.values())
    for edition, text in texts.items():
        text = re.sub(r'<script type="application/ld\+json">([^<]*)</script>',
                      lambda m: json.loads(m.group(1)) and "", text)
        for bad in ["<script", "onmouseover", "<iframe", "<form", "<input", "javascript:", "steal()"]:
            assert bad not in text, f"{bad!r} reached {edition}"
    assert Recorder.requests == [], f"the build fetched {Recorder.requests}"


def test_entities_in_epub_source_refused(tmp_path):
    src = tmp_path / "source"
    src.mkdir()
    (src / "xxe.epub").write_bytes(_epub_with(EXTERNAL))
    proc = run_pipeline("build", "--source-dir", src, "-o", tmp_path / "out", "--formats", "html",
                        check=False)
    assert proc.returncode == 1 and "xxe.epub:1: error[E-XML-ENTITY]" in proc.stderr, proc.stderr
