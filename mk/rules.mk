# mk/rules.mk - macros the module.mk files use.

# $(call unit_test,NAME,LIBS,EXTRA_LDLIBS): tests/unit/NAME.c -> $(BUILD)/tests/unit/NAME
define unit_test
UNIT_TESTS += $(BUILD)/tests/unit/$(1)
$(BUILD)/tests/unit/$(1): $(BUILD)/tests/unit/$(1).o $(2)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(call pkg_libs,cmocka) $(3)
endef
