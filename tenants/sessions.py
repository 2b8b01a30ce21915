"""Portal sessions stored under a digest of their key, never the key itself.

A session key is a bearer credential: whoever holds one is signed in as its user, second factor
included. Django's database backend keeps the key in ``django_session``, a table the app role
reads and writes, so SQL access as the app role (one injection, one leaked connection string)
would hand over every agency's signed-in staff. This backend stores SHA-256 of the key instead
(as API tokens are stored by digest): the browser's cookie is the only copy of the key.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.sessions.backends import db
from django.utils import timezone


def session_key_digest(session_key: str) -> str:
    """Return what the session table holds for ``session_key`` (160 bits of SHA-256, hex)."""
    return hashlib.sha256(session_key.encode()).hexdigest()[:40]


class SessionStore(db.SessionStore):
    """Django's database sessions, the rows keyed by the digest of the session key."""

    def _get_session_from_db(self) -> Any:
        key = self.session_key
        if key is None:
            return None
        try:
            return self.model.objects.get(
                session_key=session_key_digest(key), expire_date__gt=timezone.now()
            )
        except self.model.DoesNotExist:
            self._session_key = None
            return None

    async def _aget_session_from_db(self) -> Any:
        key = self.session_key
        if key is None:
            return None
        try:
            return await self.model.objects.aget(
                session_key=session_key_digest(key), expire_date__gt=timezone.now()
            )
        except self.model.DoesNotExist:
            self._session_key = None
            return None

    def exists(self, session_key: str) -> bool:
        return bool(self.model.objects.filter(session_key=session_key_digest(session_key)).exists())

    async def aexists(self, session_key: str) -> bool:
        return bool(
            await self.model.objects.filter(session_key=session_key_digest(session_key)).aexists()
        )

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        instance = super().create_model_instance(data)
        instance.session_key = session_key_digest(instance.session_key)
        return instance

    async def acreate_model_instance(self, data: dict[str, Any]) -> Any:
        instance = await super().acreate_model_instance(data)
        instance.session_key = session_key_digest(instance.session_key)
        return instance

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self.model.objects.filter(session_key=session_key_digest(session_key)).delete()

    async def adelete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        await self.model.objects.filter(session_key=session_key_digest(session_key)).adelete()
