"""Phase V3 on the local backend: three supervised replicas behind HAProxy, three
providers; the repo's rules and dashboard queries evaluate on the live Prometheus."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from lab.stack import control, down
from lab.stack.processes import alive, token_header
from rundir import ProcessControl, Stack, read_stack
from tests.e2e.stack import bring_up, chat, leftovers, query, wait_targets_up
from tests.unit.observability.promql import dashboard_queries, grafana_to_promql, metric_names

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = sorted((ROOT / "observability" / "grafana" / "dashboards").glob("*.json"))

# A whole stack starts in the module's first test: bound it for a busy 2-core machine.
pytestmark = pytest.mark.timeout(420)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from bring_up("v3", tmp_path_factory.mktemp("v3"))


def _pid(stack: Stack, name: str) -> int:
    part = read_stack(Path(stack.stack_dir)).component(name)
    assert isinstance(part.control, ProcessControl)
    return part.control.pid


def _wait_ready(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/v1/ready", timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def test_a_chat_through_haproxy_is_answered_by_a_fake(stack: Stack) -> None:
    """The front door is HAProxy; a chat through it is answered by the first provider."""
    assert stack.front_door == stack.component("haproxy").url
    response = chat(stack)
    assert response.status_code == 200, response.text
    assert response.json()["provider"] == "openai"
    assert len(stack.of_kind("replica")) == 3
    assert {r.name for r in stack.proxies if r.replica == "replica-2"} == {
        "replica-2.redis", "replica-2.store", "replica-2.openai", "replica-2.anthropic",
        "replica-2.openai-2",
    }  # fmt: skip


def test_every_prometheus_target_is_a_stack_part_and_up(stack: Stack) -> None:
    """Targets = components with a metrics URL (job=kind, instance=name), all up == 1."""
    targets = wait_targets_up(stack)
    seen = {(t["labels"]["job"], t["labels"]["instance"]) for t in targets}
    assert seen == {(c.kind, c.name) for c in stack.components if c.metrics_url}
    result = query(stack, "up")["data"]["result"]
    assert {r["metric"]["instance"]: r["value"][1] for r in result} == {
        name: "1" for _, name in seen
    }


def test_a_killed_replica_is_routed_around_and_restarted_by_the_supervisor(
    stack: Stack,
) -> None:
    """SIGKILL replica-2: requests started after the kill all succeed (HAProxy retries the
    refused connection on another replica), and the supervisor brings replica-2 back on
    the same port with a new pid."""
    before = _pid(stack, "replica-2")
    control.kill(stack, "replica-2")
    statuses = [chat(stack, f"after kill {n}").status_code for n in range(20)]
    assert statuses == [200] * 20
    deadline = time.monotonic() + 120
    after = before
    while time.monotonic() < deadline and after == before:
        time.sleep(0.2)
        after = _pid(stack, "replica-2")
    assert after != before
    assert alive(after)
    assert not alive(before)
    assert read_stack(Path(stack.stack_dir)).component("replica-2").extra["restarts"] >= 1
    assert _wait_ready(str(stack.component("replica-2").url), 90)


def test_requests_in_flight_on_a_killed_replica_are_lost_not_retried(stack: Stack) -> None:
    """With a 5 s provider, six concurrent chats spread over three replicas; killing
    replica-1 mid-flight fails its requests (502 from HAProxy), the others succeed: a
    request that reached a replica is never sent twice."""
    fake = stack.component("fake-openai")
    httpx.put(
        f"{fake.admin_url}/faults",
        json={"latency": {"ttft": 5000}},
        timeout=5,
        headers=token_header(stack),
    )
    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            futures = [pool.submit(chat, stack, f"slow {n}") for n in range(6)]
            time.sleep(2.0)
            control.kill(stack, "replica-1")
            statuses = [f.result().status_code for f in futures]
    finally:
        httpx.delete(f"{fake.admin_url}/faults", timeout=5, headers=token_header(stack))
    assert 502 in statuses or 503 in statuses, statuses
    assert statuses.count(200) >= 3, statuses
    assert _wait_ready(str(stack.component("replica-1").url), 120)


def test_freeze_and_resume_act_on_the_process_group(stack: Stack) -> None:
    """freeze() stops the fake (state T), resume() lets it answer again."""
    fake = stack.component("fake-openai-2")
    control.freeze(stack, fake.name)
    try:
        with pytest.raises(httpx.TimeoutException):
            httpx.get(f"{fake.url}/_fake/health", timeout=0.5)
    finally:
        control.resume(stack, fake.name)
    assert httpx.get(f"{fake.url}/_fake/health", timeout=5).status_code == 200


def test_every_rule_evaluates_without_error(stack: Stack) -> None:
    """Prometheus loaded alerts.yml and the generated recording and SLO rules of the
    phase, and every rule's last evaluation succeeded."""
    for n in range(5):
        chat(stack, f"traffic {n}")
    assert stack.prometheus_url is not None
    deadline = time.monotonic() + 20
    rules: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        groups = httpx.get(f"{stack.prometheus_url}/api/v1/rules", timeout=5).json()["data"]
        rules = [rule for group in groups["groups"] for rule in group["rules"]]
        if rules and all(str(r.get("lastEvaluation", "0001")).startswith("2") for r in rules):
            break
        time.sleep(0.5)
    names = {str(r["name"]) for r in rules}
    assert {
        "ChatAvailabilityBurnRateFast",
        "chat:error_ratio:rate5m",
        "ChatSLOBurnRateFast",
    } <= names
    bad = {str(r["name"]): r.get("lastError") for r in rules if r.get("health") != "ok"}
    assert bad == {}


