"""The ``chaoslab`` command line.

Each command lives in its own module and is imported only when it runs (or when
``--help`` lists it), so that ``chaoslab --help`` stays fast and a command's heavy
dependencies never load for another. Register a command by adding one line to
``_COMMANDS``: ``name -> "module:attribute"``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import Any

import click

from lab import __version__

__all__ = ["EXIT_INTERNAL", "main"]

EXIT_INTERNAL = 4
"""An internal error: never 1, which means a target was breached."""

_COMMANDS: dict[str, str] = {
    "capacity": "chaoslab.cli.capacity:capacity",
    "compare": "chaoslab.cli.compare:compare",
    "doctor": "chaoslab.cli.doctor:doctor",
    "down": "chaoslab.cli.down:down",
    "fake": "chaoslab.cli.fake:fake",
    "phases": "chaoslab.cli.phases:phases",
    "report": "chaoslab.cli.report:report",
    "runs": "chaoslab.cli.runs:runs",
    "run": "chaoslab.cli.run:run",
    "scenarios": "chaoslab.cli.scenarios:scenarios",
    "spof": "chaoslab.cli.spof:spof",
    "status": "chaoslab.cli.status:status",
    "toxiproxy": "chaoslab.cli.toxiproxy:toxiproxy",
    "up": "chaoslab.cli.up:up",
}


class _LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        present = {
            name
            for name, target in _COMMANDS.items()
            if importlib.util.find_spec(target.partition(":")[0]) is not None
        }
        return sorted(set(super().list_commands(ctx)) | present)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """As click's, but a usage error is one line naming the command, then exit 2."""
        if kwargs.get("standalone_mode", True) is False:
            return super().main(*args, **kwargs)
        try:
            result = super().main(*args, **{**kwargs, "standalone_mode": False})
        except click.UsageError as error:
            if type(error).__name__ == "NoArgsIsHelpError":  # bare `chaoslab`: the help
                error.show()
                sys.exit(error.exit_code)
            where = error.ctx.command_path if error.ctx is not None else "chaoslab"
            message = " ".join(error.format_message().split())
            click.echo(f"{where}: {message} (see {where} --help)", err=True)
            sys.exit(error.exit_code)
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(130)
        except Exception as error:  # a bug: one line and exit 4 (1 means "breached")
            if os.environ.get("CHAOSLAB_DEBUG"):
                raise
            first = str(error).splitlines()[0] if str(error) else ""
            click.echo(
                f"chaoslab: internal error: {type(error).__name__}: {first} "
                "(set CHAOSLAB_DEBUG=1 for the traceback)",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)
        sys.exit(result if isinstance(result, int) else 0)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):  # pragma: no cover - programming error
            raise TypeError(f"{target} is not a click command")
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="chaoslab")
def main() -> None:
    """Chaos and load-testing lab for an LLM chat API.

    \b
    Example:
      chaoslab up --phase v3                                  # start a phase's stack
      chaoslab run --phase v3 --scenario provider-outage --duration 60s
      chaoslab report --gate                                  # the newest run's verdict
      chaoslab down

    Flags mean the same on every command (README: "Flags"); `chaoslab doctor` says what
    this machine can run.
    """
