# The two commands of the README:
#   make run    local Kafka + gateway on SQLite, ready to accept data (Ctrl-C stops both)
#   make test   the whole test suite (lint, types, tests on SQLite and PostgreSQL, real Kafka)
.PHONY: run test bootstrap bench schemas

run: bootstrap
	.venv/bin/flexgw dev

test:
	scripts/test

bootstrap:
	scripts/bootstrap

schemas: bootstrap
	.venv/bin/python -m schemas.export

bench: bootstrap
	.venv/bin/python bench/run_all.py
