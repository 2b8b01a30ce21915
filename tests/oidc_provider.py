"""An OpenID Connect provider for the tests, served over HTTP on 127.0.0.1 in the test process.

It speaks the parts of the protocol the portal uses: the discovery document, a JWKS holding a
real RSA key, an authorization endpoint that redirects back with a code at once (the person is
whoever the test says signs in next), a token endpoint that checks the client's secret, the
redirect URI and the PKCE verifier and returns an RS256-signed ID token, and userinfo. A test
can make it misbehave (``tamper``) to show the portal refuses what it should.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

KID = "probity-test-key-1"
# What ``tamper`` may hold: each makes one part of the answer wrong.
TAMPERINGS = (
    "signature",  # the ID token is signed by another key under the published key id
    "issuer",  # the ID token names another issuer
    "audience",  # the ID token is for another client
    "expired",  # the ID token expired ten minutes ago
    "symmetric",  # the ID token is signed with HS256 (the client secret as key)
    "userinfo_subject",  # userinfo speaks of another subject than the ID token
    "discovery_issuer",  # the discovery document names another issuer
)


@dataclass
class Person:
    """Who signs in next, as the provider states it."""

    sub: str
    email: str = ""
    email_verified: bool = True
    amr: list[str] = field(default_factory=lambda: ["pwd"])
    acr: str | None = None


@dataclass
class Client:
    client_id: str
    secret: str
    redirect_uris: set[str] = field(default_factory=set)


class IdentityProvider:
    """The provider; ``person`` signs in at the next authorization request."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.clients: dict[str, Client] = {}
        self.person: Person | None = None
        self.tamper: set[str] = set()
        self.codes: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.token_requests: list[dict[str, Any]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def register(self, *, client_id: str, secret: str, redirect_uris: set[str]) -> None:
        client = self.clients.setdefault(client_id, Client(client_id, secret))
        client.secret = secret
        client.redirect_uris |= redirect_uris

    def signs_in(self, person: Person, *, tamper: set[str] | None = None) -> None:
        """Set who signs in next and how the answer is spoiled (nothing by default)."""
        unknown = (tamper or set()) - set(TAMPERINGS)
        assert not unknown, unknown
        self.person, self.tamper = person, set(tamper or ())

    # The endpoints' work (the handler below only moves bytes).

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": "http://elsewhere.invalid"
            if "discovery_issuer" in self.tamper
            else self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
        }

    def jwks(self) -> dict[str, Any]:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": KID, "alg": "RS256", "use": "sig"}]}

    def authorize(self, query: dict[str, str]) -> tuple[int, str]:
        """Return (status, Location or reason) for an authorization request."""
        client = self.clients.get(query.get("client_id", ""))
        redirect_uri = query.get("redirect_uri", "")
        if client is None or redirect_uri not in client.redirect_uris:
            return 400, "unknown client or redirect_uri"
        if query.get("response_type") != "code" or "openid" not in query.get("scope", "").split():
            return 400, "unsupported request"
        if self.person is None:
            return 400, "nobody signs in"
        code = secrets.token_urlsafe(24)
        self.codes[code] = {
            "client_id": client.client_id,
            "redirect_uri": redirect_uri,
            "challenge": query.get("code_challenge", ""),
            "method": query.get("code_challenge_method", ""),
            "person": self.person,
            "tamper": set(self.tamper),
        }
        return 302, f"{redirect_uri}?{urlencode({'code': code, 'state': query.get('state', '')})}"

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, Any]]:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _, secret = decoded.partition(":")
        self.token_requests.append({"client_id": client_id, **form})
        client = self.clients.get(client_id)
        if client is None or not secrets.compare_digest(client.secret, secret):
            return 401, {"error": "invalid_client"}
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or grant["client_id"] != client_id:
            return 400, {"error": "invalid_grant"}
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
        if grant["method"] != "S256" or not verifier or challenge != grant["challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        access_token = secrets.token_urlsafe(24)
        self.tokens[access_token] = grant
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": self._id_token(grant, client),
        }

    def _id_token(self, grant: dict[str, Any], client: Client) -> str:
        person: Person = grant["person"]
        tamper: set[str] = grant["tamper"]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": "http://elsewhere.invalid" if "issuer" in tamper else self.issuer,
            "sub": person.sub,
            "aud": "another-client" if "audience" in tamper else client.client_id,
            "iat": now - 1200 if "expired" in tamper else now,
            "exp": now - 600 if "expired" in tamper else now + 300,
            "auth_time": now,
            "jti": secrets.token_hex(8),
            "amr": person.amr,
        }
        if person.acr is not None:
            claims["acr"] = person.acr
        if person.email:
            claims["email"] = person.email
            claims["email_verified"] = person.email_verified
        if "symmetric" in tamper:
            return jwt.encode(claims, client.secret, algorithm="HS256", headers={"kid": KID})
        key = self.other_key if "signature" in tamper else self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})

    def userinfo(self, authorization: str) -> tuple[int, dict[str, Any]]:
        grant = self.tokens.get(authorization.removeprefix("Bearer "))
        if grant is None:
            return 401, {"error": "invalid_token"}
        person: Person = grant["person"]
        info: dict[str, Any] = {
            "sub": person.sub + "-other" if "userinfo_subject" in grant["tamper"] else person.sub
        }
        if person.email:
            info.update(email=person.email, email_verified=person.email_verified)
        return 200, info


def _handler(provider: IdentityProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/.well-known/openid-configuration":
                self._json(200, provider.discovery())
            elif url.path == "/jwks":
                self._json(200, provider.jwks())
            elif url.path == "/userinfo":
                self._json(*provider.userinfo(self.headers.get("Authorization", "")))
            elif url.path == "/authorize":
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                status, where = provider.authorize(query)
                self.send_response(status)
                if status == 302:
                    self.send_header("Location", where)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if urlsplit(self.path).path == "/token":
                self._json(*provider.token(form, self.headers.get("Authorization", "")))
            else:
                self._json(404, {"error": "not_found"})

    return Handler
