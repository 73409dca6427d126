# mlsql: PGXS build.  `make`, `make install`, `make installcheck` (pg_regress),
# `make unittest` (C unit tests of src/core and src/algo, no server).
# Extra warnings are ours; CI adds -Werror through PG_CFLAGS on the command line.

EXTENSION = mlsql
EXTVERSION = 0.1.0
MODULE_big = mlsql
DATA = sql/mlsql--$(EXTVERSION).sql

CORE_SRCS = $(wildcard src/core/*.c) $(wildcard src/algo/*.c) $(wildcard src/ensemble/*.c)
PG_SRCS = $(wildcard src/pg/*.c)
OBJS = $(CORE_SRCS:.c=.o) $(PG_SRCS:.c=.o)

REGRESS = install train predict evaluate deploy errors preprocess data registry learners gbdt ensemble search aggregate
REGRESS_OPTS = --load-extension=mlsql

BLAS_CFLAGS := $(shell pkg-config --cflags openblas)
BLAS_LIBS := $(shell pkg-config --libs openblas)

PG_CONFIG ?= pg_config
# PostgreSQL's headers as system headers: their own -Wextra warnings are not ours
PG_CPPFLAGS = $(BLAS_CFLAGS) -I$(srcdir)/src -isystem $(shell $(PG_CONFIG) --includedir-server)
SHLIB_LINK = $(BLAS_LIBS) -lm -lpthread
override PG_CFLAGS += -Wall -Wextra

EXTRA_CLEAN = test/unit/run

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

srcdir ?= .

UNIT_CFLAGS = -O2 -g -std=gnu11 -Wall -Wextra $(PG_CFLAGS) $(BLAS_CFLAGS) -Isrc

test/unit/run: $(CORE_SRCS) $(wildcard src/core/*.h) $(wildcard test/unit/*.c) $(wildcard test/unit/*.h)
	$(CC) $(UNIT_CFLAGS) -o $@ $(CORE_SRCS) $(wildcard test/unit/*.c) $(BLAS_LIBS) -lm -lpthread

unittest: test/unit/run
	test/unit/run

.PHONY: unittest

# PGXS tracks no header dependencies without --enable-depend: rebuild on any header change
$(OBJS): $(wildcard src/core/*.h) $(wildcard src/algo/*.h) $(wildcard src/ensemble/*.h) $(wildcard src/pg/*.h)
