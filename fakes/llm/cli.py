"""The ``fake`` click command (``chaoslab fake`` and ``python -m fakes.llm`` both run it)."""

from __future__ import annotations

import os
from pathlib import Path

import click

__all__ = ["fake"]


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("vendor", type=click.Choice(["openai", "anthropic"]))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    required=True,
    help="TCP port to listen on.",
)
@click.option(
    "--faults",
    "faults_arg",
    metavar="FILE|JSON",
    default=None,
    help="Faults to start with: a JSON or YAML (.yaml/.yml) file, or inline JSON ('{...}').",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**63 - 1),
    default=0,
    show_default=True,
    help="Seed of the answer text and of the fault draws.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="granian worker processes (each keeps its own fault state and metrics).",
)
@click.option(
    "--models",
    "models_arg",
    metavar="NAMES",
    default=None,
    help="Comma-separated model names served; any other is the vendor's 404 "
    "(default: the vendor's list, see GET /v1/models). Add '*' to serve any name.",
)
@click.option(
    "--header-timeout",
    type=click.FloatRange(0.001, 3600.0),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="Close a connection whose request head is not complete within this time "
    "(one that sends nothing, stops mid-head, or idles between requests).",
)
@click.option(
    "--request-log",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="PATH",
    help="Append one JSON line per chat request to this file (when it arrived, the caller's "
    "x-request-id, status, outcome, tokens sent, latency); env FAKE_LLM_REQUEST_LOG.",
)
@click.option(
    "--mark",
    type=click.IntRange(0, 15),
    default=None,
    metavar="N",
    help="Mark every answer piece with two invisible characters encoding N (0..15), so a "
    "client can tell which fake wrote a text; env FAKE_LLM_MARK.",
)
@click.option(
    "--baseline-latency",
    default=None,
    metavar="JSON",
    help="The fake's normal speed: a latency section (as in the fault API) used whenever the "
    "fault configuration sets no latency, kept across resets; env FAKE_LLM_BASELINE_LATENCY.",
)
@click.option(
    "--profile",
    "profile_name",
    default=None,
    metavar="NAME",
    help="Provider profile: the fake's normal speed and answer lengths drawn per request "
    "(instant, small-hosted, small-hosted-b, large-hosted; default instant); "
    "env FAKE_LLM_PROFILE.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="warning",
    show_default=True,
    help="granian's log level.",
)
def fake(
    vendor: str,
    host: str,
    port: int,
    faults_arg: str | None,
    seed: int,
    workers: int,
    models_arg: str | None,
    header_timeout: float,
    request_log: Path | None,
    mark: int | None,
    baseline_latency: str | None,
    profile_name: str | None,
    log_level: str,
) -> None:
    """Serve a fake OpenAI- or Anthropic-compatible LLM API with a runtime fault API.

    The vendor API is at the root (OpenAI: base URL http://HOST:PORT/v1, Anthropic:
    http://HOST:PORT); faults are set at runtime under /_fake (see fakes/llm/README.md)
    and metrics are at /metrics.

    \b
    Example:
      chaoslab fake openai --port 9001 --seed 7
      chaoslab fake anthropic --port 9002 --faults faults.yaml
      chaoslab fake openai --port 9003 --faults '{"outage": {"duration_s": 60}}'
      chaoslab fake openai --port 9004 --models gpt-4o-mini,gpt-4o
      chaoslab fake openai --port 9005 --request-log requests.jsonl --mark 1
      chaoslab fake openai --port 9006 --baseline-latency '{"ttft": 150, "per_token": 12}'
      chaoslab fake openai --port 9007 --profile small-hosted
      curl -X PUT localhost:9001/_fake/faults -d '{"errors": {"rate": 0.1}}'
    """
    import msgspec  # imported here to keep `--help` fast

    from fakes.llm.app import ENV_BASELINE, ENV_MARK, ENV_PROFILE, ENV_REQUEST_LOG
    from fakes.llm.faults import decode_config, decode_latency
    from fakes.llm.listen import host_problem, listen_problem, url
    from fakes.llm.profiles import profile_named
    from fakes.llm.serve import read_faults, serve

    bad_host = host_problem(host)
    if bad_host is not None:
        raise click.BadParameter(bad_host, param_hint="--host")
    config = None
    if faults_arg is not None and faults_arg.lstrip().startswith("{"):
        try:
            config = decode_config(faults_arg)
        except msgspec.DecodeError as exc:
            raise click.BadParameter(str(exc), param_hint="--faults") from exc
    elif faults_arg is not None:
        faults_path = Path(faults_arg)
        try:
            config = read_faults(faults_path)
        except OSError as exc:
            raise click.BadParameter(
                f"cannot read {faults_path}: {exc.strerror}", param_hint="--faults"
            ) from exc
        except (msgspec.DecodeError, ValueError) as exc:
            message = " ".join(str(exc).split())  # one line, whatever the parser said
            raise click.BadParameter(f"{faults_path}: {message}", param_hint="--faults") from exc
    models = None
    if models_arg is not None:
        models = [name.strip() for name in models_arg.split(",") if name.strip()]
        if not models:
            raise click.BadParameter("name at least one model (or '*')", param_hint="--models")
    if request_log is not None:
        try:
            with request_log.open("ab"):
                pass
        except OSError as exc:
            raise click.BadParameter(
                f"cannot append to {request_log}: {exc.strerror}", param_hint="--request-log"
            ) from exc
    problem = listen_problem(host, port)
    if problem is not None:
        raise click.UsageError(problem)
    # granian's workers build the app from the environment (``app.from_env``)
    if request_log is not None:
        os.environ[ENV_REQUEST_LOG] = str(request_log.resolve())
    if mark is not None:
        os.environ[ENV_MARK] = str(mark)
    if baseline_latency is not None:
        try:
            decode_latency(baseline_latency)
        except (msgspec.DecodeError, ValueError) as exc:
            message = " ".join(str(exc).split())
            raise click.BadParameter(message, param_hint="--baseline-latency") from exc
        os.environ[ENV_BASELINE] = baseline_latency
    if profile_name is not None:
        try:
            profile_named(profile_name)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--profile") from exc
        os.environ[ENV_PROFILE] = profile_name
    click.echo(f"fake {vendor} listening on {url(host, port)} (seed {seed})")
    serve(
        vendor,  # type: ignore[arg-type]
        host=host,
        port=port,
        seed=seed,
        faults=config,
        workers=workers,
        log_level=log_level,
        header_timeout_s=header_timeout,
        models=models,
    )
