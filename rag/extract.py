"""Turn an HTML page into the parts of a :class:`rag.types.Document`: title, sections, links.

It lives with the document model (not in the crawler) because everything that
builds documents from HTML uses it: the crawler for fetched pages, the tutor's
evaluation corpus and the benchmarks for local docs files. One extractor keeps
their sections and deep links identical to what the production crawl indexes.

Only the main content is kept (Sphinx ``div[role=main]``, else ``<main>``,
``<article>``, ``<body>``), so navigation bars and footers repeated on every page
do not pollute every chunk. The page is split into sections at headings; each
section keeps an anchor (the heading's own id, or its enclosing ``<section>``'s)
so search results deep-link to the exact part of the page. Code in ``<pre>``
keeps its line breaks. Links are read from the whole page (navigation included),
because that is how the crawler discovers pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from bs4 import BeautifulSoup, NavigableString, Tag

from rag.types import Section

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
CONTAINERS = {
    "div", "section", "article", "main", "ul", "ol", "dl", "table", "thead", "tbody", "tfoot", "tr",
    "blockquote", "figure", "aside", "details", "form", "fieldset", "center",
}  # fmt: skip
LEAVES = {"p", "li", "dt", "dd", "td", "th", "caption", "figcaption", "summary", "address", "label"}
DROP = {
    "script",
    "style",
    "nav",
    "footer",
    "header",
    "noscript",
    "svg",
    "iframe",
    "button",
    "form",
    "template",
}
DROP_CLASSES = ("headerlink", "sphinxsidebar", "related", "breadcrumbs", "footer", "navigation", "copybutton")
_WS = re.compile(r"[ \t\r\f\v\n]+")


@dataclass(slots=True)
class ExtractedPage:
    title: str
    sections: list[Section]
    links: list[str] = field(default_factory=list)
    canonical: str | None = None
    noindex: bool = False
    nofollow: bool = False


def _norm(text: str) -> str:
    return _WS.sub(" ", text).strip()


def _has_block(el: Tag) -> bool:
    return el.find(list(HEADINGS | CONTAINERS | LEAVES | {"pre"})) is not None


class _Walker:
    def __init__(self, title: str) -> None:
        self.sections: list[Section] = [Section(heading=title, text="", anchor=None, level=1)]
        self.blocks: list[list[str]] = [[]]
        self.inline: list[str] = []

    def flush(self) -> None:
        text = _norm("".join(self.inline))
        if text:
            self.blocks[-1].append(text)
        self.inline = []

    def heading(self, el: Tag) -> None:
        self.flush()
        anchor = el.get("id")
        parent = el.parent
        if not anchor and isinstance(parent, Tag) and parent.get("id"):
            # Sphinx: <section id="x"><span id="label"></span><h2>..; the section's first heading owns its id
            if parent.find(list(HEADINGS)) is el:
                anchor = parent.get("id")
        self.sections.append(
            Section(heading=_norm(el.get_text(" ")), text="", anchor=anchor or None, level=int(el.name[1]))
        )
        self.blocks.append([])

    def walk(self, el: Tag) -> None:
        for child in el.children:
            if isinstance(child, NavigableString):
                if type(child) is NavigableString:  # skip comments/doctype/CDATA
                    self.inline.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            if name in HEADINGS:
                self.heading(child)
            elif name == "pre":
                self.flush()
                code = child.get_text("").strip("\n")
                if code.strip():
                    self.blocks[-1].append(code)
            elif name in CONTAINERS or (name in LEAVES and _has_block(child)):
                self.flush()
                self.walk(child)
                self.flush()
            elif name in LEAVES:
                self.flush()
                text = _norm(child.get_text(""))
                if text:
                    self.blocks[-1].append(text)
            elif name == "br":
                self.inline.append(" ")
            elif _has_block(child):
                self.flush()
                self.walk(child)
                self.flush()
            else:
                self.inline.append(child.get_text(""))

    def result(self) -> list[Section]:
        self.flush()
        out = []
        for section, blocks in zip(self.sections, self.blocks, strict=True):
            section.text = "\n\n".join(blocks)
            if section.text:
                out.append(section)
        return out


def extract(html: str | bytes, url: str) -> ExtractedPage:
    """Parse one page. ``url`` resolves relative links; fragments are kept for the caller to drop."""
    soup = BeautifulSoup(html, "lxml")
    robots = soup.find("meta", attrs={"name": re.compile("^robots$", re.I)})
    directives = (robots.get("content") or "").lower() if isinstance(robots, Tag) else ""
    links: list[str] = []
    base = soup.find("base", href=True)
    base_url = urljoin(url, base["href"]) if isinstance(base, Tag) else url
    for a in soup.find_all("a", href=True):
        rel = a.get("rel") or []
        if "nofollow" in rel:
            continue
        href = a["href"].strip()
        if href and not href.startswith(("mailto:", "javascript:", "tel:", "#")):
            links.append(urljoin(base_url, href))
    canonical_tag = soup.find("link", rel="canonical", href=True)
    canonical = urljoin(url, canonical_tag["href"]) if isinstance(canonical_tag, Tag) else None

    main = (
        soup.select_one('div[role="main"]') or soup.find("main") or soup.find("article") or soup.body or soup
    )
    for el in main.find_all(list(DROP)):
        el.decompose()
    for el in main.find_all(class_=list(DROP_CLASSES)):
        el.decompose()
    h1 = main.find("h1")
    title_tag = soup.find("title")
    title = _norm(h1.get_text(" ")) if h1 else (_norm(title_tag.get_text(" ")) if title_tag else url)
    walker = _Walker(title)
    walker.walk(main)
    sections = walker.result()
    # The h1 starts a section of its own; the empty pre-h1 preamble section is dropped by result().
    return ExtractedPage(
        title=title,
        sections=sections,
        links=links,
        canonical=canonical,
        noindex="noindex" in directives,
        nofollow="nofollow" in directives,
    )
