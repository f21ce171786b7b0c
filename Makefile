# strata - GNU Make with pkg-config.  'make demo' and 'make test' are the
# two commands a newcomer runs; see README.md.
PKG_CONFIG ?= pkg-config
BUILD ?= build
PREFIX ?= /usr/local
PYTHON ?= /usr/bin/python3

WARN = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
       -Wmissing-prototypes -Wold-style-definition -Wpointer-arith \
       -Wwrite-strings -Wformat=2 -Wvla -Wundef -Wcast-align -fno-common
CFLAGS ?= -O2 -g
PKGS := sqlite3 nettle jansson
has = $(shell $(PKG_CONFIG) --exists $(1) 2>/dev/null && echo 1)
WITH_POSTGRES ?= $(if $(wildcard src/engines/postgres.c),$(call has,libpq))
# libpq is not linked: the engine loads it when a postgres:// URL is used
# (src/engines/postgres_dl.h), so only its header is needed to build.
ifeq ($(WITH_POSTGRES),1)
DEFS += -DSTRATA_WITH_POSTGRES $(shell $(PKG_CONFIG) --cflags libpq)
LIBS_DL = -ldl
endif
# The same for MariaDB Connector/C (src/engines/mysql_dl.h).
WITH_MYSQL ?= $(if $(wildcard src/engines/mysql.c),$(call has,libmariadb))
ifeq ($(WITH_MYSQL),1)
DEFS += -DSTRATA_WITH_MYSQL $(shell $(PKG_CONFIG) --cflags libmariadb)
LIBS_DL = -ldl
endif

ifdef SANITIZE # make SANITIZE=address,undefined
SAN = -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
endif

# Kept apart from CFLAGS so that 'make CFLAGS=-O0' cannot drop them.
ALL_CFLAGS = -std=c11 $(WARN) -Werror -fPIC -fvisibility=hidden $(SAN) $(CFLAGS)
ALL_CPPFLAGS = -D_DEFAULT_SOURCE -Iinclude -Isrc $(DEFS) $(PKG_CFLAGS) $(CPPFLAGS)
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) $(LIBS_DL)

