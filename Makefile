# The README's two commands are `make run` and `make test`.
.PHONY: run test setup lint bench clean

run: setup
	.venv/bin/yuqing run

test:
	bash scripts/test.sh

setup:
	bash scripts/setup.sh

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy && .venv/bin/lint-imports

bench: setup
	.venv/bin/python bench/analysis.py && .venv/bin/python bench/crawl.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
