# tests/: unit tests of common/ and the test helpers (testinit).
$(eval $(call unit_test,test_err,$(LIBCOMMON),))
$(eval $(call unit_test,test_strv,$(LIBCOMMON),))
$(eval $(call unit_test,test_fs,$(LIBCOMMON),))
$(eval $(call unit_test,test_log,$(LIBCOMMON),))

