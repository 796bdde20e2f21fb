# The benchmark's quick mode (~20 s of small samples, BENCH_QUICK=1 in
# bench/run.sh): a smoke test of bench/ itself after a change, used by
# nothing in CI. Its numbers are too few to quote: use `make bench`.
#
#   make bench-startup   only the start-up and memory part (bench/startup.sh,
#                        bench/results-startup.md), ~2 minutes
#   make bench-steps     capinit's own start-up steps, timed inside a
#                        throw-away instrumented build (bench/steps/)
.PHONY: bench-quick bench-startup bench-steps
bench-quick: build/capinit
	BENCH_QUICK=1 bench/run.sh

bench-startup: build/capinit
	bench/startup.sh

bench-steps:
	$(PYTHON) bench/steps/steps.py
	$(PYTHON) bench/steps/steps.py --pid1
	$(PYTHON) bench/steps/steps.py --spec
