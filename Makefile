# Vireo: the two commands a fresh Debian 12 machine needs are `make run` and
# `make test`. Both install what is missing first (as root through apt-get;
# otherwise they print the apt-get line to run).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
DEMO := test://$(CURDIR)/tests/data/testdriver/demo.xml

# Build: GTK 4.8, libadwaita 1.2, libvirt 9.0 and the tools build.rs calls
# (binutils: it reads the console libraries' symbols to load them on first use).
BUILD_PKGS := pkg-config binutils libgtk-4-dev libadwaita-1-dev libvirt-dev libgvnc-1.0-dev libspice-client-glib-2.0-dev libusb-1.0-0-dev libvte-2.91-gtk4-dev libosinfo-1.0-dev gettext libglib2.0-bin
# Run: a local libvirt daemon with QEMU (TCG) and qemu-img (qcow2 volumes, clones),
# and Xvfb for headless machines.
RUN_PKGS := osinfo-db libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils xvfb xauth openssh-client
# Test: validators, screenshots, AT-SPI, a D-Bus session, what the tiny guest is built from,
# a private SSH server for qemu+ssh connections and their console tunnels,
# a window manager for the fullscreen test, openssl for a SPICE TLS host's certificates,
# the SPICE guest agent (run on the host for the tiny guest, which relays its agent port there),
# and what a privileged libvirt daemon in private namespaces needs for NAT networks.
TEST_PKGS := libxml2-utils desktop-file-utils appstream imagemagick python3-pyatspi \
	dbus dbus-x11 at-spi2-core locales fonts-wqy-zenhei xdotool busybox-static xorriso isolinux syslinux-common cpio kmod \
	openssh-client openssh-server netcat-openbsd xclip openbox spice-vdagent openssl \
	iproute2 iptables dnsmasq-base

.PHONY: run test bench build deps-build deps-run deps-test daemon demo screenshot clean-guest

define ensure_pkgs
	missing=""; \
	for p in $(1); do \
	  dpkg-query -W -f='$${db:Status-Status}' "$$p" 2>/dev/null | grep -qx installed || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  extra=""; \
	  case " $$missing " in *" qemu-system-x86 "*) \
	    if dpkg --compare-versions "$$(dpkg-query -W -f='$${Version}' qemu-utils 2>/dev/null || echo 0)" gt 1:8; then \
	      extra="qemu-utils/bookworm"; fi;; esac; \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing:$$missing $$extra"; \
	    apt-get update -qq; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --allow-downgrades $$missing $$extra >/dev/null; \
	  else \
	    echo "Missing packages. Run:"; \
	    echo "  sudo apt-get install --no-install-recommends$$missing $$extra"; \
	    exit 1; \
	  fi; \
	fi
endef

deps-build:
	@$(call ensure_pkgs,$(BUILD_PKGS))

deps-run: deps-build
	@$(call ensure_pkgs,$(RUN_PKGS))

deps-test: deps-run
	@$(call ensure_pkgs,$(TEST_PKGS))
	@if [ "$$(id -u)" = 0 ] && ! locale -a 2>/dev/null | grep -qi '^ja_JP.utf8$$'; then \
	  localedef -i ja_JP -f UTF-8 ja_JP.UTF-8 && localedef -i zh_CN -f UTF-8 zh_CN.UTF-8; fi

# Make sure a local libvirt daemon answers on qemu:///system (as root without
# systemd, start virtlogd and libvirtd the way the seed guides do).
daemon: deps-run
	@bash .ci/libvirtd.sh

build: deps-build
	$(CARGO) build

run: daemon build
	@if [ -z "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]; then \
	  n=99; while [ -e /tmp/.X11-unix/X$$n ]; do n=$$((n+1)); done; \
	  echo "No display: running Vireo in Xvfb on :$$n. See it with: DISPLAY=:$$n import -window root shot.png"; \
	  exec xvfb-run -n $$n -s "-screen 0 1280x800x24 -ac" ./target/debug/vireo; \
	else exec ./target/debug/vireo; fi

# The demo host of the test driver, for manual UI work.
demo: build
	./target/debug/vireo --connect $(DEMO)

test: deps-test
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings
	xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- $(CARGO) test --all-targets
	# The console on a HiDPI screen (GTK's scale 2).
	GDK_SCALE=2 xvfb-run -a -s "-screen 0 1280x800x24" $(CARGO) test --test console_rfb

bench: deps-test
	@$(call ensure_pkgs,gvncviewer virt-viewer virtinst virt-manager)
	$(CARGO) bench --bench core
	$(CARGO) bench --bench clone
	$(CARGO) bench --bench volumes
	xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- $(CARGO) bench --bench list
	xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- $(CARGO) bench --bench hosts
	xvfb-run -a -s "-screen 0 2048x1200x24" dbus-run-session -- $(CARGO) bench --bench console

# Regenerate the README screenshot from the demo host.
screenshot: deps-test build
	VIREO_SCREENSHOT_DIR=$(CURDIR)/data/screenshots xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- $(CARGO) test --test gui -- main_window_lists_every_vm_of_the_demo_host_with_its_state --exact

clean-guest:
	rm -rf target/tiny-guest

# Regenerate po/vireo.pot from po/POTFILES.in and merge it into every language.
POT_RS = $(shell grep -v '^\#' po/POTFILES.in | grep '\.rs$$')
POT_OTHER = $(shell grep -v '^\#' po/POTFILES.in | grep -v '\.rs$$')
XGETTEXT_COMMON = --from-code=UTF-8 --add-comments=Translators --package-name=vireo --msgid-bugs-address=https://vireo.dev/issues
.PHONY: pot
pot:
	xgettext $(XGETTEXT_COMMON) -L C --keyword=gettext_f --keyword=ngettext_f:1,2 --keyword=n_ -o po/rs.pot $(POT_RS) 2>/dev/null
	xgettext $(XGETTEXT_COMMON) -o po/other.pot $(POT_OTHER)
	msgcat --use-first po/other.pot po/rs.pot -o po/vireo.pot
	rm -f po/rs.pot po/other.pot
	for l in $$(grep -v '^#' po/LINGUAS); do msgmerge --quiet --update --backup=none --no-fuzzy-matching po/$$l.po po/vireo.pot; done
