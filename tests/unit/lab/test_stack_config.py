"""What the local backend generates from a phase: service env, keys, scrape config,
HAProxy config (pure functions, nothing started; the Prometheus rules: test_rules.py)."""

from __future__ import annotations

import json
from pathlib import Path

from lab.phases import get_phase, load_phases
from lab.servers.haproxy import Backend, HAProxyServer
from lab.stack.config import MODEL, make_keys, replica_env, scrape_config
from rundir import Component
from service.settings import Settings


def _env(phase_id: str, tmp_path: Path) -> dict[str, str]:
    phase = get_phase(phase_id)
    addresses = {p.name: f"127.0.0.1:{20000 + n}" for n, p in enumerate(phase.providers)}
    return replica_env(
        phase,
        keys_file=make_keys(3).write(tmp_path / "keys.txt"),
        redis="127.0.0.1:16379",
        store="127.0.0.1:15432",
        providers=addresses,
    )


def test_replica_env_is_accepted_by_the_service(tmp_path: Path) -> None:
    """The generated CHAT_* variables of every phase pass the service's own validation."""
    for phase_id in load_phases():
        settings = Settings.from_env({**_env(phase_id, tmp_path), "CHAT_PORT": "8000"})
        assert len(settings.auth.keys) == 4
        assert settings.limits.default_model == MODEL


def test_every_provider_is_reached_through_its_proxy_address(tmp_path: Path) -> None:
    """Provider base URLs are the replica's proxy routes (OpenAI with /v1)."""
    chain = json.loads(_env("v3", tmp_path)["CHAT_PROVIDERS"])
    assert [(p["name"], p["kind"], p["base_url"]) for p in chain] == [
        ("openai", "openai", "http://127.0.0.1:20000/v1"),
        ("anthropic", "anthropic", "http://127.0.0.1:20001"),
        ("openai-2", "openai", "http://127.0.0.1:20002/v1"),
    ]
    assert all(MODEL in p["model_map"] for p in chain)


def test_redis_and_store_go_through_their_proxies_with_the_phase_policies(
    tmp_path: Path,
) -> None:
    """V1 is fail-closed on Redis; the URLs point at the proxy addresses given."""
    env = _env("v1", tmp_path)
    assert env["CHAT_REDIS_URL"] == "redis://127.0.0.1:16379/0"
    assert env["CHAT_STORE_URL"] == "postgresql://postgres@127.0.0.1:15432/postgres"
    assert env["CHAT_RATE_LIMIT_POLICY"] == "fail-closed"
    assert env["CHAT_RETRY_ENABLED"] == "false"


def test_load_keys_are_distinct_and_each_its_own_user(tmp_path: Path) -> None:
    """200 load keys by default, one user each, plus the dev key, in key:user lines."""
    keys = make_keys()
    lines = keys.lines().splitlines()
    assert len(keys.load) == 200
    assert len(set(keys.load)) == 200
    users = [line.split(":")[1] for line in lines]
    assert len(set(users)) == len(lines) == 201
    path = keys.write(tmp_path / "keys.txt")
    assert path.stat().st_mode & 0o077 == 0


def test_scrape_config_has_one_job_per_kind_and_the_name_as_instance() -> None:
    """job = kind, instance = component name; parts without metrics are not scraped."""
    parts = [
        Component(name="replica-1", kind="replica", metrics_url="http://127.0.0.1:1/metrics"),
        Component(name="replica-2", kind="replica", metrics_url="http://127.0.0.1:2/metrics"),
        Component(name="haproxy", kind="haproxy", metrics_url="http://127.0.0.1:3/metrics"),
        Component(name="redis", kind="redis", url="redis://127.0.0.1:4/0"),
    ]
    config = scrape_config(parts, rule_files=["a.yml"])
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"replica", "haproxy"}
    assert jobs["replica"]["static_configs"] == [
        {"targets": ["127.0.0.1:1"], "labels": {"instance": "replica-1"}},
        {"targets": ["127.0.0.1:2"], "labels": {"instance": "replica-2"}},
    ]
    assert config["rule_files"] == ["a.yml"]


def test_haproxy_retries_only_connection_failures_and_keeps_backups_aside() -> None:
    """retry-on conn-failure (never a request that reached a replica), health checks on
    /v1/ready, region-b servers marked backup."""
    proxy = HAProxyServer(
        backends=[
            Backend("replica-1", "127.0.0.1:1"),
            Backend("replica-3", "127.0.0.1:3", backup=True),
        ],
        port=1000,
        stats_port=1001,
    )
    try:
        config = proxy.config()
    finally:
        proxy.stop()
    assert "retry-on conn-failure" in config
    assert "option httpchk GET /v1/ready" in config
    assert "server replica-3 127.0.0.1:3 check inter 500ms fall 2 rise 2 backup" in config
    assert "server replica-1 127.0.0.1:1 check inter 500ms fall 2 rise 2\n" in config
