"""The Swagger UI and ReDoc pages, each with a Content-Security-Policy of its own.

Their scripts and styles come from a CDN at pinned versions with Subresource Integrity: a
changed file is refused by the browser. The pages' own inline scripts are allowed by their
hashes, computed here from the very text sent. To move to another version, change it below and
put the new files' `sha384` (`openssl dgst -sha384 -binary FILE | base64`) beside it.
"""

import base64
import hashlib
import re
from dataclasses import dataclass

from fastapi.openapi.docs import get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

CDN = "https://cdn.jsdelivr.net/npm"


@dataclass(frozen=True)
class Asset:
    url: str
    integrity: str


SWAGGER_JS = Asset(
    f"{CDN}/swagger-ui-dist@5.35.0/swagger-ui-bundle.js",
    "sha384-gjRm0bEPMeTmMh5jT2cHccIwCUZSTd8YC+j0d0sXw0MdGEfScduGpSyF3ZSSLkX9",
)
SWAGGER_CSS = Asset(
    f"{CDN}/swagger-ui-dist@5.35.0/swagger-ui.css",
    "sha384-WlYgdmXYOOBWL5apwjDEZwN+U3HmXSSu5R6V5aGxEcf7z+KuRNwBhoxKVN1i3D5I",
)
REDOC_JS = Asset(
    f"{CDN}/redoc@2.5.4/bundles/redoc.standalone.js",
    "sha384-w447zOpYfw/1Tv/5AK9NfHTlQIqE3RVR6KY62jCyy9zNDgO64cMwGGP1Fj0zJVf5",
)
# What every page's policy holds besides its scripts and styles: it talks only to its own
# origin (the API), shows images from there or inline, and cannot be framed.
COMMON_POLICY = (
    "default-src 'none'; connect-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def _script_hashes(html: str) -> str:
    scripts = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    return " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in scripts
    )


@dataclass(frozen=True)
class Page:
    html: str
    policy: str

    @classmethod
    def build(cls, html: str, *, scripts: str = "", styles: str = "", more: str = "") -> "Page":
        script_src = " ".join(filter(None, (scripts, _script_hashes(html)))) or "'none'"
        style_src = styles or "'none'"
        policy = f"{COMMON_POLICY}; script-src {script_src}; style-src {style_src}{more}"
        return cls(html, policy)

    def response(self) -> HTMLResponse:
        return HTMLResponse(self.html, headers={"Content-Security-Policy": self.policy})


def swagger_ui(*, openapi_url: str, oauth2_redirect_url: str, title: str) -> Page:
    config = (
        f'const ui = SwaggerUIBundle({{url: "{openapi_url}", dom_id: "#swagger-ui", '
        'layout: "BaseLayout", deepLinking: true, showExtensions: true, '
        "showCommonExtensions: true, persistAuthorization: true, validatorUrl: null, "
        f'oauth2RedirectUrl: window.location.origin + "{oauth2_redirect_url}", '
        "presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]});"
    )
    html = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="{SWAGGER_CSS.url}" integrity="{SWAGGER_CSS.integrity}"
 crossorigin="anonymous">
<title>{title}</title>
</head>
<body>
<div id="swagger-ui"></div>
<script src="{SWAGGER_JS.url}" integrity="{SWAGGER_JS.integrity}" crossorigin="anonymous">
</script>
<script>{config}</script>
</body>
</html>
"""
    # Swagger UI sets style attributes as it renders: inline styles must be allowed.
    return Page.build(html, scripts=SWAGGER_JS.url, styles=f"{SWAGGER_CSS.url} 'unsafe-inline'")


def redoc(*, openapi_url: str, title: str) -> Page:
    html = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
</head>
<body>
<redoc spec-url="{openapi_url}"></redoc>
<script src="{REDOC_JS.url}" integrity="{REDOC_JS.integrity}" crossorigin="anonymous">
</script>
</body>
</html>
"""
    # ReDoc injects its styles as it renders, and runs its search in a worker made from a blob.
    return Page.build(
        html, scripts=REDOC_JS.url, styles="'unsafe-inline'", more="; worker-src blob:"
    )


def oauth2_redirect() -> Page:
    return Page.build(get_swagger_ui_oauth2_redirect_html().body.decode())
