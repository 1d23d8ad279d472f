"""The e-mail templates: an HTML part rendered with autoescaping (a task title or a
username can never become markup or a link) and a plain-text part. Everything a person
wrote reaches the HTML part escaped; links are built by us from ids, never from text."""

from typing import Any

from jinja2 import DictLoader, Environment, StrictUndefined, select_autoescape

_LAYOUT = """<!doctype html>
<html><body style="font-family: sans-serif; color: #222">
{% block body %}{% endblock %}
<p style="color: #777; font-size: 12px">{{ product }} &middot;
<a href="{{ settings_url }}">notification settings</a></p>
</body></html>"""

_SOURCES = {
    "layout.html": _LAYOUT,
    "notification.html": """{% extends "layout.html" %}{% block body %}
<p>{{ text }}</p>
{% if link %}<p><a href="{{ link }}">Open it in {{ product }}</a></p>{% endif %}
{% endblock %}""",
    "notification.txt": """{{ text }}
{% if link %}
Open it in {{ product }}: {{ link }}
{% endif %}
--
{{ product }} - notification settings: {{ settings_url }}
""",
    "digest.html": """{% extends "layout.html" %}{% block body %}
<p>What happened since your last {{ product }} digest:</p>
<ul>{% for item in items %}
<li>{{ item.text }}{% if item.link %} (<a href="{{ item.link }}">open</a>){% endif %}</li>
{% endfor %}</ul>
{% endblock %}""",
    "digest.txt": """What happened since your last {{ product }} digest:
{% for item in items %}
- {{ item.text }}{% if item.link %}
  {{ item.link }}{% endif %}
{% endfor %}
--
{{ product }} - notification settings: {{ settings_url }}
""",
    "account.html": """{% extends "layout.html" %}{% block body %}
<p>{{ intro }}</p>
<p><a href="{{ link }}">{{ action }}</a></p>
<p>{{ outro }}</p>
{% endblock %}""",
    "account.txt": """{{ intro }}

{{ action }}: {{ link }}

{{ outro }}
--
{{ product }}
""",
}

_html = Environment(
    loader=DictLoader(_SOURCES),
    autoescape=select_autoescape(enabled_extensions=("html",), default=False),
    undefined=StrictUndefined,
)
# Plain text is not HTML: nothing to escape, but nothing may be missing either.
_text = Environment(loader=DictLoader(_SOURCES), autoescape=False, undefined=StrictUndefined)


def render(name: str, **values: Any) -> tuple[str, str]:
    """(plain text, HTML) of the template `name`."""
    text = _text.get_template(f"{name}.txt").render(**values)
    html = _html.get_template(f"{name}.html").render(**values)
    return text, html
