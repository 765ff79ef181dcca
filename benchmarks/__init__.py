"""Benchmarks: each ``bench_<name>.py`` exposes ``main(argv) -> int`` and prints its figures
as ratios against a baseline measured in the same run."""
