from __future__ import annotations

from rag.extract import extract

HTML = """<html><head><title>T</title><link rel="canonical" href="/canon.html"></head><body>
<div class="sphinxsidebar">sidebar junk</div>
<div role="main">
<section id="intro"><span id="label"></span><h1>Intro<a class="headerlink" href="#intro">¶</a></h1>
<p>First <code>para</code>graph with <em>inline</em> markup.</p>
<section id="usage"><h2>Usage</h2><p>Call <a href="f.html">f()</a>.</p>
<pre>x = 1
y = 2</pre>
<dl><dt id="mod.func">mod.func(a)</dt><dd><p>Does things.</p></dd></dl>
</section>
<h3 id="tail">Tail</h3><ul><li>one</li><li><p>two</p></li></ul>
</section></div>
<script>var x = "script text";</script>
<a href="https://other.example/page.html">out</a> <a href="#frag">frag</a> <a rel="nofollow" href="n.html">n</a>
</body></html>"""


def test_sections_anchors_and_main_content_only() -> None:
    page = extract(HTML, "http://h/docs/page.html")
    assert page.title == "Intro"
    assert [(s.heading, s.anchor, s.level) for s in page.sections] == [
        ("Intro", "intro", 1),
        ("Usage", "usage", 2),
        ("Tail", "tail", 3),
    ]
    intro, usage, tail = page.sections
    assert intro.text == "First paragraph with inline markup."
    assert "x = 1\ny = 2" in usage.text  # code keeps its line breaks
    assert "mod.func(a)" in usage.text and "Does things." in usage.text
    assert tail.text == "one\n\ntwo"
    everything = " ".join(s.text for s in page.sections)
    assert "sidebar junk" not in everything and "script text" not in everything and "¶" not in everything


def test_links_are_absolute_and_filtered() -> None:
    page = extract(HTML, "http://h/docs/page.html")
    assert "http://h/docs/f.html" in page.links
    assert "https://other.example/page.html" in page.links  # scope is the crawler's job
    assert not any(link.endswith("n.html") for link in page.links)  # rel=nofollow
    assert not any("#frag" in link for link in page.links)
    assert page.canonical == "http://h/canon.html"


def test_meta_robots_noindex() -> None:
    page = extract(
        '<html><head><meta name="robots" content="noindex, nofollow"></head><body>x</body></html>', "u"
    )
    assert page.noindex and page.nofollow
