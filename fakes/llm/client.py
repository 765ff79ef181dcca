"""``FakeAdmin``: a small synchronous client of a fake's admin API, for the lab and scenarios."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

__all__ = ["FakeAdmin", "FakeAdminError"]


class FakeAdminError(Exception):
    """The fake refused an admin call; ``problem`` is its problem+json body."""

    def __init__(self, status: int, problem: Mapping[str, Any]) -> None:
        self.status = status
        self.problem = dict(problem)
        field = self.problem.get("field")
        where = f" (field {field})" if field else ""
        super().__init__(f"{status}: {self.problem.get('detail', 'admin call failed')}{where}")


class FakeAdmin:
    """Set, read and clear a fake's faults.

    ``admin_url`` is the fake's root URL (``http://127.0.0.1:9001``); a trailing ``/_fake`` or
    ``/v1`` is accepted too. Whoever creates the client closes it (``close()`` or ``with``).
    """

    def __init__(self, admin_url: str, *, timeout: float = 5.0, token: str | None = None) -> None:
        root = admin_url.rstrip("/")
        for suffix in ("/_fake", "/v1"):
            root = root.removesuffix(suffix)
        self.admin_url = root
        headers = {"x-chaoslab-token": token} if token else {}
        self._http = httpx.Client(base_url=root, timeout=timeout, headers=headers)

    def __enter__(self) -> FakeAdmin:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {"detail": response.text}
            raise FakeAdminError(response.status_code, body if isinstance(body, dict) else {})
        return response

    def set_faults(self, faults: Mapping[str, Any]) -> dict[str, Any]:
        """Replace the whole fault configuration (idempotent); return it as the fake holds it."""
        result: dict[str, Any] = self._check(
            self._http.put("/_fake/faults", json=dict(faults))
        ).json()
        return result

    def get_faults(self) -> dict[str, Any]:
        """The configuration in force (expired outages removed)."""
        result: dict[str, Any] = self._check(self._http.get("/_fake/faults")).json()
        return result

    def clear(self) -> None:
        """Remove every fault (``DELETE /_fake/faults``)."""
        self._check(self._http.delete("/_fake/faults"))

    def reset(self) -> None:
        """Remove every fault and reset quota windows, RNG and ids (``POST /_fake/reset``)."""
        self._check(self._http.post("/_fake/reset"))

    def metrics_text(self) -> str:
        """The fake's Prometheus exposition."""
        return self._check(self._http.get("/metrics")).text
