# The benchmark's quick mode (~20 s of small samples, BENCH_QUICK=1 in
# bench/run.sh): a smoke test of bench/ itself after a change, used by
# nothing in CI. Its numbers are too few to quote: use `make bench`.
.PHONY: bench-quick
bench-quick: build/capinit
	BENCH_QUICK=1 bench/run.sh
