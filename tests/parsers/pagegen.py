"""Random article pages for differential tests of the two extraction paths.

Each page has the markup an outlet profile looks for (title, body, byline, dates, canonical
link) with random content around and inside it, and, at a random level of "chaos", what
tends to separate two implementations: class lists split by no-break spaces or form feeds,
``rel=Canonical``, CR in values, URLs needing escapes, raw-text elements, comments,
processing instructions, CDATA, templates, unclosed and misplaced tags, empty ``<li>``,
brace-named attributes, pages without ``<head>``, BOMs and XML declarations.
"""

from __future__ import annotations

import random

from parsers.profile import SiteProfile

SEPARATORS = [" ", "\t", "\n", "&#13;", "\xa0", "&nbsp;", "\x0c", "&#12;", "\u2003", "\u3000"]
TAGS = [
    *("div", "div", "p", "p", "span", "a", "li", "ul", "ol"),
    *("h1", "h2", "h3", "h4", "article", "section", "time", "figure", "figcaption"),
    *("script", "style", "iframe", "xmp", "noembed", "noframes", "template", "table", "tr"),
    *("td", "br", "b", "em", "pre", "textarea", "form", "nav", "aside"),
    *("meta", "link", "noscript", "select", "option", "button", "img", "header", "footer"),
    *("strong", "blockquote", "dd", "dt", "hr", "title"),
]
PLAIN_TAGS = [
    *("div", "p", "span", "a", "b", "em", "ul", "li", "h2"),
    *("figure", "blockquote", "section", "time"),
]
WORDS = [
    *("Hello", "world", "&amp;", "&lt;b&gt;", "&nbsp;", "x&#13;y", "ü", "\u2003", "a&b", "&"),
    *("<!-- c -->", "<?pi x?>", "<![CDATA[cd]]>", "<", ">", "&foo;", "\xa0"),
    *("Please direct any comments or questions", "Read more:", "Edited by", "(END)"),
    *("Subscribe to 38 North", "By John and Jane", "Source:", "2024-05-01"),
    "March 4, 2025 10:20",
]
PLAIN_WORDS = ["Plain", "text", "here", "&amp;", "more words", "Read more:", "By Ann and Bo"]
HEAD = [
    "<meta property='og:title' content='Meta title'>",
    "<meta property='og:title' content='A&#13;B'>",
    "<link rel=canonical href=' /c d/ü#x'>",
    "<link rel='Canonical' href='/C'>",
    "<meta property=og:url content='/og\r/url'>",
    "<meta property='article:published_time' content='2024-01-02T03:04:05Z'>",
    "<meta name=author content='Ann Lee and Bo Kim'>",
    "<title>t</title>",
    "<script>var a = {b:1}</script>",
    "<style>a{b:c}</style>",
    "<meta itemprop=datePublished content='x'>",
]
PREFIXES = [
    *("", "<!DOCTYPE html>", "\ufeff", "\ufeff\ufeff", "<!-- x -->", "  "),
    *('<?xml version="1.0" encoding="utf-8"?>', '<?xml version="1.0"?>'),
]


