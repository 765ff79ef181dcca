"""A small real stack for experiment tests: fake providers, the fault proxy, Redis and the
chat service as real processes on free loopback ports, described by a hand-built ``Stack``
exactly as ``chaoslab up`` writes it (one replica, its dependencies through the proxy)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lab.faults.toxiproxy import ToxiproxyClient
from lab.proc import start_time
from lab.servers import FakeLLMServer, RedisServer, ToxiproxyServer
from lab.servers.service import ServiceReplica
from lab.stack.config import MODEL
from loadtests.config import LoadConfig, write_config
from rundir import Component, ProcessControl, ProxyRoute, Stack, Targets, write_stack
from tests.fixtures.prometheus import known_prometheus

__all__ = ["MiniStack", "known_prometheus", "load_config", "mini_stack"]

KEYS = tuple(f"sk-load-{n}-{uuid.uuid4().hex[:6]}" for n in range(8))


@dataclass
class MiniStack:
    stack: Stack
    service: ServiceReplica
    fakes: dict[str, FakeLLMServer]
    proxy: ToxiproxyServer
    redis: RedisServer
    stack_dir: Path

    def service_state(self) -> str:
        """The service process's state letter from /proc (R, S, T...)."""
        assert self.service.pid is not None
        stat = Path(f"/proc/{self.service.pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0]

    def resume_all(self) -> None:
        """SIGCONT everything (a safety net so a failed test never leaves a stopped process)."""
        for pid in [f.pid for f in self.fakes.values()] + [self.service.pid, self.redis.pid]:
            if pid:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(os.getpgid(pid), signal.SIGCONT)


def _process(pid: int | None) -> ProcessControl:
    assert pid is not None
    return ProcessControl(pid=pid, pgid=os.getpgid(pid), start=start_time(pid))


@pytest.fixture(scope="module")
def mini_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MiniStack]:
    """Two fakes (openai primary, anthropic second), Redis, the proxy and one replica."""
    stack_dir = tmp_path_factory.mktemp("stack")
    fakes = {
        "openai": FakeLLMServer("openai", seed=3).start(),
        "anthropic": FakeLLMServer("anthropic", seed=3).start(),
    }
    redis = RedisServer().start()
    proxy = ToxiproxyServer().start()
    client = ToxiproxyClient(f"http://{proxy.host}:{proxy.port}")
    routes = {
        "openai": client.create(name="replica-1.openai", upstream=fakes["openai"].address),
        "anthropic": client.create(name="replica-1.anthropic", upstream=fakes["anthropic"].address),
        "redis": client.create(name="replica-1.redis", upstream=redis.address),
    }
    providers = [
        {
            "name": name,
            "kind": name,
            "api_key": "sk-fake",
            "base_url": f"http://{routes[name].listen}" + ("/v1" if name == "openai" else ""),
            "model_map": dict.fromkeys(  # the lab's public model too: `chaoslab run` sends it
                ("chat-small", MODEL),
                "gpt-4o-mini" if name == "openai" else "claude-3-5-haiku-latest",
            ),
            "timeouts": {"connect": 1.0, "first_token": 2.0, "total": 5.0},
        }
        for name in ("openai", "anthropic")
    ]
    service = ServiceReplica(
        name="replica-1",
        env={
            "CHAT_API_KEYS": ",".join(f"{key}:user-{n}" for n, key in enumerate(KEYS)),
            "CHAT_RATE_TIERS": "default=100000/60",
            "CHAT_PROVIDERS": json.dumps(providers),
            "CHAT_REDIS_URL": f"redis://{routes['redis'].listen}/0",
            "CHAT_ACCESS_LOG": "false",
            "CHAT_BREAKER_MIN_CALLS": "5",
            "CHAT_REQUEST_DEADLINE_SECONDS": "5",
        },
    ).start()
    components = [
        Component(name="redis", kind="redis", url=redis.url, control=_process(redis.pid)),
        Component(
            name="replica-1",
            kind="replica",
            index=1,
            url=service.url,
            region="a",
            control=_process(service.pid),
        ),
    ]
    for index, (name, fake) in enumerate(fakes.items(), start=1):
        components.append(
            Component(
                name=f"fake-{name}",
                kind="provider",
                index=index,
                provider=name,
                vendor=name,
                url=fake.base_url,
                admin_url=fake.admin_url,
                control=_process(fake.pid),
            )
        )
    proxies = [
        ProxyRoute(
            name=h.name,
            listen=h.listen,
            upstream=h.upstream,
            role="cache" if key == "redis" else f"provider:{key}",
            component="redis" if key == "redis" else f"fake-{key}",
            replica="replica-1",
        )
        for key, h in routes.items()
    ]
    stack = Stack(
        phase="v2",
        backend="external",  # no supervisor: `chaoslab run --stack` uses it as found
        front_door=service.url,
        api_key=KEYS[0],
        load_api_keys=KEYS,
        proxy_api=client.api_url,
        targets=Targets(availability=0.99, latency_p95_s=3.0, ttft_p95_s=1.5),
        components=tuple(components),
        proxies=tuple(proxies),
        stack_dir=str(stack_dir),
        phase_config={"load": {"seed_users": 4, "factor": 1.0, "spawn_rate": 4}},
    )
    write_stack(stack_dir, stack)
    client.close()
    mini = MiniStack(stack, service, fakes, proxy, redis, stack_dir)
    try:
        yield mini
    finally:
        mini.resume_all()
        service.stop()
        for fake in fakes.values():
            fake.stop()
        proxy.stop()
        redis.stop()


def load_config(mini: MiniStack, run_dir: Path, **fields: object) -> Path:
    """Write a LoadConfig for the mini stack into ``run_dir/load/config.json``."""
    base: dict[str, object] = {
        "front_door": mini.stack.front_door,
        "api_keys": mini.stack.load_api_keys,
        "run_dir": str(run_dir),
        "duration": 5.0,
        "users": 4,
        "spawn_rate": 4.0,
        "mix": {"chat": 1, "stream": 1, "openai": 1},
        "think_time": 0.2,
        "timeout": 5.0,
    }
    base.update(fields)
    import msgspec

    return write_config(run_dir / "load" / "config.json", msgspec.convert(base, LoadConfig))
