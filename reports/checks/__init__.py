"""The LLM-aware checks, one module each: thresholds from the phase file's ``checks``
table, judged on the run.

Each check gives one ``LlmCheck`` per span it judges (the whole run, or each fault window):

- ``max_attempts_per_request``: upstream attempts per client request (the fakes' count by
  request id, or the service's histogram; the larger when both exist) in every window;
- ``breaker_opens_within_failures``: for every provider a fault took out, each replica's
  breaker opened after at most k failures (the service's ``chat_breaker_failures_at_open``);
  a replica that absorbed more than k failures without opening fails;
- ``failover_s``: from a provider fault's start to the first answer another provider served;
- ``mixed_answers``: no answer holds text from two providers (the fakes mark their tokens);
  it has no threshold: it applies to every phase;
- ``burn_rate``: the SRE workbook's multi-window burn-rate rule scaled to the run's length.

A threshold the phase does not set is "not applicable"; a check whose trigger never happened
(no provider fault, no breaker-worthy failures, no marked answer...) is "not exercised":
neither is a pass. A failed check breaches the run (exit code 1), like a failed target.
"""

from __future__ import annotations

from reports.checks.attempts import attempts_check, attempts_checks
from reports.checks.breaker import breaker_checks, breaker_reactions
from reports.checks.burn import burn_check, burn_rate
from reports.checks.common import faulted_providers, step_of
from reports.checks.failover import failover_checks, failover_times
from reports.checks.mixed import mixed_check

__all__ = [
    "attempts_check",
    "attempts_checks",
    "breaker_checks",
    "breaker_reactions",
    "burn_check",
    "burn_rate",
    "failover_checks",
    "failover_times",
    "faulted_providers",
    "mixed_check",
    "step_of",
]
