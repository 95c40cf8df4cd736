# mk/tests-snapshot.mk: unit tests of the snapshotters (supervisor/snapshot/) and of
# layer application (supervisor/diff/). Both need root (they mount in a private
# mount namespace child, create device nodes and chown).
$(eval $(call unit_test,test_snapshot,$(LIBSNAPSHOT) $(LIBCOMMON),-lpthread))
$(eval $(call unit_test,test_diff,$(LIBDIFF) $(LIBDIGEST) $(LIBCOMMON),$(DIFF_LDLIBS)))