class PageGenerator:
    """Pages for ``profiles`` drawn from ``rng``; ``page()`` returns (profile, html)."""

    def __init__(self, rng: random.Random, profiles: list[SiteProfile]) -> None:
        self.rng = rng
        self.profiles = profiles
        self.classes = sorted(
            {
                part.split("[")[0]
                for profile in profiles
                for group in (
                    profile.title,
                    profile.body,
                    profile.authors,
                    profile.published,
                    profile.drop,
                    profile.paywall,
                )
                for selector in group
                for compound in selector.replace(">", " ").split()
                for part in compound.split(".")[1:]
            }
            | {"x", "wp-caption", "sharedaddy"}
        )
        self.chaos = 0.0

    def page(self) -> tuple[SiteProfile, str]:
        rng = self.rng
        self.chaos = rng.choice([0.0, 0.02, 0.1, 0.3])
        profile = rng.choice(self.profiles)
        head = "".join(rng.choice(HEAD) for _ in range(rng.randint(0, 5)))
        body = []
        if rng.random() < 0.9:
            body.append(self.around(rng.choice(profile.title), self.node(3) + " Title words"))
        body += [self.node(2) for _ in range(rng.randint(0, 3))]
        if rng.random() < 0.9:
            content = "".join(self.node(2) for _ in range(rng.randint(1, 6)))
            content += "".join(f"<p>{self.node(4)}</p>" for _ in range(rng.randint(0, 4)))
            body.append(self.around(rng.choice(profile.body), content))
        body += [self.node(2) for _ in range(rng.randint(0, 3))]
        prefix = rng.choice(PREFIXES) if rng.random() < self.chaos * 2 else ""
        root_attributes = self.attributes() if rng.random() < 0.2 else ""
        html = (
            f"{prefix}<html{root_attributes}><head>{head}</head>"
            f"<body{self.attributes()}>{''.join(body)}</body></html>"
        )
        if rng.random() < 0.1:
            html = html.replace("<head>", "").replace("</head>", "")
        elif rng.random() < 0.1:  # no <head> at all: metadata lives in the body
            html = f"{prefix}<div>lead</div>{head}{''.join(body)}"
        if rng.random() < 0.02:
            html = html.replace("<body>", "<body>" + "<div>" * 300 + "deep", 1)
        return profile, html

    def around(self, selector: str, inner: str) -> str:
        """``inner`` wrapped in elements that ``selector`` (roughly) matches."""
        out = inner
        for part in reversed(selector.replace(">", " ").split()):
            bits = part.split("[")[0].split(".")
            tag = bits[0] or self.rng.choice(["div", "section", "article"])
            classes = " ".join(bits[1:])
            class_attribute = f' class="{classes}"' if classes else ""
            out = f"<{tag}{class_attribute}{self.attributes()}>{out}</{tag}>"
        return out

    def node(self, depth: int) -> str:
        rng = self.rng
        if depth > 6 or rng.random() < 0.3:
            words = WORDS if rng.random() < self.chaos else PLAIN_WORDS
            return " ".join(rng.choice(words) for _ in range(rng.randint(0, 4)))
        tag = rng.choice(TAGS) if rng.random() < self.chaos * 2 else rng.choice(PLAIN_TAGS)
        inner = "".join(self.node(depth + 1) for _ in range(rng.randint(0, 4)))
        if tag == "li" and not inner.strip() and rng.random() > self.chaos:
            inner = "item"
        close = f"</{tag}>" if rng.random() > self.chaos / 2 else ""
        tail = rng.choice(WORDS) if rng.random() < 0.4 else ""
        return f"<{tag}{self.attributes()}>{inner}{close}{tail}"

    def attributes(self) -> str:
        rng = self.rng
        if rng.random() > self.chaos * 2 + 0.2:
            return ""
        out = []
        for _ in range(rng.choice([1, 1, 2, 3])):
            if rng.random() < 0.01:
                out.append(" {x}class='entry-content'")
                continue
            name = rng.choice(
                [
                    *("class", "class", "class", "rel", "id", "datetime", "content", "href"),
                    *("data-paywall", "property", "name", "itemprop", "data-published-time"),
                    *("selected", "src"),
                ]
            )
            value = self.value(name)
            if rng.random() < 0.05:
                out.append(f" {name}")
            elif "'" in value:
                out.append(f' {name}="{value}"')
            else:
                out.append(f" {name}='{value}'")
        return "".join(out)

    def value(self, name: str) -> str:
        rng = self.rng
        if name == "class":
            separators = SEPARATORS if rng.random() < self.chaos else [" "]
            value = rng.choice(separators).join(
                rng.choice(self.classes) for _ in range(rng.randint(1, 3))
            )
            if rng.random() < 0.2:
                value = rng.choice(separators) + value + rng.choice(separators)
            return value
        choices = {
            "rel": ["author", "canonical", "Canonical", "AUTHOR", "x author", "x\xa0canonical"],
            "property": ["og:title", "og:url", "article:published_time", "og:title\r", "OG:URL"],
            "name": ["author", "pubdate", "date", "x y", "ü"],
            "itemprop": ["datePublished"],
            "datetime": ["2024-05-01T09:00:00+09:00", "2024-05-01", "", " 2023-01-02 "],
            "data-published-time": ["2024-05-01T09:00:00+09:00", "&#13;2022-03-04", ""],
            "content": ["Meta Title", "A&#13;B", " Jane Roe, John Doe ", "2024-06-01T00:00:00Z"],
            "href": ["/a b/ü", " /x", "https://ex.org/canon", "&#13;/y", "h://[", "", "\t/z"],
            "src": ["/a b/ü", " /x"],
        }
        return rng.choice(choices.get(name, ["", "1", "selected", "Foo"]))