LIB_SRC := $(wildcard src/*.c src/engines/names.c src/engines/sqlite*.c)
ifeq ($(WITH_POSTGRES),1)
LIB_SRC += $(wildcard src/engines/postgres*.c)
endif
ifeq ($(WITH_MYSQL),1)
LIB_SRC += $(wildcard src/engines/mysql*.c)
endif
CLI_SRC := $(wildcard cli/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BIN := $(BUILD)/strata

SONAME := libstrata.so.0
LIB_VERSION := 0.1.0
STATIC_LIB := $(BUILD)/libstrata.a
SHARED_LIB := $(BUILD)/libstrata.so.$(LIB_VERSION)

.PHONY: FORCE fuzz all lib deps deps-test demo test check unit e2e asan valgrind bench clean format \
	format-check install uninstall examples

all: $(BIN) lib

lib: $(STATIC_LIB) $(SHARED_LIB) $(BUILD)/strata.pc

# Installs what is missing (Debian/Ubuntu): 'deps' what the build and the
# demo need (no database server), 'deps-test' that and what the tests need.
deps:
	@sh scripts/deps.sh build

deps-test:
	@sh scripts/deps.sh test

# 'make V=1' shows the whole commands.
ifneq ($(V),1)
Q = @
SAY = @echo "  $(1)	$@";
endif

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(call SAY,CC)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libstrata-internal.a: $(LIB_OBJ)
	@rm -f $@
	$(call SAY,AR)$(AR) rcs $@ $^

# The installed static library is one relocatable object whose hidden
# symbols are made local, so short internal names cannot clash with an
# application's; only strata_* stays global.
$(STATIC_LIB): $(LIB_OBJ)
	$(call SAY,AR)$(LD) -r -o $(BUILD)/strata-all.o $(LIB_OBJ)
	$(Q)objcopy --localize-hidden $(BUILD)/strata-all.o
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $(BUILD)/strata-all.o

$(SHARED_LIB): $(LIB_OBJ)
	$(call SAY,LINK)$(CC) $(ALL_CFLAGS) -shared -Wl,-soname,$(SONAME) -o $@ $(LIB_OBJ) $(PKG_LIBS) $(LDFLAGS)
	$(Q)ln -sf libstrata.so.$(LIB_VERSION) $(BUILD)/$(SONAME)
	$(Q)ln -sf $(SONAME) $(BUILD)/libstrata.so

# PREFIX is written into the file: rewrite it whenever that changes ('make',
# then 'make install PREFIX=...'), replacing it only when it differs.
$(BUILD)/strata.pc: strata.pc.in Makefile FORCE
	@mkdir -p $(@D)
	@sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(LIB_VERSION)|g' \
	    -e 's|@REQUIRES@|$(PKGS)|g' strata.pc.in > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

FORCE:

$(BIN): $(CLI_OBJ) $(BUILD)/libstrata-internal.a
	$(call SAY,LINK)$(CC) $(ALL_CFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libstrata-internal.a $(PKG_LIBS) $(LDFLAGS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libstrata-internal.a
	@mkdir -p $(@D)
	$(call SAY,LINK)$(CC) $(ALL_CPPFLAGS) $(shell $(PKG_CONFIG) --cflags cmocka) $(ALL_CFLAGS) \
		-o $@ $(filter %.c,$^) $(BUILD)/libstrata-internal.a $(PKG_LIBS) \
		$(shell $(PKG_CONFIG) --libs cmocka) $(UNIT_LDFLAGS) $(LDFLAGS)

# The runner's tests run over an in-memory engine (tests/unit/fake_engine.c).
$(BUILD)/tests/test_runner: tests/unit/fake_engine.c tests/unit/fake_engine.h
# The allocation-failure pass: every allocation of our code goes through
# the test's wrappers, which fail the Nth one (tests/unit/test_oom.c).
$(BUILD)/tests/test_oom: UNIT_LDFLAGS = \
	-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup

# examples/app, built against this tree (see examples/app/README.md).
examples: $(BIN) $(STATIC_LIB)
	$(MAKE) -C examples/app IN_TREE=1 STRATA_BUILD=$(abspath $(BUILD)) \
		STRATA=$(abspath $(BIN)) BUILD=$(abspath $(BUILD))/examples/app \
		CFLAGS='$(CFLAGS) $(SAN)'

demo: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh $(BIN)

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

# The end-to-end suite runs on SQLite files and, inside a throwaway
# PostgreSQL cluster that the script starts and stops, on PostgreSQL.
ifeq ($(WITH_POSTGRES),1)
WITH_SERVERS = bash scripts/with-postgres.sh
endif
ifeq ($(WITH_MYSQL),1)
WITH_SERVERS += bash scripts/with-mariadb.sh
endif
e2e: $(BIN)
	$(WITH_SERVERS) env STRATA_BIN=$(abspath $(BIN)) $(PYTHON) -m pytest -q -p no:cacheprovider tests/e2e $(PYTEST_ARGS)

# The splitters' fuzz targets (clang's libFuzzer), 60 seconds each by default.
FUZZ_TIME ?= 60
FUZZ_CC = clang -g -O1 -std=c11 -D_DEFAULT_SOURCE -Isrc -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all
fuzz:
	@mkdir -p $(BUILD)/fuzz/corpus $(BUILD)/fuzz/corpus_mysqlsplit
	$(FUZZ_CC) -o $(BUILD)/fuzz/fuzz_sqlsplit tests/fuzz/fuzz_sqlsplit.c src/sqlsplit.c
	$(FUZZ_CC) -o $(BUILD)/fuzz/fuzz_mysqlsplit tests/fuzz/fuzz_mysqlsplit.c src/mysqlsplit.c
	$(BUILD)/fuzz/fuzz_sqlsplit -max_total_time=$(FUZZ_TIME) -max_len=4096 $(BUILD)/fuzz/corpus tests/fuzz/corpus
	$(BUILD)/fuzz/fuzz_mysqlsplit -max_total_time=$(FUZZ_TIME) -max_len=4096 \
		$(BUILD)/fuzz/corpus_mysqlsplit tests/fuzz/corpus_mysqlsplit

# The URL parser and masker (tests/fuzz/fuzz_url.c): the password never
# shows in the masked text.  'make fuzz' runs it too.
.PHONY: fuzz-url
fuzz: fuzz-url
fuzz-url:
	@mkdir -p $(BUILD)/fuzz/corpus_url
	clang -g -O1 -std=c11 -D_DEFAULT_SOURCE -Iinclude -Isrc -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $(BUILD)/fuzz/fuzz_url tests/fuzz/fuzz_url.c src/url.c src/err.c src/sb.c \
		src/engines/names.c
	$(BUILD)/fuzz/fuzz_url -max_total_time=$(FUZZ_TIME) -max_len=1024 $(BUILD)/fuzz/corpus_url tests/fuzz/corpus_url

# The migration file parser (src/parse.c) and what it needs, nothing more.
FUZZ_PARSE_SRC = tests/fuzz/fuzz_parse.c src/parse.c src/err.c src/sb.c src/checksum.c
.PHONY: fuzz-parse
fuzz: fuzz-parse
fuzz-parse:
	@mkdir -p $(BUILD)/fuzz/corpus_parse
	clang -g -O1 -std=c11 -D_DEFAULT_SOURCE -Iinclude -Isrc -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o $(BUILD)/fuzz/fuzz_parse $(FUZZ_PARSE_SRC) \
		$(shell $(PKG_CONFIG) --cflags --libs nettle)
	$(BUILD)/fuzz/fuzz_parse -max_total_time=$(FUZZ_TIME) -max_len=4096 \
		$(BUILD)/fuzz/corpus_parse tests/fuzz/corpus_parse

# The whole suite: plain build, then again under ASan + UBSan.
test: deps-test
	@$(MAKE) --no-print-directory unit e2e
	@$(MAKE) --no-print-directory asan

asan:
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$(MAKE) --no-print-directory BUILD=build/asan SANITIZE=address,undefined unit e2e

check: test

valgrind: $(BIN)
	sh scripts/valgrind.sh $(BIN)

bench: $(BIN)
	sh bench/run.sh $(BIN)

FORMATTED = $(wildcard src/*.c src/*.h src/engines/*.c src/engines/*.h cli/*.c cli/*.h \
	      tests/unit/*.c include/*.h)
format:
	clang-format -i $(FORMATTED)

format-check:
	clang-format --dry-run --Werror $(FORMATTED)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib \
		$(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man3 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/strata
	install -m 0644 $(STATIC_LIB) $(DESTDIR)$(PREFIX)/lib/libstrata.a
	install -m 0755 $(SHARED_LIB) $(DESTDIR)$(PREFIX)/lib/libstrata.so.$(LIB_VERSION)
	ln -sf libstrata.so.$(LIB_VERSION) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/libstrata.so
	install -m 0644 include/strata.h $(DESTDIR)$(PREFIX)/include/strata.h
	install -m 0644 $(BUILD)/strata.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/strata.pc
	install -m 0644 docs/strata.1 $(DESTDIR)$(PREFIX)/share/man/man1/strata.1
	install -m 0644 docs/strata.3 $(DESTDIR)$(PREFIX)/share/man/man3/strata.3
	install -m 0644 contrib/strata.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/strata

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/strata $(DESTDIR)$(PREFIX)/lib/libstrata.a \
		$(DESTDIR)$(PREFIX)/lib/libstrata.so.$(LIB_VERSION) \
		$(DESTDIR)$(PREFIX)/lib/$(SONAME) $(DESTDIR)$(PREFIX)/lib/libstrata.so \
		$(DESTDIR)$(PREFIX)/include/strata.h $(DESTDIR)$(PREFIX)/lib/pkgconfig/strata.pc \
		$(DESTDIR)$(PREFIX)/share/man/man1/strata.1 $(DESTDIR)$(PREFIX)/share/man/man3/strata.3 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/strata

clean:
	rm -rf build

# The engine registry changes with the engines built in.
$(BUILD)/src/engine.o: $(wildcard src/engines/postgres.c src/engines/mysql.c)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
