"""The org authorization server's token endpoint for service apps: client_credentials with private_key_jwt.

POST /oauth2/v1/token (form): grant_type=client_credentials, scope (space-separated), client_assertion_type
urn:ietf:params:oauth:client-assertion-type:jwt-bearer, client_assertion: a JWT signed RS256 with the app's
private key (iss = sub = client id, aud = the token endpoint's URL, exp within the hour, jti once, kid the
key's id when it has one), as Okta's SDK sends it. Errors are RFC 6749's {"error", "error_description"}.
"""

import base64
import json
import secrets
import urllib.parse

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_LIFETIME = 3600


class OAuthError(Exception):
    def __init__(self, status, error, description):
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


def _b64decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class ServiceApp:
    def __init__(self, client_id, public_key, key_id, scopes):
        self.client_id = client_id
        self.public_key = public_key
        self.key_id = key_id
        self.scopes = set(scopes)


class Tokens:
    """Service apps, the access tokens issued to them, and the assertions already used (jti)."""

    def __init__(self, now):
        self.now = now
        self.apps = {}
        self.tokens = {}
        self.used_jti = set()
        self.requests = 0
        self.issued = 0

    def add_app(self, client_id, public_key, key_id, scopes):
        self.apps[client_id] = ServiceApp(client_id, public_key, key_id, scopes)

    def scopes_of(self, token):
        """The token's scopes, or None when it is unknown or expired."""
        entry = self.tokens.get(token)
        if entry is None or entry[1] <= self.now():
            return None
        return entry[0]

    def issue(self, body, audience):
        """The token answer for a token request's form body; OAuthError when refused."""
        self.requests += 1
        form = {key: values[-1] for key, values in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", "The grant type is not supported by this endpoint.")
        if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
            raise OAuthError(401, "invalid_client", "Client authentication failed: a private_key_jwt assertion is "
                             "required for this client.")
        app = self._verify(form["client_assertion"], audience, form.get("client_id"))
        requested = (form.get("scope") or "").split()
        if not requested:
            raise OAuthError(400, "invalid_scope", "The authorization server requires at least one scope.")
        missing = [scope for scope in requested if scope not in app.scopes]
        if missing:
            raise OAuthError(400, "invalid_scope", "One or more scopes are not configured for the authorization "
                             "server resource.")
        token = secrets.token_urlsafe(32)
        self.tokens[token] = (set(requested), self.now() + TOKEN_LIFETIME)
        self.issued += 1
        return {"token_type": "Bearer", "expires_in": TOKEN_LIFETIME, "access_token": token, "scope": " ".join(requested)}

    def _verify(self, assertion, audience, client_id):
        invalid = OAuthError(401, "invalid_client", "The client_assertion signature is invalid.")
        try:
            head_b64, claims_b64, signature_b64 = assertion.split(".")
            head = json.loads(_b64decode(head_b64))
            claims = json.loads(_b64decode(claims_b64))
            signature = _b64decode(signature_b64)
        except (ValueError, TypeError):
            raise OAuthError(401, "invalid_client", "The client_assertion is not a valid JWT.")
        if not isinstance(head, dict) or not isinstance(claims, dict):
            raise invalid
        app = self.apps.get(claims.get("iss"))
        if app is None or claims.get("sub") != app.client_id or (client_id and client_id != app.client_id):
            raise OAuthError(401, "invalid_client", "The client_assertion token does not name a known client.")
        if head.get("alg") != "RS256":
            raise OAuthError(401, "invalid_client", "The client_assertion token has an unsupported algorithm.")
        if app.key_id and head.get("kid") not in (None, app.key_id):
            raise OAuthError(401, "invalid_client", "The client_assertion token's kid matches no key of the client.")
        try:
            app.public_key.verify(signature, ("%s.%s" % (head_b64, claims_b64)).encode("ascii"),
                                  padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise invalid
        if claims.get("aud") != audience:
            raise OAuthError(401, "invalid_client", "The audience claim of the client_assertion is invalid.")
        now = self.now()
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or exp <= now:
            raise OAuthError(401, "invalid_client", "The client_assertion token is expired.")
        if exp > now + 3600 + 60:
            raise OAuthError(401, "invalid_client", "The client_assertion token has an expiration too far in the "
                             "future.")
        jti = claims.get("jti")
        if not jti or jti in self.used_jti:
            raise OAuthError(401, "invalid_client", "The client_assertion token's jti has already been used.")
        self.used_jti.add(jti)
        return app
