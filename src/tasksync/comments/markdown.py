"""Comment bodies: Markdown source in, safe HTML out, with the mentions of room members.

markdown-it renders with raw HTML turned off (a `<script>` someone types stays text), then nh3
(ammonia) keeps only an allow-list of tags, attributes and URL schemes, and gives every link
`rel="nofollow noopener"`. The sanitiser is the line of defence; markdown-it's own refusal of
`javascript:` links is the first of two.

`@username` becomes a link when `members` (username, lower-cased -> user id) holds the name;
the ids of the people it links are collected as it renders.
"""

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

# Names a mention may hold (the usernames' alphabet); the longest member's name wins.
_NAME = re.compile(r"[A-Za-z0-9_.-]{3,40}")
# Every @name in a body, for looking the names up before rendering (a superset of mentions).
_CANDIDATE = re.compile(r"(?<![A-Za-z0-9_.\-@/])@([A-Za-z0-9_.-]{3,40})")
MAX_MENTIONS = 20

TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "img",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener"


@dataclass(frozen=True, slots=True)
class Rendered:
    html: str
    mentioned: list[UUID]


def mention_candidates(body: str) -> list[str]:
    """The names after an `@` in a body (and their forms without trailing dots or dashes),
    lower-cased, at most `MAX_MENTIONS` of them."""
    names: dict[str, None] = {}
    for match in _CANDIDATE.finditer(body):
        name = match.group(1).lower()
        for form in (name, name.rstrip(".-")):
            if len(form) >= 3:
                names[form] = None
    return list(names)[: MAX_MENTIONS * 2]


def _member_name(name: str, members: Mapping[str, UUID]) -> str | None:
    """The longest start of `name` that is a member's username (a sentence may end right
    after a mention: `thanks @ana.`)."""
    for end in range(len(name), 2, -1):
        if name[:end].lower() in members:
            return name[:end]
    return None


def _mention(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    if src[pos] != "@" or state.linkLevel > 0:
        return False
    if pos > 0 and (src[pos - 1].isalnum() or src[pos - 1] in "_.-@/"):
        return False
    match = _NAME.match(src, pos + 1)
    members: Mapping[str, UUID] = state.env.get("members", {})
    name = _member_name(match.group(0), members) if match else None
    if name is None:
        return False
    if not silent:
        token = state.push("mention", "", 0)
        token.meta = {"username": name, "user_id": members[name.lower()]}
    state.pos += 1 + len(name)
    return True


def _render_mention(self: Any, tokens: Any, idx: int, options: Any, env: dict) -> str:
    meta = tokens[idx].meta
    mentioned: dict[UUID, None] = env.setdefault("mentioned", {})
    if len(mentioned) < MAX_MENTIONS or meta["user_id"] in mentioned:
        mentioned[meta["user_id"]] = None
    return f'<a href="/users/{meta["user_id"]}">@{html.escape(meta["username"])}</a>'


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["strikethrough", "table"])
    md.inline.ruler.before("emphasis", "mention", _mention)
    md.add_render_rule("mention", _render_mention)
    return md


_MARKDOWN = _parser()


def sanitise(raw_html: str) -> str:
    return nh3.clean(
        raw_html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render(body: str, members: Mapping[str, UUID]) -> Rendered:
    """A body as safe HTML, with the mentions of `members` linked."""
    env: dict[str, Any] = {"members": members}
    raw = _MARKDOWN.render(body, env)
    return Rendered(html=sanitise(raw), mentioned=list(env.get("mentioned", {})))
