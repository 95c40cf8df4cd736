/*
 * common/hex.h - one hexadecimal digit's value, for the parsers that decode escapes
 * (JSON \uXXXX in shim/jscan.c, %XX in shim/logger.c, the snapshot store's names).
 */
#ifndef BERTH_COMMON_HEX_H
#define BERTH_COMMON_HEX_H

/* 0-15 for [0-9a-fA-F], -1 for anything else. */
static inline int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
