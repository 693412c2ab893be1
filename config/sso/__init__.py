"""Single sign-on: OpenID Connect login through mozilla-django-oidc, configured from OIDC_*.

- `conf`: the settings from the environment (`env_sso`, read by config/settings.py) and the
  provider's endpoints, discovered from its issuer.
- `backend`: the authentication backend: checks the ID token (signature against the
  provider's keys, issuer, audience, expiry, nonce) before anything is written.
- `accounts`: the user a sign-in lands on, created at the first one, its e-mail, name and
  role groups re-synced from the claims at every one.
- `views`: the login page (with or without passwords), the sign-in start and callback (a
  refused sign-in is a page that says why, never a 500), logout.

Off, the login page and every other login are exactly as without it.
"""
