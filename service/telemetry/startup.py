"""Warnings a new user needs: no API key configured, a provider not reachable.

``warn_at_start`` runs once after the service listens (``python -m service``). Each
warning is one JSON line saying what is wrong and how to fix it:

- ``no_api_keys``: ``CHAT_API_KEYS`` and ``CHAT_API_KEYS_FILE`` give no key, so every
  route but health, readiness, metrics and docs answers 401;
- ``provider_unreachable``: a provider of the chain did not answer its readiness probe
  (``GET <base_url>/models``); the line names the provider and its URL. At start for each
  provider that is down, later whenever one goes down (the readiness probes run every few
  seconds); ``provider_reachable`` when it answers again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from service.domain.health import ReadinessChecker
from service.domain.policy import ChatObserver

__all__ = ["warn_at_start"]

_VENDOR_DEFAULT = "(the vendor's default URL)"


async def warn_at_start(
    readiness: ReadinessChecker,
    log: Any,
    *,
    has_api_keys: bool,
    provider_urls: Mapping[str, str | None],
) -> None:
    """Log ``no_api_keys`` and one ``provider_unreachable`` per provider that is down
    (``provider_urls``: each provider's name and base URL, ``None`` for the vendor's)."""
    if not has_api_keys:
        log.warning(
            "no_api_keys",
            detail="no API key is configured: every request but /v1/health, /v1/ready, "
            "/metrics and /docs answers 401",
            fix="set CHAT_API_KEYS='key:user' or CHAT_API_KEYS_FILE",
        )
    urls = {name: url or _VENDOR_DEFAULT for name, url in provider_urls.items()}
    report = await readiness.refresh()
    watch = _ProviderWatch(readiness.observer, log, urls)
    for dependency in report.dependencies:
        if dependency.name in urls:
            watch.dependency_status(dependency.name, dependency.status == "up", inner=False)
    readiness.observer = watch  # later probes report their changes


_UNREACHABLE = (
    "the provider did not answer its probe (GET <url>/models); requests fail over to the "
    "next provider or answer 503"
)


class _ProviderWatch:
    """The readiness checker's observer, logging each provider's reachability changes."""

    def __init__(self, inner: ChatObserver, log: Any, urls: Mapping[str, str]) -> None:
        self._inner = inner
        self._log = log
        self._urls = dict(urls)
        self._up: dict[str, bool] = {}

    def dependency_status(self, dependency: str, up: bool, *, inner: bool = True) -> None:
        if inner:
            self._inner.dependency_status(dependency, up)
        url = self._urls.get(dependency)
        if url is None or self._up.get(dependency, True) == up:
            self._up[dependency] = up
            return
        self._up[dependency] = up
        if up:
            self._log.info("provider_reachable", provider=dependency, url=url)
        else:
            self._log.warning(
                "provider_unreachable", provider=dependency, url=url, detail=_UNREACHABLE
            )

    def __getattr__(self, name: str) -> Any:  # every other observer call, unchanged
        return getattr(self._inner, name)
