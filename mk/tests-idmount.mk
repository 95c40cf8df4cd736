# mk/tests-idmount.mk - unit tests of runtime/lib/idmount.c (idmapped mounts): the
# validation of mounts[].uidMappings/gidMappings, linked against its object alone.
$(eval $(call unit_test,test_idmount,$(BUILD)/runtime/lib/idmount.o $(LIBSPEC) $(LIBCOMMON),$(call pkg_libs,json-c)))
