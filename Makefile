# mlsql: PGXS build.  `make`, `make install`, `make installcheck` (pg_regress),
# `make unittest` (C unit tests of src/core and src/algo, no server),
# `make sanitize-installcheck` (pg_regress under ASan + UBSan, private server).
# Extra warnings are ours; CI adds -Werror through PG_CFLAGS on the command line.

EXTENSION = mlsql
EXTVERSION = 0.3.0
MODULE_big = mlsql
# A fresh install of $(EXTVERSION) is mlsql--0.2.0.sql followed by the upgrade
# scripts: CREATE EXTENSION finds that path, so installs and upgrades match.
DATA = sql/mlsql--0.1.0.sql sql/mlsql--0.2.0.sql sql/mlsql--0.1.0--0.2.0.sql \
	sql/mlsql--0.2.0--0.3.0.sql

CORE_SRCS = $(wildcard src/core/*.c) $(wildcard src/algo/*.c) $(wildcard src/ensemble/*.c)
PG_SRCS = $(wildcard src/pg/*.c)
OBJS = $(CORE_SRCS:.c=.o) $(PG_SRCS:.c=.o)

REGRESS = install train predict evaluate deploy errors preprocess data registry learners gbdt ensemble search aggregate hostile security trust loud distribute engine bytes
REGRESS_OPTS = --load-extension=mlsql
# no progress NOTICE in expected outputs, however slow the machine
installcheck: export PGOPTIONS := $(PGOPTIONS) -c mlsql.progress=0

BLAS_CFLAGS := $(shell pkg-config --cflags openblas)
BLAS_LIBS := $(shell pkg-config --libs openblas)

PG_CONFIG ?= pg_config
# PostgreSQL's headers as system headers: their own -Wextra warnings are not ours
PG_CPPFLAGS = $(BLAS_CFLAGS) -I$(srcdir)/src -isystem $(shell $(PG_CONFIG) --includedir-server)
SHLIB_LINK = $(BLAS_LIBS) -lm -lpthread
override PG_CFLAGS += -Wall -Wextra
# Only the fmgr entry points, their info functions, the magic block and
# _PG_init are exported (PostgreSQL loads modules with RTLD_GLOBAL: another
# library's crc32c or json_parse must not replace ours, nor ours theirs).
# PostgreSQL 15 leaves PGDLLEXPORT empty off Windows; src/pg/mlsql_pg.h
# declares the entry points themselves with it.
override PG_CFLAGS += -fvisibility=hidden
PG_CPPFLAGS += -D'PGDLLEXPORT=__attribute__((visibility("default")))'

EXTRA_CLEAN = test/unit/run test/unit/run_asan $(addprefix test/fuzz/fuzz_,model aggstate params space xgboost engine)

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

srcdir ?= .

UNIT_CFLAGS = -O2 -g -std=gnu11 -Wall -Wextra $(PG_CFLAGS) $(BLAS_CFLAGS) -Isrc

test/unit/run: $(CORE_SRCS) $(wildcard src/core/*.h) $(wildcard test/unit/*.c) $(wildcard test/unit/*.h)
	$(CC) $(UNIT_CFLAGS) -o $@ $(CORE_SRCS) $(wildcard test/unit/*.c) $(BLAS_LIBS) -lm -lpthread

unittest: test/unit/run
	test/unit/run

.PHONY: unittest

# Sanitizers and memcheck for the C unit tests (no server needed)
test/unit/run_asan: $(CORE_SRCS) $(wildcard src/core/*.h) $(wildcard test/unit/*.c) $(wildcard test/unit/*.h)
	clang -O1 -g -std=gnu11 -fsanitize=address,undefined -fno-sanitize-recover=undefined \
		-fno-omit-frame-pointer $(BLAS_CFLAGS) -Isrc -o $@ $(CORE_SRCS) $(wildcard test/unit/*.c) $(BLAS_LIBS) -lm -lpthread

sanitize: test/unit/run_asan
	ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 test/unit/run_asan

valgrind: test/unit/run
	valgrind -q --error-exitcode=9 --leak-check=no test/unit/run

# The pg_regress suite (REGRESS) against an mlsql.so built with the same
# sanitizers, in a private copy of the server started with the ASan runtime
# preloaded; installs nothing outside a temporary directory
# the regress tests, for the test command's plan
print-regress:
	@echo $(REGRESS)

.PHONY: print-regress

sanitize-installcheck:
	PG_CONFIG=$(PG_CONFIG) test/sanitize_regress.sh

# libFuzzer targets (clang): the model reader, ml_fit states, params, spaces,
# XGBoost JSON models (ml_import_xgboost), the aggregate engine's configs and states
FUZZ_TARGETS = model aggstate params space xgboost engine
FUZZ_SECONDS ?= 60
fuzz_id = $(if $(filter model,$(1)),1,$(if $(filter aggstate,$(1)),2,$(if $(filter params,$(1)),3,$(if $(filter space,$(1)),4,$(if $(filter xgboost,$(1)),5,6)))))

test/fuzz/fuzz_%: test/fuzz/fuzz.c $(CORE_SRCS) $(wildcard src/core/*.h)
	clang -O1 -g -std=gnu11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-DFUZZ_TARGET=$(call fuzz_id,$*) $(BLAS_CFLAGS) -Isrc -o $@ test/fuzz/fuzz.c $(CORE_SRCS) $(BLAS_LIBS) -lm -lpthread

fuzz: $(addprefix test/fuzz/fuzz_,$(FUZZ_TARGETS))

# each target FUZZ_SECONDS seconds from a seed corpus; a crash is a "not ok"
# line and its input is kept in test/fuzz/crashes
fuzz-run: fuzz
	@mkdir -p test/fuzz/crashes; \
	echo "1..$(words $(FUZZ_TARGETS))"; \
	for t in $(FUZZ_TARGETS); do \
		c=$$(mktemp -d /tmp/mlsql-fuzz-$$t.XXXXXX); \
		cp test/fuzz/regressions/$$t-* $$c/ 2>/dev/null || true; \
		if ! MLSQL_FUZZ_SEEDS=$$c test/fuzz/fuzz_$$t >/dev/null 2>&1 || [ -z "$$(ls $$c)" ]; then \
			echo "not ok - fuzz/$$t: writing the seed corpus failed"; rm -rf $$c; continue; \
		fi; \
		if test/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -max_len=65536 \
			-artifact_prefix=test/fuzz/crashes/$$t- $$c >$$c.log 2>&1; then \
			echo "ok - fuzz/$$t: $$(grep -o 'Done [0-9]* runs in [0-9]* second(s)' $$c.log)"; \
		else \
			echo "not ok - fuzz/$$t: see test/fuzz/crashes"; tail -30 $$c.log; \
		fi; \
		rm -rf $$c $$c.log; \
	done

.PHONY: sanitize sanitize-installcheck valgrind fuzz fuzz-run

# PGXS tracks no header dependencies without --enable-depend: rebuild on any header change
$(OBJS): $(wildcard src/core/*.h) $(wildcard src/algo/*.h) $(wildcard src/ensemble/*.h) $(wildcard src/pg/*.h)
