# mk/tests-common.mk - unit tests of common/digest.c (linked with $(LIBDIGEST), which
# needs libcrypto, and with the shim's own shim/sha256.o, checked against it) and
# common/mountinfo.c (in libberthcommon.a).
$(eval $(call unit_test,test_digest,$(LIBDIGEST) $(BUILD)/shim/sha256.o $(LIBCOMMON),$(DIGEST_LDLIBS)))
$(eval $(call unit_test,test_mountinfo,$(LIBCOMMON),))
