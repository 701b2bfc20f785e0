# bbvirt — GNU make, no generated build system.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
SYSCONFDIR ?= /etc
PKG_CONFIG ?= pkg-config
O          ?= build
CC         ?= cc
CLANG      ?= clang
CFLAGS     ?= -O2 -g
FUZZ_SECONDS ?= 15

# The udev rule, the units and the tmpfiles snippet go where this release's
# own udev.pc and systemd.pc say (/lib on Debian 12, /usr/lib on 13, whose
# systemd-dev ships them). There is no fallback: a guessed path is wrong on
# one release or the other, so without the .pc files install stops and
# says so. Asked only by the recipes that install, as the libraries are.
UDEVDIR        ?= $(call lazydir,UDEVDIR,udevdir,udev)
SYSTEMDUNITDIR ?= $(call lazydir,SYSTEMDUNITDIR,systemdsystemunitdir,systemd)
TMPFILESDIR    ?= $(call lazydir,TMPFILESDIR,tmpfilesdir,systemd)
# The config directory, compiled in: -C NAME means $(CONFDIR)/NAME.conf.
CONFDIR        ?= $(SYSCONFDIR)/bit-babbler

DEPS       := libvirt libudev inih libxml-2.0 json-c libsystemd
TEST_DEPS  := cmocka

# pkg-config runs when a recipe first needs its answer, never while the
# Makefile is read: "make deps all" must not ask before deps has installed
# the libraries. Each answer is then kept for the rest of the run.
pkgconfig = $(call pkgcheck,$(shell $(PKG_CONFIG) $(1) $(2) 2>/dev/null || \
	echo BBVIRT-MISSING),$(2))
pkgcheck = $(if $(filter BBVIRT-MISSING,$(1)),$(error missing build \
	dependencies ($(2)): run 'make deps' as root on Debian 12 or 13),$(1))
lazy = $(eval $(1) := $$(call pkgconfig,$(2),$(3)))$($(1))
# lazydir VAR,VARIABLE,PACKAGE: an install directory from PACKAGE.pc, never
# empty.
pkgdir = $(if $(filter /%,$(1)),$(1),$(error cannot ask pkg-config for \
	$(2)'s $(3) (no $(2).pc: systemd-dev on Debian 13, $(2) on 12): run \
	'make deps' as root, or set $(4)))
lazydir = $(eval $(1) := $$(call pkgdir,$$(shell $(PKG_CONFIG) \
	--variable=$(2) $(3) 2>/dev/null),$(3),$(2),$(1)))$($(1))
DEP_CFLAGS = $(call lazy,DEP_CFLAGS,--cflags,$(DEPS))
DEP_LIBS = $(call lazy,DEP_LIBS,--libs,$(DEPS))
TEST_CFLAGS = $(call lazy,TEST_CFLAGS,--cflags,$(TEST_DEPS))
TEST_LIBS = $(call lazy,TEST_LIBS,--libs,$(TEST_DEPS))

WERROR     ?= 1
# The user's CPPFLAGS and CFLAGS come last, so they win; _FORTIFY_SOURCE is
# ours to set only when they do not set it (as dpkg-buildflags does).
FORTIFY    = $(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS) $(CFLAGS)),,-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2)
BBVIRT_CFLAGS = -std=gnu11 -Wall -Wextra -Wformat=2 -Wshadow -Wvla \
	-Wmissing-prototypes -Wstrict-prototypes $(FORTIFY) \
	-D_GNU_SOURCE -DBBVIRT_VERSION='"$(VERSION)"' \
	-DBBVIRT_CONF_DIR='"$(CONFDIR)"' -MMD -MP \
	-Ibasic -Iparsers -Istate -Ireconcile -Icli
ifeq ($(WERROR),1)
BBVIRT_CFLAGS += -Werror
endif
SAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

