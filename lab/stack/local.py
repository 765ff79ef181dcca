"""The local backend: every component a process on a free loopback port.

``LocalStack`` owns the servers (``lab.servers``) of one phase: it starts them all at
once (the standby after its primary), routes each dependency of each replica through its
own fault-proxy proxy (``replica-1.redis``, ``replica-1.store``, ``replica-1.openai``),
writes ``stack.json``
and keeps it true (new pids after a restart, the store after a failover). The supervisor
(``lab.stack.supervisor``) runs it and watches it.

Each provider fake logs its requests to ``STACK/parts/fake-<name>/requests.jsonl`` and marks its
output with its provider index (``extra["request_log"]``, ``extra["mark"]``), so a run can
count upstream attempts and tell which fake wrote an answer.

About 390 lines: starting, routing, restarting and failing over share the parts table and
its lock; the parts' definitions, the stack's Prometheus and status live in ``parts`` and
``status``.

Just over 400 lines: one class that owns every server of a local stack from plan to stop
(start order, restarts, store failover, data removal), so whoever starts a part stops it.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from lab.net import LOOPBACK, free_port
from lab.phases import Phase
from lab.servers import (
    FakeLLMServer,
    HAProxyServer,
    PostgresServer,
    RedisServer,
    ServerStartError,
    ToxiproxyServer,
)
from lab.servers.base import http_status
from lab.servers.haproxy import Backend
from lab.servers.postgres import ensure_template
from lab.servers.service import ServiceReplica
from lab.stack.config import Keys, ensure_token, make_keys, replica_env
from lab.stack.errors import StackError
from lab.stack.parts import (
    Part,
    StackPrometheus,
    check_binaries,
    store_dir,
    template_cache,
)
from lab.stack.progress import Progress, Step
from lab.stack.rules import rule_files_for
from rundir import Component, ProcessControl, ProxyRoute, Stack, write_stack
from rundir.layout import (
    FAKE_REQUEST_LOG,
    KEYS_FILE,
    RULES_DIR,
    SCRAPE_DIR,
    TOKEN_FILE,
    part_dir,
    part_log,
    scrape_file,
)

__all__ = ["MAX_PROVIDERS", "START_TIMEOUT_S", "LocalStack"]

START_TIMEOUT_S = 90.0
"""The longest one part may take to become ready."""
MAX_PROVIDERS = 15
"""Provider fakes mark their output with their index, 1 to 15 (a fake's marks are 0..15)."""


class LocalStack:
    """The servers of one phase under one stack directory (``STACK/parts/<name>/``)."""

    def __init__(
        self,
        phase: Phase,
        *,
        stack_dir: Path,
        seed: int = 0,
        progress: Progress | None = None,
        supervisor: Component | None = None,
    ) -> None:
        self.phase = phase
        self.stack_dir = stack_dir.resolve()
        self.seed = seed
        self.progress = progress or (lambda step: None)
        self.supervisor = supervisor
        self.keys: Keys = make_keys()
        # the fakes' fault API and the supervisor's control channel take this token
        self.token = ensure_token(self.stack_dir / TOKEN_FILE)
        self.parts: dict[str, Part] = {}
        self.routes: list[ProxyRoute] = []
        self.created_at = time.time()
        self.lock = threading.RLock()
        self.promoted = False
        self._plan()

    # -- planning ------------------------------------------------------------------------
    def _dir(self, name: str) -> Path:
        return part_dir(self.stack_dir, name)

    def _keep_log(self, server: PostgresServer, name: str) -> PostgresServer:
        """As root, PostgreSQL's data lives in a temp dir removed when it stops; its log
        goes to the stack directory instead, so the log ``stack.json`` names outlives
        ``down`` like every other part's."""
        server.log_path = part_log(self.stack_dir, name)
        server.log_path.parent.mkdir(parents=True, exist_ok=True)
        return server

    def _add(self, part: Part) -> Part:
        # Everything starts at once on a machine that may be busy: a generous bound (a
        # server that exits fails at once anyway).
        part.server.start_timeout = max(part.server.start_timeout, START_TIMEOUT_S)
        self.parts[part.name] = part
        return part

    def _plan(self) -> None:
        phase = self.phase
        regional = phase.multi_region
        proxy = ToxiproxyServer(workdir=self._dir("toxiproxy"))
        self._add(Part("toxiproxy", "proxy", proxy, url=proxy.api_url, admin_url=proxy.api_url,
                       metrics_url=f"{proxy.api_url}/metrics"))  # fmt: skip
        redis_regions = phase.regions if phase.redis.per_region else phase.regions[:1]
        for region in redis_regions:
            name = f"redis-{region}" if phase.redis.per_region else "redis"
            redis = RedisServer(persistence=phase.redis.persistence, workdir=self._dir(name))
            self._add(Part(name, "redis", redis, url=redis.url,
                           region=region if regional else None))  # fmt: skip
        if phase.store.kind == "postgres":
            store = self._keep_log(PostgresServer(
                template=template_cache(), workdir=store_dir(self.stack_dir, "postgres"),
                sync_standby=phase.store.standby,  # acknowledged turns survive a region
            ), "postgres")  # fmt: skip
            self._add(Part("postgres", "store", store, url=store.dsn,
                           region=phase.regions[0] if regional else None))  # fmt: skip
            if phase.store.standby:
                standby = self._keep_log(PostgresServer(
                    primary=store, workdir=store_dir(self.stack_dir, "postgres-standby")
                ), "postgres-standby")  # fmt: skip
                self._add(Part("postgres-standby", "standby-store", standby, url=standby.dsn,
                               region=phase.regions[1]))  # fmt: skip
        if len(phase.providers) > MAX_PROVIDERS:
            raise StackError(f"phase {phase.id} has {len(phase.providers)} providers; the local "
                             f"stack marks each fake's output with its own mark: {MAX_PROVIDERS} "
                             "at most")  # fmt: skip
        for index, spec in enumerate(phase.providers, start=1):
            workdir = self._dir(f"fake-{spec.name}")
            log = workdir / FAKE_REQUEST_LOG
            fake = FakeLLMServer(spec.vendor, seed=self.seed * 100 + index, workdir=workdir,
                                 request_log=log, mark=index, profile=spec.profile,
                                 admin_token=self.token)  # fmt: skip
            self._add(Part(f"fake-{spec.name}", "provider", fake, url=fake.admin_url,
                           index=index, admin_url=f"{fake.admin_url}/_fake",
                           metrics_url=f"{fake.admin_url}/metrics", vendor=spec.vendor,
                           provider=spec.name, extra={"base_url": fake.base_url, "mark": index,
                                                      "request_log": str(log),
                                                      "profile": spec.profile}))  # fmt: skip
        keys_file = self.keys.write(self.stack_dir / KEYS_FILE)
        number = 0
        for region in phase.regions:
            for _ in range(phase.replicas):
                number += 1
                self._plan_replica(number, region, keys_file)
        replicas = [p for p in self.parts.values() if p.kind == "replica"]
        if len(replicas) > 1:
            backends = [
                Backend(p.name, p.server.address, backup=p.region not in (None, phase.regions[0]))
                for p in replicas
            ]
            haproxy = HAProxyServer(backends=backends, workdir=self._dir("haproxy"),
                                    check_interval_ms=300)  # fmt: skip
            self._add(Part("haproxy", "haproxy", haproxy, url=haproxy.url,
                           metrics_url=haproxy.metrics_url))  # fmt: skip
        self._plan_prometheus()

    def _plan_prometheus(self) -> None:
        prometheus = StackPrometheus(components=self.components, workdir=self._dir("prometheus"))
        rules = rule_files_for(self.phase, self.stack_dir / RULES_DIR)
        prometheus.rule_files = [str(p) for p in rules]
        (self.stack_dir / SCRAPE_DIR).mkdir(parents=True, exist_ok=True)
        prometheus.file_sd = str(scrape_file(self.stack_dir / SCRAPE_DIR, "*"))
        self._add(Part("prometheus", "prometheus", prometheus, url=prometheus.url,
                       metrics_url=f"{prometheus.url}/metrics"))  # fmt: skip

    def _plan_replica(self, number: int, region: str, keys_file: Path) -> None:
        name = f"replica-{number}"
        phase = self.phase
        redis_name = f"redis-{region}" if phase.redis.per_region else "redis"
        addresses: dict[str, str] = {}

        def route(dependency: str, role: str, component: str) -> str:
            listen = f"{LOOPBACK}:{free_port()}"
            upstream = self.parts[component].server.address
            self.routes.append(ProxyRoute(name=f"{name}.{dependency}", listen=listen,
                                          upstream=upstream, role=role, component=component,
                                          replica=name))  # fmt: skip
            return listen

        redis = route("redis", "cache", redis_name)
        store = route("store", "store", "postgres") if "postgres" in self.parts else None
        for spec in phase.providers:
            addresses[spec.name] = route(spec.name, f"provider:{spec.name}", f"fake-{spec.name}")
        env = replica_env(phase, keys_file=keys_file, redis=redis, store=store,
                          providers=addresses)  # fmt: skip
        server = ServiceReplica(env=env, name=name, workdir=self._dir(name))
        self._add(Part(name, "replica", server, url=server.url,
                       region=region if phase.multi_region else None, index=number,
                       metrics_url=f"{server.url}/metrics"))  # fmt: skip

    # -- the stack as data ---------------------------------------------------------------
    @property
    def front_door(self) -> str:
        part = self.parts.get("haproxy") or self.parts["replica-1"]
        return str(part.url)

    def components(self) -> list[Component]:
        with self.lock:
            parts = [p.component() for p in self.parts.values()]
        return [self.supervisor, *parts] if self.supervisor is not None else parts

    def snapshot(self) -> Stack:
        with self.lock:
            return Stack(
                phase=self.phase.id, phase_title=self.phase.title, backend="local",
                seed=self.seed, created_at=self.created_at, stack_dir=str(self.stack_dir),
                front_door=self.front_door, api_key=self.keys.dev, load_api_keys=self.keys.load,
                keys_file=str(self.stack_dir / KEYS_FILE),
                token_file=str(self.stack_dir / TOKEN_FILE),
                prometheus_url=self.parts["prometheus"].url,
                proxy_api=self.parts["toxiproxy"].url, targets=self.phase.sla(),
                phase_config=self.phase.as_config(), components=tuple(self.components()),
                proxies=tuple(self.routes),
                supervisor_pid=self._supervisor_pid(),
            )  # fmt: skip

    def _supervisor_pid(self) -> int | None:
        control = self.supervisor.control if self.supervisor is not None else None
        return control.pid if isinstance(control, ProcessControl) else None

    def write(self) -> Stack:
        stack = self.snapshot()
        with self.lock:
            write_stack(self.stack_dir, stack)
        return stack

    # -- lifecycle -----------------------------------------------------------------------
    def check_binaries(self) -> None:
        check_binaries(self.phase)

    def start(self) -> Stack:
        """Start every part at once (replicas import while the dependencies start: the
        service connects lazily and is ready only once they answer); the fault proxy's
        routes are created as soon as it is up, the standby once the primary is.
        ``StackError`` (one line) when a part fails; nothing is left running then."""
        self.check_binaries()
        if "postgres" in self.parts:
            ensure_template(template_cache())
        parts = list(self.parts.values())
        try:
            with ThreadPoolExecutor(max_workers=len(parts)) as pool:
                futures: dict[str, Future[None]] = {}
                for part in parts:
                    if part.kind == "proxy":
                        futures[part.name] = pool.submit(self._start_proxy, part)
                    elif part.kind != "standby-store":
                        futures[part.name] = pool.submit(self._start_one, part)
                for part in parts:
                    if part.kind == "standby-store":
                        primary = futures["postgres"]
                        futures[part.name] = pool.submit(self._start_after, primary, part)
                errors = [f.exception() for f in futures.values() if f.exception() is not None]
            if errors:
                raise errors[0]  # type: ignore[misc]
            self._wait_front_door()
        except BaseException:
            self.stop()
            raise
        stack = self.write()
        self._wait_scraped()
        return stack

    def _wait_scraped(self, timeout: float = 5.0) -> None:
        """Wait (bounded) until Prometheus has scraped every target once; report N/M up."""
        import json

        prometheus = self.parts["prometheus"].server
        expected = sum(1 for c in self.components() if c.metrics_url)
        up = 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            connection = http.client.HTTPConnection(prometheus.host, prometheus.port, timeout=2)
            try:
                connection.request("GET", "/api/v1/targets?state=active")
                targets = json.loads(connection.getresponse().read())["data"]["activeTargets"]
                up = sum(1 for t in targets if t.get("health") == "up")
            except (OSError, ValueError, KeyError, http.client.HTTPException):
                up = 0
            finally:
                connection.close()
            if up >= expected:
                break
            time.sleep(0.25)
        self.progress(Step(name="prometheus", state="info", detail=f"{up}/{expected} targets up"))

    def _start_proxy(self, part: Part) -> None:
        self._start_one(part)
        self._populate_proxies()

    def _start_after(self, first: Future[None], part: Part) -> None:
        first.result()
        self._start_one(part)

    def _start_one(self, part: Part) -> None:
        self.progress(Step(name=part.name, state="starting"))
        try:
            part.server.start()
        except ServerStartError as error:
            first = str(error).splitlines()[0]
            self.progress(Step(name=part.name, state="failed", detail=first))
            raise StackError(f"{first} (log: {part.server.log_path})") from None
        detail = part.url or part.server.address
        self.progress(Step(name=part.name, state="ready", detail=detail))

    def _populate_proxies(self) -> None:
        proxy = self.parts["toxiproxy"].server
        assert isinstance(proxy, ToxiproxyServer)
        with proxy.client() as client:
            client.populate(
                [{"name": r.name, "listen": r.listen, "upstream": r.upstream, "enabled": True}
                 for r in self.routes]
            )  # fmt: skip
        self.progress(Step(name="toxiproxy", state="info", detail=f"{len(self.routes)} proxies"))

    def _wait_front_door(self, timeout: float = 30.0) -> None:
        if "haproxy" not in self.parts:
            return
        haproxy = self.parts["haproxy"].server
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if http_status(haproxy.host, haproxy.port, "/v1/ready") == 200:
                return
            time.sleep(0.1)
        raise StackError(f"the front door {self.front_door} did not become ready in {timeout}s")

    def restart(self, name: str) -> Component:
        """Kill (if alive) and start one part again on the same port; rewrite stack.json
        (new pid; ``extra.restarts`` counts the restarts, ``extra.restarted_at`` the last)."""
        part = self.parts.get(name)
        if part is None:
            raise StackError(f"no component {name!r} in this stack")
        part.server.kill()
        self._start_one(part)
        with self.lock:
            part.extra["restarts"] = int(part.extra.get("restarts", 0)) + 1
            part.extra["restarted_at"] = time.time()
        self.write()
        return part.component()

    def failover_store(self) -> None:
        """Promote the standby and point every replica's store proxy at it."""
        standby = self.parts["postgres-standby"]
        assert isinstance(standby.server, PostgresServer)
        standby.server.promote()
        proxy = self.parts["toxiproxy"].server
        assert isinstance(proxy, ToxiproxyServer)
        with proxy.client() as client, self.lock:
            for index, route in enumerate(self.routes):
                if route.role != "store":
                    continue
                handle = client.get_proxy(route.name)
                if handle is not None:  # a new connection to the new primary
                    handle.update(upstream=standby.server.address, enabled=True)
                self.routes[index] = ProxyRoute(
                    name=route.name, listen=route.listen, upstream=standby.server.address,
                    role=route.role, component=standby.name, replica=route.replica,
                )  # fmt: skip
            standby.kind = "store"
            standby.extra["promoted_at"] = time.time()
            self.parts["postgres"].kind = "standby-store"
            self.parts["postgres"].extra["failed_at"] = time.time()
            self.promoted = True
        self.progress(Step(name="postgres-standby", state="info", detail="promoted"))
        self.write()

    def stop(self) -> None:
        """Stop every part (replicas first), resuming frozen ones; idempotent."""
        order = [
            ("prometheus", "haproxy"),
            ("replica",),
            ("provider", "proxy"),
            ("redis", "store", "standby-store"),
        ]
        for kinds in order:
            parts = [p for p in self.parts.values() if p.kind in kinds]
            for part in parts:
                _resume(part.server.pid)
            if parts:
                with ThreadPoolExecutor(max_workers=len(parts)) as pool:
                    list(pool.map(lambda p: p.server.stop(), parts))

    def remove_data(self) -> None:
        """Remove what the parts stored (data directories); keep the logs (and the fakes'
        request logs)."""
        for name in self.parts:
            for child in self._dir(name).glob("*"):
                if child.suffix in (".log", ".jsonl"):
                    continue
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)


def _resume(pid: int | None) -> None:
    if pid is not None:
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGCONT)
