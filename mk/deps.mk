# mk/deps.mk - Debian 12 packages the build and the tests need.
# `make deps` installs what is missing (apt-get, as root); it is a no-op when
# everything is there, so `make check` can always depend on it.

DEB_BUILD := build-essential pkg-config libseccomp-dev libjson-c-dev libcap-dev \
	libprotobuf-c-dev protobuf-c-compiler libprotobuf-dev libgrpc-dev \
	libsqlite3-dev libarchive-dev libcurl4-openssl-dev libssl-dev libcmocka-dev
DEB_TEST  := clang-format bats jq busybox-static runc crun containerd umoci skopeo conmon \
	hyperfine util-linux iproute2 time sqlite3 python3 file cppcheck docker-registry apache2-utils \
	openssl tini containernetworking-plugins iptables
DEB_PKGS   = $(DEB_BUILD) $(DEB_TEST) $(DEB_EXTRA)

.PHONY: deps
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing" $$missing; \
		if [ "$$(id -u)" != 0 ]; then echo "make deps: must run as root to install packages" >&2; exit 1; fi; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; \
	fi
