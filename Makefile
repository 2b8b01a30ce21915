# The two commands: `make run` starts Probity with a demo; `make test` runs the whole suite.
.PHONY: run test install bench

run:
	./scripts/run.sh

test:
	./scripts/test.sh

install:
	./scripts/install.sh

bench:
	./scripts/install.sh
	.venv/bin/python -m bench.run_all
