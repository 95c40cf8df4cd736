# tests/helpers/: binaries the integration tests run. testinit is static so that a rootfs
# holding only busybox-static and it needs no libc; recvtty and seccompagent run on the host.
TEST_BINS += $(BUILD)/tests/helpers/testinit $(BUILD)/tests/helpers/recvtty \
	$(BUILD)/tests/helpers/seccompagent

$(BUILD)/tests/helpers/testinit: tests/helpers/testinit.c
	@mkdir -p $(@D)
	$(CC) -static -O2 -Wall -Wextra -Wno-unused-parameter $(if $(filter 1,$(WERROR)),-Werror) \
		-D_GNU_SOURCE -o $@ $<

$(BUILD)/tests/helpers/recvtty: tests/helpers/recvtty.c
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) -D_GNU_SOURCE -o $@ $<

$(BUILD)/tests/helpers/seccompagent: tests/helpers/seccompagent.c
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) -D_GNU_SOURCE -o $@ $<
