# mk/tests-rootfs.mk - unit tests of the runtime's rootfs module (runtime/lib/
# rootfs*.c mount*.c devices*.c paths*.c sysctl.c). They link against those
# objects directly rather than all of libberth-runtime.a, so that they build
# and run while other runtime modules are still being written.
RT_ROOTFS_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(sort $(wildcard runtime/lib/rootfs*.c \
	runtime/lib/mount*.c runtime/lib/devices*.c runtime/lib/paths*.c runtime/lib/sysctl.c \
	runtime/lib/idmount.c runtime/lib/devnodes.c runtime/lib/lsm.c)))

$(eval $(call unit_test,test_paths,$(BUILD)/runtime/lib/paths.o $(LIBCOMMON),))
$(eval $(call unit_test,test_rootfs,$(RT_ROOTFS_OBJS) $(LIBSPEC) $(LIBCOMMON),$(call pkg_libs,json-c libseccomp libcap)))
