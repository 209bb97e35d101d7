"""The benchmark suite run by tools/bench (issue 5): peers, benchmarks,
results and plots. See docs/BENCHMARKS.md."""
