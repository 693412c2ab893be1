"""A real OpenID Connect provider for the single sign-on tests, and the app configured for it.

The provider is panva's oidc-provider (tests/sso/provider/, installed by `npm ci --prefix
tests/sso/provider`, which .ci/run does), started once per test session on a free loopback
port. Without node or the package the tests that need it are skipped, unless
REQUIRE_OIDC_PROVIDER=1 (CI), where that is a failure.

The app is configured the way a deployment is: OIDC_* variables read by `env_sso()`.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from config.sso import conf
from config.sso.backend import BACKEND

PROVIDER_DIR = Path(__file__).parent / "provider"
START_TIMEOUT = 30  # seconds for node to answer; the machine may be busy
REQUEST_TIMEOUT = 15  # seconds, every HTTP request a test makes
CLIENT_ID = "tracker"
CLIENT_SECRET = "tracker-secret"


def _provider_missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        return f"oidc-provider is not installed: npm ci --prefix {PROVIDER_DIR}"
    return None


@dataclass
class Provider:
    issuer: str
    state_file: Path
    redirect_uri: str
    post_logout_uri: str

    def write(self, **state) -> None:
        """Accounts, clock and token tampering, read by the provider on its next request."""
        full = {
            "redirectUris": [self.redirect_uri],
            "postLogoutRedirectUris": [self.post_logout_uri],
            "accounts": {},
            "clockOffsetSeconds": 0,
            "idTokenClaimsOverride": None,
            **state,
        }
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(full))
        temporary.replace(self.state_file)  # the provider never reads half a file

    def account(self, sub: str, **claims) -> None:
        self.write(accounts={sub: claims})


@pytest.fixture(scope="session")
def oidc_provider(live_server, tmp_path_factory):
    missing = _provider_missing()
    if missing:
        if os.environ.get("REQUIRE_OIDC_PROVIDER") == "1":
            pytest.fail(missing)
        pytest.skip(missing)
    folder = tmp_path_factory.mktemp("oidc-provider")
    provider = Provider(
        issuer="",
        state_file=folder / "state.json",
        redirect_uri=f"{live_server.url}/oidc/callback/",
        post_logout_uri=f"{live_server.url}/accounts/login/",
    )
    provider.write()
    log = (folder / "provider.log").open("w")
    process = subprocess.Popen(
        ["node", "server.js", str(provider.state_file)],
        cwd=PROVIDER_DIR,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
        line = process.stdout.readline() if ready else ""
        if not line:
            pytest.fail(
                f"the OIDC provider did not start in {START_TIMEOUT}s: "
                f"{(folder / 'provider.log').read_text()[-2000:]}"
            )
        provider.issuer = json.loads(line)["issuer"]
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


@pytest.fixture
def sso_environment(monkeypatch, settings):
    """sso_environment(OIDC_ISSUER=..., ...) configures the app as these variables would at
    start-up (config/settings.py)."""

    def configure(**variables: str) -> conf.SSOConfig:
        for name in list(os.environ):
            if name.startswith("OIDC_") or name == "LOCAL_LOGIN":
                monkeypatch.delenv(name)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        sso = conf.env_sso()
        settings.SSO = sso
        settings.LOCAL_LOGIN = conf.env_local_login(sso)
        backends = [b for b in settings.AUTHENTICATION_BACKENDS if b != BACKEND]
        settings.AUTHENTICATION_BACKENDS = [*backends, BACKEND] if sso else backends
        return sso

    yield configure
    conf._discovered.clear()


def app_environment(provider: Provider, **extra: str) -> dict[str, str]:
    """The variables a deployment would set for this provider, facilitators and responders
    mapped."""
    return {
        "OIDC_ISSUER": provider.issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_PROVIDER_NAME": "Test SSO",
        "OIDC_SCOPES": "openid email profile groups",
        "OIDC_FACILITATOR_GROUPS": "incident-facilitators",
        "OIDC_RESPONDER_GROUPS": "oncall,sre",
        **extra,
    }


@pytest.fixture
def oidc(oidc_provider, sso_environment):
    """The provider, with no account yet, and the app configured for it."""
    oidc_provider.write()
    sso_environment(**app_environment(oidc_provider))
    return oidc_provider


class _Forms(HTMLParser):
    """The forms of a page: action and the inputs' names and values."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append((attributes.get("action") or "", {}))
        elif tag in {"input", "button"} and self.forms and attributes.get("name"):
            self.forms[-1][1].setdefault(attributes["name"], attributes.get("value") or "")


def forms(page: requests.Response) -> list[tuple[str, dict[str, str]]]:
    """The page's forms: each one's absolute action, and its inputs' names and values."""
    parser = _Forms()
    parser.feed(page.text)
    return [(urljoin(page.url, action), fields) for action, fields in parser.forms]


def sign_in(browser: requests.Session, app_url: str, login: str, next_path: str = "/"):
    """Click "Sign in with ..." and go through the provider's login and consent forms, as a
    person would; the answer is the app's page at the end (or its refusal)."""
    response = browser.get(
        f"{app_url}/oidc/authenticate/", params={"next": next_path}, timeout=REQUEST_TIMEOUT
    )
    app_origin = urlsplit(app_url).netloc
    for _ in range(4):  # a login form, a consent form, at most
        if urlsplit(response.url).netloc == app_origin:
            return response
        shown = forms(response)
        assert shown, f"the provider showed no form at {response.url}: {response.text[:500]}"
        action, fields = shown[0]
        if fields.get("prompt") == "login":
            fields.update(login=login, password="any password will do")
        response = browser.post(action, data=fields, timeout=REQUEST_TIMEOUT)
    raise AssertionError(f"still at the provider after four forms: {response.url}")