# Alerting rules are empty on a healthy stack by design (their conditions are false);
# recording rules must produce a series once traffic flowed, except these:
QUIET_RECORDS: dict[str, str] = {}


def test_every_recording_rule_yields_a_series_after_traffic(stack: Stack) -> None:
    """After plain and streamed chats, every recording rule (SLIs for the reports) has a
    value in Prometheus: nothing the reports read is silently empty."""
    for n in range(5):
        chat(stack, f"record {n}")
        chat(stack, f"stream {n}", stream=True)
    assert stack.prometheus_url is not None
    groups = httpx.get(f"{stack.prometheus_url}/api/v1/rules", timeout=5).json()["data"]
    records = [
        str(r["name"]) for g in groups["groups"] for r in g["rules"] if r["type"] == "recording"
    ]
    assert records
    deadline = time.monotonic() + 30
    empty = set(records)
    while empty and time.monotonic() < deadline:
        empty = {name for name in empty if not query(stack, name)["data"]["result"]}
        time.sleep(1.0)
    assert empty <= QUIET_RECORDS.keys(), sorted(empty)


# Series that are absent on a healthy stack carrying a few plain chats, and why: a panel
# may be empty only when it reads one of these.
QUIET = {
    "chat_provider_time_to_first_token_seconds_bucket": "streams only; the test sends plain chats",
    "chat_provider_attempts_total": "the errors panel selects failed attempts: none here",
    "chat_provider_retries_total": "only under provider faults",
    "chat_provider_failovers_total": "only under provider faults",
    "chat_provider_short_circuits_total": "only with an open breaker",
    "chat_retry_budget_exhausted_total": "only under provider faults",
    "chat_breaker_transitions_total": "only when a breaker changes state",
    "chat_provider_hedges_total": "hedging is off on V3",
    "chat_stream_interruptions_total": "only when a stream is cut",
    "chat_cache_lookups_total": "the hit ratio needs repeated temperature-0 requests",
    "chat_dependency_failures_total": "only when Redis or the store fails",
    "chat_unpersisted_turns_total": "only when the store fails",
    "fake_llm_faults_injected_total": "only while a fake has faults configured",
    "chat_breaker_failures_at_open_bucket": "only when a breaker opens",
    "chat_breaker_failures_at_open_sum": "only when a breaker opens",
    "chat_breaker_failures_at_open_count": "only when a breaker opens",
    "chaoslab_client_requests_total": "the load generator's exporter: only during a run",
    "chaoslab_client_latency_seconds_bucket": "the load generator's exporter: only during a run",
    "chaoslab_client_ttft_seconds_bucket": "the load generator's exporter: only during a run",
    "chaoslab_client_stream_itl_p95_seconds_bucket": "the load generator's: only during a run",
    "chaoslab_client_stream_tokens_per_second_bucket": "the load generator's: only during a run",
    "chaoslab_client_streams_answered_total": "the load generator's: only during a run",
    "chaoslab_client_stream_tokens_total": "the load generator's: only during a run",
    "chaoslab_client_streams_total": "the load generator's: only during a run",
}


def test_every_dashboard_query_evaluates_without_error(stack: Stack) -> None:
    """Each Prometheus query of every dashboard panel runs on the live stack without an
    error, and returns data unless it reads a series listed in QUIET with its reason."""
    for n in range(3):
        chat(stack, f"dash {n}")
    time.sleep(2)  # a scrape after the traffic
    errors: list[str] = []
    unexplained: list[str] = []
    for path in DASHBOARDS:
        for title, kind, expr in dashboard_queries(json.loads(path.read_text())):
            if kind != "prometheus":
                continue
            body = query(stack, grafana_to_promql(expr))
            if body.get("status") != "success":
                errors.append(f"{title}: {body.get('error')}")
            elif not body["data"]["result"] and not metric_names(expr) & QUIET.keys():
                unexplained.append(f"{title}: {expr}")
    assert errors == []
    assert unexplained == []


def test_down_leaves_no_process_and_no_port(stack: Stack) -> None:
    """down() stops the supervisor, every replica (restarted ones too) and every server,
    and frees every port. (Last test: it stops the shared stack.)"""
    run_dir = Path(stack.stack_dir)
    down(run_dir)
    processes, ports = leftovers(read_stack(run_dir))
    assert processes == []
    assert ports == []
