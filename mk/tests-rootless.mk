# mk/tests-rootless.mk - rootless runtime: id maps (runtime/lib/idmap.c), rootless
# decisions (runtime/lib/rootless.c). Integration tests: tests/integration/runtime/
# rootless.bats (runs berth as a created system user through newuidmap/newgidmap) and
# sched.bats.
DEB_EXTRA += uidmap

$(eval $(call unit_test,test_idmap,$(LIBRUNTIME) $(LIBSPEC) $(LIBCOMMON),$(call pkg_libs,json-c libseccomp libcap)))
