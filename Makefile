# One plain Makefile. `make` builds, `make run` runs the whole system on a
# project-local PostgreSQL cluster, `make test` runs every test (sanitizer
# build), `make bench` prints throughput and latency figures.
#
# SAN=1 builds with AddressSanitizer + UndefinedBehaviorSanitizer into build/san.

SAN ?= 0
ifeq ($(SAN),1)
  B := build/san
  OPT := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
  B := build/release
  OPT := -O2 -g
endif
GEN := build/gen

PKGS := libczmq libzmq libprotobuf-c libpq libcrypto jansson libmicrohttpd libsodium
CC ?= cc
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS := -std=gnu11 $(OPT) -Wall -Wextra -Werror -Wno-missing-field-initializers \
          -I$(GEN) -Ilib -Igateway/client -Igateway/shep \
          -Iservices/registries/gbdfl -Iservices/registries/enis -Iservices/registries/queue \
          -Igateway/regional -Iservices/leb -Iservices/intake -Iservices/portal
LDLIBS = $(PKG_LIBS) -lpthread -lm
LDFLAGS := $(filter -fsanitize=%,$(OPT))

PROTOS := $(wildcard proto/*.proto)
PROTO_C := $(patsubst proto/%.proto,$(GEN)/%.pb-c.c,$(PROTOS))
PROTO_H := $(PROTO_C:.c=.h)

# Schemas are embedded in the binaries so a service can set up its own database.
SCHEMA_C := $(GEN)/shep_schema.c $(GEN)/gbdfl_schema.c $(GEN)/enis_schema.c $(GEN)/sink_schema.c \
            $(GEN)/shep_participant_schema.c $(GEN)/queue_schema.c $(GEN)/queue_places.c

SHEP_SRC := $(filter-out %_main.c,$(wildcard gateway/shep/*.c))
# The gateway's classes are in the library too: a service's selftest starts
# an in-process gateway and talks to it over the wire.
LIB_SRC := $(wildcard lib/*.c) $(wildcard gateway/client/*.c) $(SHEP_SRC)
GBDFL_SRC := $(filter-out %_main.c,$(wildcard services/registries/gbdfl/*.c))
ENIS_SRC := $(filter-out %_main.c,$(wildcard services/registries/enis/*.c))
QUEUE_SRC := $(filter-out %_main.c,$(wildcard services/registries/queue/*.c))

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

LIB_OBJ := $(call obj,$(LIB_SRC) $(PROTO_C) $(SCHEMA_C))
SHEP_OBJ := $(call obj,$(SHEP_SRC))
GBDFL_OBJ := $(call obj,$(GBDFL_SRC))
ENIS_OBJ := $(call obj,$(ENIS_SRC))
QUEUE_OBJ := $(call obj,$(QUEUE_SRC))

# Services of the diagrams: built once their folder has a main.
DIAGRAM_SERVICES := $(foreach d,gateway/regional services/leb services/intake services/portal,\
    $(if $(wildcard $(d)/*_main.c),$(notdir $(d))))

BINS := $(B)/bin/shep $(B)/bin/gbdfl $(B)/bin/enis $(B)/bin/queue $(B)/bin/egovctl \
        $(addprefix $(B)/bin/,$(DIAGRAM_SERVICES)) \
        $(B)/bin/egov-selftest $(B)/bin/shep-sink $(B)/bin/shep-bench $(B)/bin/shep-probe $(B)/bin/cms-bench

.PHONY: all run stop test bench deps clean selftest fuzz
.SECONDARY:

all: deps-check $(BINS)

deps-check:
	@deploy/install-deps.sh --check-build

deps:
	deploy/install-deps.sh

$(GEN)/%.pb-c.c $(GEN)/%.pb-c.h: proto/%.proto
	@mkdir -p $(GEN)
	@echo "  PROTO $<"
	@protoc-c --proto_path=proto --c_out=$(GEN) $<

$(GEN)/shep_schema.c: gateway/shep/schema.sql
	@mkdir -p $(GEN)
	@deploy/embed.sh shep_schema_sql $< > $@
$(GEN)/gbdfl_schema.c: services/registries/gbdfl/schema.sql
	@mkdir -p $(GEN)
	@deploy/embed.sh gbdfl_schema_sql $< > $@
$(GEN)/enis_schema.c: services/registries/enis/schema.sql
	@mkdir -p $(GEN)
	@deploy/embed.sh enis_schema_sql $< > $@
$(GEN)/queue_schema.c: services/registries/queue/schema.sql
	@mkdir -p $(GEN)
	@deploy/embed.sh queue_schema_sql $< > $@
$(GEN)/queue_places.c: services/registries/queue/places.sql
	@mkdir -p $(GEN)
	@deploy/embed.sh queue_places_sql $< > $@
$(GEN)/shep_participant_schema.c: gateway/client/shep_participant.sql
	@mkdir -p $(GEN)
	@deploy/embed.sh shep_participant_schema_sql $< > $@
$(GEN)/sink_schema.c: tests/sink_schema.sql
	@mkdir -p $(GEN)
	@deploy/embed.sh sink_schema_sql $< > $@

$(B)/obj/%.o: %.c $(PROTO_H)
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(B)/libegov.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/bin/shep: $(call obj,gateway/shep/shep_main.c) $(SHEP_OBJ) $(B)/libegov.a
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/bin/gbdfl: $(call obj,services/registries/gbdfl/gbdfl_main.c) $(GBDFL_OBJ) $(B)/libegov.a
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/bin/enis: $(call obj,services/registries/enis/enis_main.c) $(ENIS_OBJ) $(B)/libegov.a
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/bin/queue: $(call obj,services/registries/queue/queue_main.c) $(QUEUE_OBJ) $(B)/libegov.a
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# bin/NAME from its folder: NAME_main.c plus the folder's classes
#  (and its schema.sql embedded as NAME_schema_sql when it has one)
define diagram_service
$(B)/bin/$(notdir $(1)): $(call obj,$(wildcard $(1)/*.c)) $(if $(wildcard $(1)/schema.sql),$(B)/obj/$(GEN)/$(notdir $(1))_schema.o) $(B)/libegov.a
	@mkdir -p $$(dir $$@)
	@echo "  LD $$@"
	@$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
$(GEN)/$(notdir $(1))_schema.c: $(1)/schema.sql
	@mkdir -p $(GEN)
	@deploy/embed.sh $(notdir $(1))_schema_sql $$< > $$@
endef
DIAGRAM_CLASS_OBJ := $(foreach d,gateway/regional services/leb services/intake services/portal,\
    $(call obj,$(filter-out %_main.c,$(wildcard $(d)/*.c))) \
    $(if $(wildcard $(d)/schema.sql),$(B)/obj/$(GEN)/$(notdir $(d))_schema.o))
$(foreach d,gateway/regional services/leb services/intake services/portal,$(eval $(call diagram_service,$(d))))

# egovctl alone reads YAML scenarios and calls HTTP APIs
$(B)/bin/egovctl: $(call obj,$(wildcard tools/egovctl/*.c)) $(B)/libegov.a
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs yaml-0.1 libcurl 2>/dev/null)
$(B)/bin/shep-sink: $(call obj,tests/shep_sink.c) $(B)/libegov.a
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/bin/shep-probe: $(call obj,tests/shep_probe.c) $(B)/libegov.a
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/bin/cms-bench: $(call obj,tests/cms_bench.c) $(B)/libegov.a
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/bin/shep-bench: $(call obj,tests/shep_bench.c) $(B)/libegov.a
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(B)/bin/egov-selftest: $(call obj,tests/selftest.c) $(SHEP_OBJ) $(GBDFL_OBJ) $(ENIS_OBJ) $(QUEUE_OBJ) $(DIAGRAM_CLASS_OBJ) $(B)/libegov.a
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs cmocka 2>/dev/null)

# Runs the whole system in the foreground; Ctrl-C stops it.
run: all
	deploy/run.sh

stop:
	deploy/run.sh --stop

# Every test, on the sanitizer build: class selftests, then the real
# processes against a throwaway PostgreSQL cluster. The release build that
# `make run` uses is compiled too: it warns about other things (-O2).
test:
	@deploy/install-deps.sh
	$(MAKE) all
	$(MAKE) SAN=1 all
	tests/run-all.sh build/san

bench: all
	tests/bench.sh $(B)
	tests/bench-e2e.sh $(B)

# A bounded libFuzzer run (clang) over the protobuf decoders and egov_proto;
# `make test` runs it for 20 s (tests/integration/45-fuzz.sh). FUZZ_SECONDS=300
# make fuzz runs longer; the corpus it grows stays in build/fuzz/corpus.
FUZZ_SECONDS ?= 30
FUZZ_SRC := tests/fuzz_decoders.c lib/egov_proto.c lib/egov_util.c lib/egov_clock.c $(PROTO_C)
build/fuzz/fuzz-decoders: $(FUZZ_SRC) $(PROTO_H) lib/egov_proto.h lib/egov_util.h lib/egov_clock.h
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -Wall -Wextra -Werror \
	    -Wno-missing-field-initializers -I$(GEN) -Ilib $(PKG_CFLAGS) $(FUZZ_SRC) $(PKG_LIBS) -lm -o $@

fuzz: build/fuzz/fuzz-decoders
	@mkdir -p build/fuzz/corpus
	build/fuzz/fuzz-decoders -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 build/fuzz/corpus

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
