"""Issue 18, part 3: the catalog (index.html, opds.xml, SHA256SUMS) reads again only the
texts whose files changed since it was last written, and gives the same bytes as when it
reads every text."""
from __future__ import annotations

import hashlib
import shutil

import pytest

from conftest import SPEECH_SLUG
from pipeline import catalog
from pipeline.build import write_atomic

CATALOG = ("index.html", "opds.xml", "SHA256SUMS")


@pytest.fixture
def out(speech_build, tmp_path):
    """output/ with the speech and a second text (a copy of it under another slug)."""
    out = tmp_path / "out"
    shutil.copytree(speech_build, out / SPEECH_SLUG)
    shutil.copytree(speech_build, out / "copy")
    for f in list((out / "copy").rglob(f"{SPEECH_SLUG}*")):
        f.rename(f.with_name(f.name.replace(SPEECH_SLUG, "copy")))
    return out


def _catalog(out) -> dict[str, bytes]:
    return {n: (out / n).read_bytes() for n in CATALOG}


def _reads(monkeypatch) -> list[str]:
    seen: list[str] = []
    read = catalog.read_entry
    monkeypatch.setattr(catalog, "read_entry", lambda out, slug: seen.append(slug) or read(out, slug))
    return seen


def test_unchanged_texts_are_not_read_again(out, monkeypatch):
    slugs = [SPEECH_SLUG, "copy"]
    catalog.write_catalog(out, slugs)
    first = _catalog(out)
    reads = _reads(monkeypatch)
    catalog.write_catalog(out, slugs)
    assert reads == [] and _catalog(out) == first
    # The same bytes as a catalog that reads every text.
    shutil.rmtree(out / catalog.RECORDS)
    catalog.write_catalog(out, slugs)
    assert reads == sorted(slugs) and _catalog(out) == first


def test_a_rebuilt_edition_is_read_again(out, monkeypatch):
    slugs = [SPEECH_SLUG, "copy"]
    catalog.write_catalog(out, slugs)
    reads = _reads(monkeypatch)
    md = out / "copy" / "copy.md"
    text = md.read_text().replace("title: ", "title: Another ", 1)
    write_atomic(md, text.encode())                 # as the build writes an edition
    catalog.write_catalog(out, slugs)
    assert reads == ["copy"]
    digest = hashlib.sha256(text.encode()).hexdigest()
    assert f"{digest}  copy/copy.md\n" in (out / "SHA256SUMS").read_text()
    assert b"Another " in (out / "index.html").read_bytes()
    assert b"Another " in (out / "opds.xml").read_bytes()


@pytest.mark.parametrize("damage", [b"", b'{"stamp": [', b"[]", b'{"stamp": 1}'])
def test_a_damaged_record_is_read_again(out, monkeypatch, damage):
    catalog.write_catalog(out, ["copy"])
    first = _catalog(out)
    (out / catalog.RECORDS / "copy.json").write_bytes(damage)
    reads = _reads(monkeypatch)
    catalog.write_catalog(out, ["copy"])
    assert reads == ["copy"] and _catalog(out) == first


def test_records_of_texts_no_longer_listed_go(out):
    catalog.write_catalog(out, [SPEECH_SLUG, "copy"])
    catalog.write_catalog(out, ["copy"])
    assert sorted(p.name for p in (out / catalog.RECORDS).iterdir()) == ["copy.json"]
    assert SPEECH_SLUG not in (out / "SHA256SUMS").read_text()


def test_a_new_label_is_not_read_from_an_old_record(out, monkeypatch):
    catalog.write_catalog(out, ["copy"])
    labels = [(kind, pattern, "Relabelled " + label, media, folder)
              for kind, pattern, label, media, folder in catalog.editions()]
    monkeypatch.setattr(catalog, "editions", lambda: labels)
    reads = _reads(monkeypatch)
    catalog.write_catalog(out, ["copy"])
    assert reads == ["copy"] and b"Relabelled " in (out / "index.html").read_bytes()
