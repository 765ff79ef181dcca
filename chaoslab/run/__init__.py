"""Running an experiment: Locust processes, the fault timeline, live stats, the run directory."""
