# mk/tests-ctl.mk - unit tests of supervisor/ctl (berthctl): the progress display.
$(eval $(call unit_test,test_ctl_progress,$(BUILD)/supervisor/ctl/progress.o $(LIBCOMMON),))