LIB_SRCS := basic/util.c basic/log.c cli/report.c \
	parsers/conf.c parsers/ini.c parsers/legacy.c parsers/devspec.c \
	parsers/domxml.c parsers/alias.c parsers/seedd.c \
	state/udevsnap.c state/virtconn.c state/virtsnap.c \
	reconcile/world.c reconcile/plan.c reconcile/request.c \
	reconcile/status.c reconcile/apply.c reconcile/restore.c \
	reconcile/event.c reconcile/claim.c reconcile/command.c \
	reconcile/metrics.c reconcile/seeddclaim.c
SRCS := $(LIB_SRCS) cli/main.c cli/startup.c cli/runtime.c cli/session.c \
	cli/sync.c cli/device.c cli/status.c cli/release.c cli/restore-filter.c \
	cli/metrics.c cli/seedd.c
# bbvirt-event runs on every USB event: the config and udev alone, never
# libvirt or libxml2, whose libraries cost more to load than its work.
# libsystemd (no daemon, a socket) carries its journal entries.
EVENT_SRCS := basic/util.c basic/log.c cli/startup.c parsers/conf.c parsers/ini.c parsers/legacy.c \
	parsers/devspec.c state/udevsnap.c reconcile/claim.c reconcile/event.c \
	cli/event.c
EVENT_DEPS := libudev inih libsystemd
EVENT_LIBS = $(call lazy,EVENT_LIBS,--libs,$(EVENT_DEPS))
UNIT_TESTS := $(patsubst tests/%.c,%,$(wildcard tests/test-*.c))
FUZZERS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz-*.c))

ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n' '$(1)' '$(2)'
endif

.SECONDARY:
.PHONY: all check unit-tests fuzz fuzz-check lint-src lint-man lint-shell clean \
	install uninstall demo deps e2e e2e-deps bench prop
all: bbvirt bbvirt-event

# With "make deps all", even under -j, nothing compiles before deps is done.
AFTER_DEPS := $(filter deps e2e-deps,$(MAKECMDGOALS))

# Normal objects in $(O), sanitizer objects in $(O)/san.
$(O)/%.o: %.c | $(AFTER_DEPS)
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BBVIRT_CFLAGS) $(DEP_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(O)/san/%.o: %.c | $(AFTER_DEPS)
	$(call say,CC,$< [san])
	@mkdir -p $(@D)
	$(Q)$(CC) $(BBVIRT_CFLAGS) $(DEP_CFLAGS) $(TEST_CFLAGS) $(CPPFLAGS) \
		-O1 -g $(SAN_FLAGS) -c -o $@ $<

$(O)/bbvirt: $(SRCS:%.c=$(O)/%.o)
	$(call say,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS) -lpthread

bbvirt: $(O)/bbvirt
	$(Q)cp $< $@

$(O)/bbvirt-event: $(EVENT_SRCS:%.c=$(O)/%.o)
	$(call say,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(EVENT_LIBS)

bbvirt-event: $(O)/bbvirt-event
	$(Q)cp $< $@

$(O)/san/bbvirt-event: $(EVENT_SRCS:%.c=$(O)/san/%.o)
	$(call say,LD,$@)
	$(Q)$(CC) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(EVENT_LIBS)

$(O)/san/bbvirt: $(SRCS:%.c=$(O)/san/%.o)
	$(call say,LD,$@)
	$(Q)$(CC) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS) -lpthread

$(O)/san/tests/%: $(O)/san/tests/%.o $(LIB_SRCS:%.c=$(O)/san/%.o)
	$(call say,LD,$@)
	$(Q)$(CC) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS) $(TEST_LIBS) -lpthread

