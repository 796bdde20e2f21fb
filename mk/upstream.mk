# tini's and dumb-init's own test suites against build/capinit (issue 9).
#   make test-upstream        what CI runs (scripts/test.sh stage "upstream")
#   make test-upstream-real   the same harness against the real tools
.PHONY: test-upstream test-upstream-real

test-upstream: build/capinit
	scripts/install-upstream-deps.sh
	tests/upstream/run.sh capinit

test-upstream-real:
	scripts/install-upstream-deps.sh
	tests/upstream/run.sh real
