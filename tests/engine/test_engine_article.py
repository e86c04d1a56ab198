from __future__ import annotations

from bot.engine import load_article
from bot.engine.article import parse_article, split_sentences


def _sents(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


def test_splitter_hard_cases():
    text = ("“Of course the president did give up a great deal,” Rep. Adam Schiff (D-CA) said on Face the Nation. "
            "The U.S. fault was not clear. It was part of the Six Party Talks of the George W. Bush era. "
            "He said, “We fell in love.” Then he left.")
    assert _sents(text) == [
        "“Of course the president did give up a great deal,” Rep. Adam Schiff (D-CA) said on Face the Nation.",
        "The U.S. fault was not clear.",
        "It was part of the Six Party Talks of the George W. Bush era.",
        "He said, “We fell in love.”",
        "Then he left.",
    ]


def test_seed_article_structure(article):
    assert article.title.startswith("The Trump/Kim Bromance")
    assert article.author == "John Feffer"
    assert len(article.paragraphs) == 43
    assert article.paragraphs[0].text == article.title
    assert article.paragraphs[10].text == "The Real Story"
    assert article.is_heading(10) and not article.is_heading(11)
    for s in article.sentences:
        assert article.text[s.start:s.end] == s.text
        assert article.paragraphs[s.paragraph].start <= s.start < article.paragraphs[s.paragraph].end
    p27 = [s.text for s in article.sentences if s.paragraph == 27]
    assert len(p27) == 2 and p27[0].endswith("Rep. Adam Schiff (D-CA) said on Face the Nation.")
    p7 = [s.text for s in article.sentences if s.paragraph == 7]
    assert p7[-1].endswith("George W. Bush era.")


def test_markdown_and_html(tmp_path):
    md = tmp_path / "a.md"
    md.write_text("---\nauthor: Jane Roe\n---\n# A Title\n\nFirst **bold** para. The U.S. is [here](http://x).\n\n## Part\n\nLast one.\n")
    a = load_article(md)
    assert a.title == "A Title" and a.author == "Jane Roe"
    assert [p.text for p in a.paragraphs] == ["A Title", "First bold para. The U.S. is here.", "Part", "Last one."]
    assert [s.text for s in a.sentences if s.paragraph == 1] == ["First bold para.", "The U.S. is here."]
    h = parse_article("<html><head><title>T</title><meta name='author' content='Ann B'></head><body>"
                      "<h1>T</h1><p>One &amp; two. Three.</p><script>x()</script><p>Four.</p></body></html>")
    assert h.title == "T" and h.author == "Ann B"
    assert [p.text for p in h.paragraphs] == ["T", "One & two. Three.", "Four."]