# Linked from objects, so that its dependency file names headers alone: a
# .d that named a source would stop make once that source moved.
$(O)/tests/tools/mute-socket: $(O)/tests/tools/mute-socket.o $(O)/basic/util.o
	$(call say,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

# The journal of tests/journal.sh: decodes what libsystemd sends.
$(O)/tests/tools/journal-recv: $(O)/tests/tools/journal-recv.o
	$(call say,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

unit-tests: $(UNIT_TESTS:%=$(O)/san/tests/%) $(O)/san/bbvirt $(O)/san/bbvirt-event \
	$(O)/tests/tools/mute-socket $(O)/tests/tools/journal-recv

# The build enforces the house rules, not the reviewers.
lint-src:
	$(Q)tests/lint-src.sh

lint-shell:
	$(Q)tests/lint-shell.sh

lint-man:
	$(call say,LINT,man)
	$(Q)out=$$(mandoc -Tlint -Wwarning man/*.[0-9] 2>&1); \
		if [ -n "$$out" ]; then echo "$$out"; exit 1; fi

# tests/test-prop.c, the property test of issue 20, runs in check on a fixed
# seed (a few hundred small worlds); make prop runs it at length.
CHECK_TESTS = $(UNIT_TESTS)

check: unit-tests bbvirt bbvirt-event lint-src lint-man lint-shell fuzz-check
	$(Q)O=$(O) BBVIRT=$(O)/san/bbvirt tests/run-tests.sh $(CHECK_TESTS)

# The property test at length: make prop [PROP_SEED=N] [PROP_WORLDS=N]
# [PROP_FAILURES=N] [PROP_ONLY=I]. Without PROP_SEED, a new one each run,
# printed; PROP_FAILURES kinds of failure are each shown with a shrunk world.
PROP_WORLDS ?= 20000
PROP_FAILURES ?= 20
prop: $(O)/san/tests/test-prop
	$(Q)seed=$${PROP_SEED:-$$(date +%s)}; echo "  PROP   PROP_SEED=$$seed PROP_WORLDS=$(PROP_WORLDS)"; \
		LC_ALL=C TZ=UTC UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		ASAN_OPTIONS=detect_leaks=1 PROP_SEED=$$seed \
		PROP_WORLDS=$(PROP_WORLDS) PROP_FAILURES=$(PROP_FAILURES) \
		$(O)/san/tests/test-prop

# libFuzzer targets on each parser's buffer entry point.
FUZZ_SRCS := basic/util.c basic/log.c parsers/conf.c parsers/ini.c parsers/legacy.c \
	parsers/devspec.c parsers/domxml.c parsers/alias.c parsers/seedd.c
FUZZ_CFLAGS = -std=gnu11 -g -O1 -D_GNU_SOURCE -Ibasic -Iparsers \
	-fsanitize=fuzzer,address,undefined $(DEP_CFLAGS)
$(O)/fuzz/%: tests/fuzz/%.c $(FUZZ_SRCS) | $(AFTER_DEPS)
	$(call say,CLANG,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -o $@ $^ $(DEP_LIBS)

# The metrics text is rendered from a status, whose names come from
# every module: this one links them all.
$(O)/fuzz/fuzz-metrics: tests/fuzz/fuzz-metrics.c $(LIB_SRCS) | $(AFTER_DEPS)
	$(call say,CLANG,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -Istate -Ireconcile -Icli -o $@ $^ $(DEP_LIBS)

fuzz: $(FUZZERS:%=$(O)/fuzz/%)

fuzz-check: fuzz
	$(Q)for f in $(FUZZERS); do \
		mkdir -p $(O)/fuzz/corpus-$$f; \
		printf '  %-6s %s (%ss)\n' FUZZ $$f $(FUZZ_SECONDS); \
		$(O)/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 -max_len=4096 \
			-print_final_stats=0 $(O)/fuzz/corpus-$$f \
			tests/fuzz/corpus/$$f >$(O)/fuzz/$$f.log 2>&1 || \
			{ tail -40 $(O)/fuzz/$$f.log; exit 1; }; \
	done

# The packages a fresh Debian 12 or 13 needs to build, test and demo bbvirt;
# prometheus for its promtool, which checks the metrics and alert rules.
DEB_PACKAGES := build-essential pkg-config clang libclang-rt-dev libvirt-dev libudev-dev \
	libsystemd-dev libinih-dev libxml2-dev libjson-c-dev libcmocka-dev umockdev \
	libvirt-clients mandoc systemd udev debhelper shellcheck prometheus
# udev.pc and systemd.pc (UDEVDIR, SYSTEMDUNITDIR): in systemd-dev on 13,
# in udev and systemd on 12, which has no systemd-dev. The same expression
# as debian/control's Build-Depends, resolved by apt on either release.
PC_PACKAGES := systemd-dev | systemd (<< 253-2~), systemd-dev | udev (<< 253-2~)
deps:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(DEB_PACKAGES)
	DEBIAN_FRONTEND=noninteractive apt-get satisfy -y --no-install-recommends '$(PC_PACKAGES)'

# The end-to-end test boots this machine's kernel in QEMU as a virtual host
# with its own udev, systemd and libvirtd (tests/e2e/run.sh). As root.
# E2E_SUITE=trixie (or bookworm) boots that Debian release's instead, from
# a root tests/e2e/root.sh makes with debootstrap (and reuses); E2E_SET=core
# runs only the core scenarios. See tests/e2e/README.
E2E_PACKAGES := qemu-system-x86 linux-image-amd64 busybox-static cpio socat bc \
	libxml2-utils libvirt-daemon-system libvirt-daemon-driver-qemu jq \
	debootstrap xz-utils prometheus-node-exporter curl
e2e-deps: deps
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(E2E_PACKAGES)

# run.sh builds bbvirt itself (and the root), within its time cap (E2E_CAP).
e2e:
	$(Q)tests/e2e/run.sh

# Figures, not a pass/fail test: see bench/README. CSV in bench/results/.
bench: bbvirt bbvirt-event $(O)/bench/bench-metrics
	$(Q)bench/run.sh
	$(Q)bench/restore-filter.sh
	$(Q)BENCH_METRICS=$(O)/bench/bench-metrics bench/metrics.sh

# What the metrics file adds to a sync, measured in one process.
$(O)/bench/bench-metrics: $(O)/bench/metrics.o $(LIB_SRCS:%.c=$(O)/%.o) \
    $(O)/cli/metrics.o
	$(call say,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS) -lpthread

# Every installed path starts with $(DESTDIR). An existing config is never
# overwritten: the example goes beside it. The hook in /etc is replaced only
# while it is the copy an earlier install left (kept in PKGDATADIR), so an
# admin's edit survives a reinstall, as dpkg keeps a conffile.
HOOKDIR    ?= $(SYSCONFDIR)/libvirt/hooks/qemu.d
COMPLETIONDIR ?= $(DATADIR)/bash-completion/completions
DOCDIR     ?= $(DATADIR)/doc/bbvirt
PKGDATADIR ?= $(DATADIR)/bbvirt
UNITS      := bbvirt-sync.service bbvirt-sync.path bbvirt-sync.timer \
	bbvirt-shutdown.service bbvirt-event.service bbvirt-event.path

install: bbvirt bbvirt-event
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(UDEVDIR)/rules.d \
		$(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(HOOKDIR) \
		$(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(COMPLETIONDIR) \
		$(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(PKGDATADIR) \
		$(DESTDIR)$(CONFDIR)
	install -m 0755 bbvirt $(DESTDIR)$(BINDIR)/bbvirt
	install -m 0755 bbvirt-event $(DESTDIR)$(LIBEXECDIR)/bbvirt-event
	for m in bbvirt.1:man1 bbvirt.conf.5:man5; do \
		sed -e 's|/etc/bit-babbler|$(CONFDIR)|g' \
		    -e 's|^\(\.It Pa \)/lib/udev/|\1$(UDEVDIR)/|' \
		    -e 's|^\(\.It Pa \)/lib/systemd/system/|\1$(SYSTEMDUNITDIR)/|' \
		    -e 's|^\(\.It Pa \)/usr/lib/tmpfiles\.d/|\1$(TMPFILESDIR)/|' \
		    man/$${m%:*} >$(DESTDIR)$(MANDIR)/$${m#*:}/$${m%:*} && \
		chmod 0644 $(DESTDIR)$(MANDIR)/$${m#*:}/$${m%:*} || exit 1; \
	done
	install -m 0644 contrib/60-bbvirt.rules $(DESTDIR)$(UDEVDIR)/rules.d/60-bbvirt.rules
	for u in $(UNITS); do \
		sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' \
			contrib/$$u >$(DESTDIR)$(SYSTEMDUNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; \
	done
	h=$(DESTDIR)$(HOOKDIR)/bbvirt; p=$(DESTDIR)$(PKGDATADIR)/qemu-hook; \
	if [ ! -e "$$h" ] || cmp -s "$$h" "$$p" || cmp -s "$$h" contrib/qemu-hook; then \
		install -m 0755 contrib/qemu-hook "$$h"; \
	else \
		echo "left in place: $$h (edited); the new hook is $$p"; \
	fi; \
	install -m 0644 contrib/qemu-hook "$$p"
	install -m 0644 contrib/bbvirt.tmpfiles $(DESTDIR)$(TMPFILESDIR)/bbvirt.conf
	sed 's|@CONFDIR@|$(CONFDIR)|g' contrib/bbvirt.bash-completion \
		>$(DESTDIR)$(COMPLETIONDIR)/bbvirt
	chmod 0644 $(DESTDIR)$(COMPLETIONDIR)/bbvirt
	install -m 0644 contrib/vm.conf.example $(DESTDIR)$(DOCDIR)/examples/vm.conf
	install -m 0644 contrib/bbvirt.rules.yml $(DESTDIR)$(DOCDIR)/examples/bbvirt.rules.yml
	install -m 0755 contrib/qemu-hook-legacy $(DESTDIR)$(DOCDIR)/examples/qemu-hook
	test -e $(DESTDIR)$(CONFDIR)/vm.conf || \
		install -m 0644 contrib/vm.conf.example $(DESTDIR)$(CONFDIR)/vm.conf

uninstall:
	h=$(DESTDIR)$(HOOKDIR)/bbvirt; \
	if [ -e "$$h" ] && ! cmp -s "$$h" $(DESTDIR)$(PKGDATADIR)/qemu-hook; then \
		echo "left in place: $$h (edited)"; \
	else \
		rm -f "$$h"; \
	fi
	rm -f $(DESTDIR)$(BINDIR)/bbvirt $(DESTDIR)$(LIBEXECDIR)/bbvirt-event \
		$(DESTDIR)$(MANDIR)/man1/bbvirt.1 \
		$(DESTDIR)$(MANDIR)/man5/bbvirt.conf.5 \
		$(DESTDIR)$(UDEVDIR)/rules.d/60-bbvirt.rules \
		$(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(UNITS)) \
		$(DESTDIR)$(TMPFILESDIR)/bbvirt.conf \
		$(DESTDIR)$(COMPLETIONDIR)/bbvirt \
		$(DESTDIR)$(DOCDIR)/examples/vm.conf \
		$(DESTDIR)$(DOCDIR)/examples/bbvirt.rules.yml \
		$(DESTDIR)$(DOCDIR)/examples/qemu-hook \
		$(DESTDIR)$(PKGDATADIR)/qemu-hook
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(PKGDATADIR) 2>/dev/null
	@echo "left in place: $(DESTDIR)$(CONFDIR)/vm.conf (your config)"

demo: bbvirt
	$(Q)tests/demo.sh

clean:
	rm -rf $(O) bbvirt bbvirt-event

-include $(shell find $(O) -name '*.d' 2>/dev/null)
