# rcc-bpf: egress enforcement for containers with cgroup BPF.
# make deps | make | make check | make demo | make bench | make install
# V=1 shows full commands.

OUTPUT ?= build
VERSION := 0.1.0
PREFIX ?= /usr/local
DESTDIR ?=
ARCH ?= $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
CC ?= gcc
PKG_CONFIG ?= pkg-config

VMLINUX_DIR := vmlinux/$(ARCH)
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror
# -MMD -MP: each object depends on exactly the headers it includes.
USER_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -MMD -MP -DRCC_VERSION=\"$(VERSION)\" \
	-Iinclude -Iuser -I$(OUTPUT) \
	$(shell $(PKG_CONFIG) --cflags libbpf inih json-c libcares 2>/dev/null)
USER_LIBS := $(shell $(PKG_CONFIG) --libs libbpf inih json-c libcares 2>/dev/null || \
	echo -lbpf -lelf -lz -linih -ljson-c -lcares)
POLICY_LIBS := $(shell $(PKG_CONFIG) --libs inih 2>/dev/null || echo -linih)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-Iinclude -I$(VMLINUX_DIR)

# user/ in layers, one folder each (see CONTRIBUTING.md):
#   lib/ policy/   pure C; libpolicy.a, which the policy unit tests link alone
#   kernel/ host/ audit/ daemon/   librcc.a, on top of libbpf and the rest
#   cli/           main and the commands
LAYERS := lib policy kernel host audit daemon cli
objs = $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(wildcard $(addsuffix /*.c,$(addprefix user/,$(1)))))
POLICY_OBJS := $(call objs,lib policy)
RCC_OBJS := $(call objs,kernel host audit daemon)
CLI_OBJS := $(call objs,cli)
POLICY_LIB := $(OUTPUT)/libpolicy.a
RCC_LIB := $(OUTPUT)/librcc.a
ALL_OBJS := $(POLICY_OBJS) $(RCC_OBJS) $(CLI_OBJS)
BPF_SRCS := $(wildcard bpf/*.bpf.c)
SKELS := $(BPF_SRCS:bpf/%.bpf.c=$(OUTPUT)/%.skel.h)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(OUTPUT)/tests/%)
# The unit tests of the policy layer link it alone: it needs no libbpf.
POLICY_UNITS := $(addprefix $(OUTPUT)/tests/,test_addr test_config test_dnsname test_dnswire \
	test_judge test_kvset test_policy test_regressions)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Root runs the privileged steps directly; anyone else is asked for sudo.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps deps-check deps-ensure check unit integration demo bench install clean man fuzz

all: $(OUTPUT)/rcc-bpf

deps:
	$(Q)$(SUDO) tools/deps.sh install

# A plain build never installs: it names what is missing and stops.  It is
# an order-only prerequisite of every compile step, so that even make -j
# checks before the first compiler runs.
deps-check:
	$(Q)tools/deps.sh check

# make check, demo and bench set a fresh machine up themselves: install
# what is missing first, then build in a second make (whose deps-check
# then passes).
deps-ensure:
	$(Q)tools/deps.sh check >/dev/null 2>&1 || $(SUDO) tools/deps.sh install

# Every compile step waits for these directories, so for deps-check too.
$(OUTPUT) $(OUTPUT)/tests $(addprefix $(OUTPUT)/user/,$(LAYERS)): | deps-check
	$(Q)mkdir -p $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c include/rcc_shared.h $(VMLINUX_DIR)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(OUTPUT)/user/%.o: user/%.c | $(addprefix $(OUTPUT)/user/,$(LAYERS))
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

# Only the kernel layer includes the skeleton; -MMD records it after the
# first build, this line orders that first build.
$(call objs,kernel): $(SKELS)

$(POLICY_LIB): $(POLICY_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(RCC_LIB): $(RCC_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(OUTPUT)/rcc-bpf: $(CLI_OBJS) $(RCC_LIB) $(POLICY_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(USER_LIBS) -o $@

$(POLICY_UNITS): $(OUTPUT)/tests/%: tests/unit/%.c $(POLICY_LIB) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $< $(POLICY_LIB) $(POLICY_LIBS) -lcmocka -o $@

$(OUTPUT)/tests/%: tests/unit/%.c $(RCC_LIB) $(POLICY_LIB) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $< $(RCC_LIB) $(POLICY_LIB) $(USER_LIBS) -lcmocka -o $@

unit: $(UNIT_BINS)

# libFuzzer on the DNS codec (compiler-rt's fuzzer runtime, from
# libclang-rt-dev): FUZZ_SECONDS on a copy of the seed corpus in the tree
# (tests/fuzz/make-corpus.py writes it); a crash fails, its input is left
# in $(OUTPUT)/fuzz/ as crash-*.
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra -Werror -Iinclude -Iuser

$(OUTPUT)/fuzz/fuzz_dnswire: tests/fuzz/fuzz_dnswire.c user/lib/dnswire.c user/lib/dnswire.h \
		| deps-check
	$(Q)mkdir -p $(@D)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(filter %.c,$^) -o $@

fuzz: $(OUTPUT)/fuzz/fuzz_dnswire
	$(Q)rm -rf $(OUTPUT)/fuzz/corpus && mkdir -p $(OUTPUT)/fuzz/corpus
	$(Q)cp tests/fuzz/corpus/dnswire/* $(OUTPUT)/fuzz/corpus/
	$(Q)$< -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-artifact_prefix=$(OUTPUT)/fuzz/ $(OUTPUT)/fuzz/corpus

# Test and bench tools ------------------------------------------------
# The C tools the test suites and the bench run: tests/tools/rcct_*.c, the
# container-side probe (static: it runs inside a busybox root filesystem)
# and the bench's own programs.  The scripts use these and build nothing.
TEST_TOOLS := $(patsubst tests/tools/%.c,$(OUTPUT)/tests/tools/%,$(wildcard tests/tools/*.c)) \
	$(OUTPUT)/tests/tools/rcctc_probe
BENCH_TOOLS := $(addprefix $(OUTPUT)/bench/,connbench auditflood cmpbench)
.PHONY: test-tools

test-tools: $(TEST_TOOLS) $(BENCH_TOOLS)

$(OUTPUT)/tests/tools/%: tests/tools/%.c | deps-check
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -Wall -o $@ $<

# rcct_cgkill runs rcc-bpf's own code: it links the library
$(OUTPUT)/tests/tools/rcct_cgkill: tests/tools/rcct_cgkill.c $(RCC_LIB) $(POLICY_LIB) | deps-check
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $< $(RCC_LIB) $(POLICY_LIB) $(USER_LIBS) -o $@
-include $(OUTPUT)/tests/tools/rcct_cgkill.d

$(OUTPUT)/tests/tools/rcctc_probe: tests/containers/rcctc_probe.c | deps-check
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -static -O2 -Wall -o $@ $<

$(BENCH_TOOLS): $(OUTPUT)/bench/%: tools/bench/%.c | deps-check
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -Wall -Wextra -o $@ $<
# ----------------------------------------------- end of test and bench tools

# Unit tests, then the real-kernel integration tests (root).
check: deps-ensure
	$(Q)$(MAKE) --no-print-directory all unit $(OUTPUT)/bench/dnsbench $(OUTPUT)/man-keys test-tools
	$(Q)$(SUDO) tests/run-all.sh $(UNIT_BINS)

demo: deps-ensure
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(SUDO) tools/demo.sh

$(OUTPUT)/bench/dnsbench: tools/bench/dnsbench.c $(RCC_LIB) $(POLICY_LIB)
	$(Q)mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $< $(RCC_LIB) $(POLICY_LIB) $(USER_LIBS) -o $@

# The configuration keys in the man page come from the parser's tables.
$(OUTPUT)/man-keys: tools/man/keys.c $(POLICY_LIB) | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $< $(POLICY_LIB) $(POLICY_LIBS) -o $@

man: $(OUTPUT)/man-keys
	$(Q)tools/man/update-keys.sh

bench: deps-ensure
	$(Q)$(MAKE) --no-print-directory all $(OUTPUT)/bench/dnsbench $(BENCH_TOOLS)
	$(Q)$(SUDO) tools/bench/run.sh

SBINDIR = $(PREFIX)/sbin
UNITDIR ?= /etc/systemd/system
HOOKSDIR ?= /usr/share/containers/oci/hooks.d

# The hook JSON files go to $(DESTDIR)/usr/share/containers/oci/hooks.d/
# only as examples (rcc-bpf-*.json.example): choosing always-on or
# annotation mode is the administrator's call (see README).
install: all
	install -D -m 0755 $(OUTPUT)/rcc-bpf $(DESTDIR)$(SBINDIR)/rcc-bpf
	install -D -m 0644 conf/rcc-bpf.conf $(DESTDIR)/etc/rcc-bpf/rcc-bpf.conf.example
	install -D -m 0644 man/rcc-bpf.8 $(DESTDIR)$(PREFIX)/share/man/man8/rcc-bpf.8
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(HOOKSDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g' conf/rcc-bpf.service > $(DESTDIR)$(UNITDIR)/rcc-bpf.service
	for f in conf/oci-hooks/*.json; do \
		sed 's|@SBINDIR@|$(SBINDIR)|g' $$f > $(DESTDIR)$(HOOKSDIR)/$$(basename $$f).example; \
	done

clean:
	rm -rf $(OUTPUT)

-include $(ALL_OBJS:.o=.d) $(UNIT_BINS:=.d) $(OUTPUT)/bench/dnsbench.d $(OUTPUT)/man-keys.d
