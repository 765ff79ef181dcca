"""docker-compose.yml: the chat service is configured with variables the service reads,
reaches every dependency through Toxiproxy, publishes on loopback only, and starts in
health order. The commands are checked against the real CLIs."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from service.settings import ENV_VARS
from tests.unit.observability.files import PROMETHEUS_DIR, load_yaml

_DEFAULT = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


def _resolved(value: object) -> str:
    """``value`` with ``${VAR:-default}`` replaced by the default, as compose does when
    VAR is unset."""
    return _DEFAULT.sub(lambda m: m.group(2) or "", str(value))


def _chat_env(compose: dict[str, Any]) -> dict[str, str]:
    return {k: _resolved(v) for k, v in compose["services"]["chat"]["environment"].items()}


def _settings_variables() -> set[str]:
    """Every variable the service's settings reader lists (``ENV_VARS``), plus the
    multiprocess directory prometheus_client reads itself."""
    return set(ENV_VARS) | {"PROMETHEUS_MULTIPROC_DIR"}


def _proxy_listen_ports(toxiproxy_config: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {int(p["listen"].rsplit(":", 1)[1]): p for p in toxiproxy_config}


def test_chat_environment_uses_only_variables_the_service_reads(compose: dict[str, Any]) -> None:
    """Every variable given to the chat container is one the service's settings read."""
    known = _settings_variables()
    assert "CHAT_PROVIDERS" in known  # the grep itself works
    assert set(compose["services"]["chat"]["environment"]) - known == set()


def test_chat_environment_builds_valid_settings(compose: dict[str, Any]) -> None:
    """Settings.from_env accepts the chat container's environment (defaults applied)."""
    from service.settings import Settings

    settings = Settings.from_env(_chat_env(compose))
    assert settings.server.host == "0.0.0.0"
    assert settings.server.port == 8000
    assert [p.name for p in settings.providers] == ["openai", "anthropic"]
    assert settings.auth.keys
    assert settings.store.url.startswith("mongodb://")


def test_chat_reaches_every_dependency_through_toxiproxy(
    compose: dict[str, Any], toxiproxy_config: list[dict[str, Any]]
) -> None:
    """Redis, MongoDB and both providers are addressed at Toxiproxy listen ports whose
    upstreams are the matching compose services."""
    from service.settings import Settings

    settings = Settings.from_env(_chat_env(compose))
    assert settings.redis.url is not None
    urls = {
        "redis": settings.redis.url,
        "mongo": settings.store.url,
        **{p.name: p.base_url or "" for p in settings.providers},
    }
    proxies = _proxy_listen_ports(toxiproxy_config)
    for name, url in urls.items():
        parts = urlsplit(url)
        assert parts.hostname == "toxiproxy", name
        assert parts.port is not None
        assert proxies[parts.port]["name"] == name
    expected_upstreams = {
        "redis": "redis:6379",
        "mongo": "mongo:27017",
        "openai": "fake-openai:9001",
        "anthropic": "fake-anthropic:9002",
    }
    assert {p["name"]: p["upstream"] for p in toxiproxy_config} == expected_upstreams


def test_toxiproxy_config_is_accepted_by_the_embedded_proxy(
    toxiproxy_config: list[dict[str, Any]],
) -> None:
    """Each entry of compose/toxiproxy.json parses as a Toxiproxy proxy, enabled."""
    from fakes.toxiproxy.collection import ProxyInput, parse_proxy_input

    empty = ProxyInput(name="", listen="", upstream="", enabled=False)
    parsed = [parse_proxy_input(entry, defaults=empty) for entry in toxiproxy_config]
    assert all(p.name and p.listen and p.upstream and p.enabled for p in parsed)


def test_toxiproxy_is_the_real_image_with_the_config_mounted(compose: dict[str, Any]) -> None:
    """The toxiproxy service runs ghcr.io/shopify/toxiproxy with -config and -proxy-metrics."""
    service = compose["services"]["toxiproxy"]
    assert service["image"].startswith("ghcr.io/shopify/toxiproxy:")
    assert "./compose/toxiproxy.json:/config/toxiproxy.json:ro" in service["volumes"]
    assert "-config=/config/toxiproxy.json" in service["command"]
    assert "-proxy-metrics" in service["command"]


def test_published_ports_are_loopback_only(compose: dict[str, Any]) -> None:
    """Every published port is bound to 127.0.0.1."""
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name}: {port}"
    assert "127.0.0.1:8000:8000" in compose["services"]["chat"]["ports"]


def test_depends_on_waits_for_health_where_a_probe_exists(compose: dict[str, Any]) -> None:
    """depends_on uses service_healthy for every dependency that has a healthcheck."""
    services = compose["services"]
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            if "healthcheck" in services[dependency]:
                assert condition["condition"] == "service_healthy", f"{name} -> {dependency}"
    assert services["chat"]["depends_on"] == {"toxiproxy": {"condition": "service_healthy"}}


def test_every_server_of_the_chat_path_has_a_healthcheck(compose: dict[str, Any]) -> None:
    """Redis, MongoDB, Toxiproxy, both fakes, chat, Prometheus and Grafana are probed."""
    probed = {name for name, service in compose["services"].items() if "healthcheck" in service}
    chat_path = {"redis", "mongo", "toxiproxy", "fake-openai", "fake-anthropic", "chat"}
    assert chat_path | {"prometheus", "grafana"} <= probed


def test_the_project_image_runs_service_and_fakes(compose: dict[str, Any]) -> None:
    """chat and both fakes are built from the project's Dockerfile."""
    for name in ("chat", "fake-openai", "fake-anthropic"):
        service = compose["services"][name]
        assert service["build"]["dockerfile"] == "Dockerfile", name
        assert service["image"] == "llm-chaos-lab:local", name
    assert compose["services"]["chat"]["command"] == ["python", "-m", "service"]


@pytest.mark.parametrize("vendor", ["openai", "anthropic"])
def test_fake_commands_parse_with_the_real_cli(compose: dict[str, Any], vendor: str) -> None:
    """`chaoslab fake VENDOR ...` in compose is accepted by the click command."""
    import click

    from chaoslab.cli import main

    argv = compose["services"][f"fake-{vendor}"]["command"]
    assert argv[:3] == ["chaoslab", "fake", vendor]
    command = main.get_command(click.Context(main), "fake")
    assert command is not None
    ctx = command.make_context("fake", list(argv[2:]))
    assert ctx.params["vendor"] == vendor
    assert ctx.params["host"] == "0.0.0.0"


def test_prometheus_scrapes_the_compose_services(compose: dict[str, Any]) -> None:
    """Every scrape target of prometheus.yml is a compose service on a port it serves."""
    config = load_yaml(PROMETHEUS_DIR / "prometheus.yml")
    targets = {
        target
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    }
    expected = {"chat:8000", "fake-openai:9001", "fake-anthropic:9002", "toxiproxy:8474"}
    assert expected <= targets
    for target in targets - {"localhost:9090"}:
        assert target.split(":")[0] in compose["services"], target
