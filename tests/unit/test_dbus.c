/*
 * Unit tests for runtime/lib/cgroup/dbus.c (the D-Bus marshaller, parser and client) and the
 * pure part of runtime/lib/cgroup/cgroup_systemd.c (cgroupsPath -> unit, slice, cgroup path).
 *
 * The expected buffers are derived by hand from the D-Bus Specification, "Marshaling
 * (Wire Format)" and "Message Format": little-endian; every value aligned to its size
 * from the start of the message (structs to 8); an array is its byte length (u32), the
 * padding to its element alignment (present even when empty, not counted), the
 * elements; a string is u32 length, bytes, NUL; a signature u8 length, bytes, NUL. The
 * offsets are written next to the bytes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "runtime/lib/cgroup/cgroup_systemd.h"
#include "runtime/lib/cgroup/dbus.h"

static void assert_bytes(const struct rt_dbus_buf *b, const void *want, size_t n)
{
	if (b->len != n)
		fail_msg("buffer has %zu bytes, expected %zu", b->len, n);
	for (size_t i = 0; i < n; i++)
		if (b->data[i] != ((const uint8_t *)want)[i])
			fail_msg("byte %zu is 0x%02x, expected 0x%02x", i, b->data[i],
				 ((const uint8_t *)want)[i]);
}

/* ---- marshalling ---- */

static void basic_types_are_aligned_to_their_size(void **state)
{
	struct rt_dbus_buf b = {0};
	static const uint8_t want[] = {
		0x01, 0x00, 0x00, 0x00,				/*  0: y 1, pad to 4 */
		0x04, 0x03, 0x02, 0x01,				/*  4: u 0x01020304 */
		0x02, 0x00, 0x00, 0x00, 'a',  'b',  0x00,	/*  8: s "ab" */
		0x01, 'u',  0x00,				/* 15: g "u" */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00,		/* 18: pad to 8 */
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* 24: t */
		0x01, 0x00, 0x00, 0x00,				/* 32: b true */
	};

	rt_dbus_put_u8(&b, 1);
	rt_dbus_put_u32(&b, 0x01020304);
	rt_dbus_put_str(&b, 's', "ab");
	rt_dbus_put_str(&b, 'g', "u");
	rt_dbus_put_u64(&b, 0x1122334455667788ULL);
	rt_dbus_put_bool(&b, true);
	assert_bytes(&b, want, sizeof(want));
	rt_dbus_buf_clear(&b);
}

static void empty_array_of_structs_keeps_its_padding(void **state)
{
	struct rt_dbus_buf b = {0};
	struct rt_dbus_array a;
	static const uint8_t want[] = {
		0x00, 0x00, 0x00, 0x00, /*  0: length 0 */
		0x00, 0x00, 0x00, 0x00, /*  4: pad to 8 for the structs, even with none */
		0x09, 0x00, 0x00, 0x00, /*  8: y 9, pad to 4 */
		0x00, 0x00, 0x00, 0x00, /* 12: length 0; 16 is 8-aligned: no pad */
	};

	a = rt_dbus_array_open(&b, 8);
	rt_dbus_array_close(&b, a);
	rt_dbus_put_u8(&b, 9);
	a = rt_dbus_array_open(&b, 8);
	rt_dbus_array_close(&b, a);
	assert_bytes(&b, want, sizeof(want));
	rt_dbus_buf_clear(&b);
}

static void array_length_excludes_the_padding_before_its_first_element(void **state)
{
	struct rt_dbus_buf b = {0};
	struct rt_dbus_array a;
	static const uint8_t want[] = {
		0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /*  0: t 1 */
		0x08, 0x00, 0x00, 0x00,				/*  8: length 8, not 12 */
		0x00, 0x00, 0x00, 0x00,				/* 12: pad to 8 */
		0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 16: t 5 */
	};

	rt_dbus_put_u64(&b, 1);
	a = rt_dbus_array_open(&b, 8);
	rt_dbus_put_u64(&b, 5);
	rt_dbus_array_close(&b, a);
	assert_bytes(&b, want, sizeof(want));
	rt_dbus_buf_clear(&b);
}

static void property_struct_with_variant_array_of_u32(void **state)
{
	struct rt_dbus_buf b = {0};
	struct rt_dbus_array a;
	/* ("PIDs", <au [42]>) as in StartTransientUnit's a(sv), struct at offset 0 */
	static const uint8_t want[] = {
		0x04, 0x00, 0x00, 0x00, 'P', 'I', 'D', 's', 0x00, /*  0: s "PIDs" */
		0x02, 'a',  'u',  0x00,				  /*  9: g "au" */
		0x00, 0x00, 0x00,				  /* 13: pad to 4 */
		0x04, 0x00, 0x00, 0x00,				  /* 16: length 4 */
		0x2a, 0x00, 0x00, 0x00,				  /* 20: u 42 */
	};

	rt_dbus_put_struct(&b);
	rt_dbus_put_str(&b, 's', "PIDs");
	rt_dbus_put_variant(&b, "au");
	a = rt_dbus_array_open(&b, 4);
	rt_dbus_put_u32(&b, 42);
	rt_dbus_array_close(&b, a);
	assert_bytes(&b, want, sizeof(want));
	rt_dbus_buf_clear(&b);
}

static void method_call_header_fields_and_body(void **state)
{
	struct rt_dbus_buf body = {0}, msg = {0};
	static const uint8_t want[] = {
		'l',  0x01, 0x00, 0x00 + 1, /*  0: little-endian, METHOD_CALL, flags 0, version 1 */
		0x06, 0x00, 0x00, 0x00,	    /*  4: body length 6 */
		0x07, 0x00, 0x00, 0x00,	    /*  8: serial 7 */
		0x37, 0x00, 0x00, 0x00,	    /* 12: header fields: 55 bytes (16..70) */
		0x01, 0x01, 'o',  0x00,	    /* 16: PATH, g "o" */
		0x02, 0x00, 0x00, 0x00,	    '/',  'a',	0x00, /* 20: o "/a" */
		0x00, 0x00, 0x00, 0x00,	    0x00,	      /* 27: pad to 8 */
		0x03, 0x01, 's',  0x00,			      /* 32: MEMBER, g "s" */
		0x01, 0x00, 0x00, 0x00,	    'M',  0x00,	      /* 36: s "M" */
		0x00, 0x00, 0x00, 0x00,	    0x00, 0x00,	      /* 42: pad to 8 */
		0x06, 0x01, 's',  0x00,			      /* 48: DESTINATION, g "s" */
		0x01, 0x00, 0x00, 0x00,	    'd',  0x00,	      /* 52: s "d" */
		0x00, 0x00, 0x00, 0x00,	    0x00, 0x00,	      /* 58: pad to 8 */
		0x08, 0x01, 'g',  0x00,			      /* 64: SIGNATURE, g "g" */
		0x01, 's',  0x00,			      /* 68: g "s" */
		0x00,					      /* 71: pad the header to 8 */
		0x01, 0x00, 0x00, 0x00,	    'x',  0x00,	      /* 72: body: s "x" */
	};

	rt_dbus_put_str(&body, 's', "x");
	rt_dbus_call_build(&msg, 7, "d", "/a", NULL, "M", "s", &body);
	assert_bytes(&msg, want, sizeof(want));
	rt_dbus_buf_clear(&body);
	rt_dbus_buf_clear(&msg);
}

static void method_call_without_body_has_no_signature_field(void **state)
{
	struct rt_dbus_buf msg = {0};
	static const uint8_t want[] = {
		'l',  0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, /*  0: no body */
		0x01, 0x00, 0x00, 0x00, 0x1a, 0x00, 0x00, 0x00, /*  8: serial 1, fields 26 bytes */
		0x01, 0x01, 'o',  0x00,				/* 16: PATH */
		0x01, 0x00, 0x00, 0x00, '/',  0x00,		/* 20: o "/" */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00,		/* 26: pad to 8 */
		0x03, 0x01, 's',  0x00,				/* 32: MEMBER */
		0x01, 0x00, 0x00, 0x00, 'S',  0x00,		/* 36: s "S" (ends at 42) */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00,		/* 42: pad the header to 48 */
	};

	rt_dbus_call_build(&msg, 1, NULL, "/", NULL, "S", NULL, NULL);
	assert_bytes(&msg, want, sizeof(want));
	rt_dbus_buf_clear(&msg);
}

/* ---- parsing ---- */

/* An ERROR reply, as systemd sends for StopUnit of an unknown unit. */
static const uint8_t error_reply[] = {
	'l',  0x03, 0x01, 0x01, /*  0: ERROR, flags NO_REPLY_EXPECTED, version 1 */
	0x17, 0x00, 0x00, 0x00, /*  4: body length 23 */
	0x05, 0x00, 0x00, 0x00, /*  8: serial 5 */
	0x3f, 0x00, 0x00, 0x00, /* 12: header fields: 63 bytes (16..78) */
	0x04, 0x01, 's',  0x00, /* 16: ERROR_NAME, g "s" */
	0x23, 0x00, 0x00, 0x00, /* 20: length 35 */
	'o',  'r',  'g',  '.',	'f', 'r', 'e',	'e', 'd', 'e', 's', 'k',
	't',  'o',  'p',  '.',	's', 'y', 's',	't', 'e', 'm', 'd', '1',
	'.',  'N',  'o',  'S',	'u', 'c', 'h',	'U', 'n', 'i', 't', 0x00, /* 24..59 */
	0x00, 0x00, 0x00, 0x00,						  /* 60: pad to 8 */
	0x05, 0x01, 'u',  0x00, /* 64: REPLY_SERIAL, g "u" */
	0x02, 0x00, 0x00, 0x00, /* 68: u 2 */
	0x08, 0x01, 'g',  0x00, /* 72: SIGNATURE, g "g" */
	0x01, 's',  0x00,	/* 76: g "s" (ends at 79) */
	0x00,			/* 79: pad the header to 80 */
	0x12, 0x00, 0x00, 0x00, /* 80: s, 18 bytes */
	'U',  'n',  'i',  't',	' ', 'x', ' ',	'n', 'o', 't', ' ', 'l',
	'o',  'a',  'd',  'e',	'd', '.', 0x00, /* 84..102 */
};

static void error_reply_gives_name_and_message(void **state)
{
	struct rt_dbus_msg *m = NULL;
	struct berth_err *err = NULL;
	cleanup_free char *text = NULL;
	size_t size = 0;

	assert_int_equal(sizeof(error_reply), 103);
	assert_int_equal(rt_dbus_msg_size(error_reply, &size, &err), 0);
	assert_int_equal(size, sizeof(error_reply));
	assert_int_equal(rt_dbus_msg_parse(error_reply, sizeof(error_reply), &m, &err), 0);
	assert_int_equal(m->type, RT_DBUS_ERROR);
	assert_int_equal(m->serial, 5);
	assert_int_equal(m->reply_serial, 2);
	assert_string_equal(m->error_name, "org.freedesktop.systemd1.NoSuchUnit");
	assert_string_equal(m->signature, "s");
	text = rt_dbus_error_text(m);
	assert_string_equal(text, "org.freedesktop.systemd1.NoSuchUnit: Unit x not loaded.");
	rt_dbus_msg_free(m);
}

static void truncated_or_corrupt_messages_are_refused(void **state)
{
	uint8_t buf[sizeof(error_reply)];
	struct rt_dbus_msg *m = NULL;
	struct berth_err *err = NULL;

	/* one byte short of what the header announces */
	assert_int_equal(rt_dbus_msg_parse(error_reply, sizeof(error_reply) - 1, &m, &err), -1);
	assert_non_null(strstr(err->msg, "length does not match"));
	berth_err_free(&err);
	/* the error name's length points past the header fields */
	memcpy(buf, error_reply, sizeof(buf));
	buf[20] = 0xff;
	assert_int_equal(rt_dbus_msg_parse(buf, sizeof(buf), &m, &err), -1);
	assert_non_null(strstr(err->msg, "d-bus message: "));
	berth_err_free(&err);
	/* big-endian is not spoken */
	memcpy(buf, error_reply, sizeof(buf));
	buf[0] = 'B';
	assert_int_equal(rt_dbus_msg_parse(buf, sizeof(buf), &m, &err), -1);
	assert_non_null(strstr(err->msg, "byte order 'B'"));
	berth_err_free(&err);
	/* non-zero padding */
	memcpy(buf, error_reply, sizeof(buf));
	buf[61] = 1;
	assert_int_equal(rt_dbus_msg_parse(buf, sizeof(buf), &m, &err), -1);
	assert_non_null(strstr(err->msg, "non-zero padding"));
	berth_err_free(&err);
	assert_null(m);
}

static void unknown_header_fields_are_skipped_by_signature(void **state)
{
	struct rt_dbus_buf b = {0};
	struct rt_dbus_array f, inner;
	struct rt_dbus_msg *m = NULL;
	struct berth_err *err = NULL;
	struct rt_dbus_reader r;
	const char *s = NULL;
	uint32_t v = 0;

	/* a SIGNAL with a made-up field 200 of type a(su) before MEMBER */
	rt_dbus_put_u8(&b, 'l');
	rt_dbus_put_u8(&b, RT_DBUS_SIGNAL);
	rt_dbus_put_u8(&b, 0);
	rt_dbus_put_u8(&b, 1);
	rt_dbus_put_u32(&b, 0); /* body length, set below */
	rt_dbus_put_u32(&b, 9);
	f = rt_dbus_array_open(&b, 8);
	rt_dbus_put_struct(&b);
	rt_dbus_put_u8(&b, 200);
	rt_dbus_put_variant(&b, "a(su)");
	inner = rt_dbus_array_open(&b, 8);
	rt_dbus_put_struct(&b);
	rt_dbus_put_str(&b, 's', "k");
	rt_dbus_put_u32(&b, 3);
	rt_dbus_array_close(&b, inner);
	rt_dbus_put_struct(&b);
	rt_dbus_put_u8(&b, 3);
	rt_dbus_put_variant(&b, "s");
	rt_dbus_put_str(&b, 's', "JobRemoved");
	rt_dbus_put_struct(&b);
	rt_dbus_put_u8(&b, 8);
	rt_dbus_put_variant(&b, "g");
	rt_dbus_put_str(&b, 'g', "us");
	rt_dbus_array_close(&b, f);
	rt_dbus_put_struct(&b);
	{
		size_t start = b.len;

		rt_dbus_put_u32(&b, 77);
		rt_dbus_put_str(&b, 's', "done");
		b.data[4] = (uint8_t)(b.len - start);
	}
	assert_int_equal(rt_dbus_msg_parse(b.data, b.len, &m, &err), 0);
	assert_string_equal(m->member, "JobRemoved");
	rt_dbus_reader_init(&r, m);
	assert_int_equal(rt_dbus_get_u32(&r, &v, &err), 0);
	assert_int_equal(v, 77);
	assert_int_equal(rt_dbus_get_str(&r, &s, &err), 0);
	assert_string_equal(s, "done");
	/* past the signature: a typed getter says so */
	assert_int_equal(rt_dbus_get_u32(&r, &v, &err), -1);
	berth_err_free(&err);
	rt_dbus_msg_free(m);
	rt_dbus_buf_clear(&b);
}

/* ---- the client against a fake peer ---- */

/* Child: accepts one connection, checks the authentication, answers the first call
 * with error_reply (its reply serial patched to the call's serial). */
static void fake_peer(int lfd)
{
	char buf[4096];
	size_t n = 0;
	int fd = accept(lfd, NULL, NULL);
	uint8_t reply[sizeof(error_reply)];
	char *end;

	if (fd < 0)
		_exit(2);
	/* "\0AUTH EXTERNAL <hex uid>\r\nBEGIN\r\n" */
	while (!(n > 0 && (end = memmem(buf, n, "BEGIN\r\n", 7)))) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - n);

		if (r <= 0)
			_exit(3);
		n += (size_t)r;
	}
	if (buf[0] != '\0' || memcmp(buf + 1, "AUTH EXTERNAL 30\r\n", 18) != 0)
		_exit(4);
	if (write(fd, "OK 0123456789abcdef0123456789abcdef\r\n", 37) != 37)
		_exit(5);
	n -= (size_t)(end + 7 - buf);
	memmove(buf, end + 7, n);
	while (n < 16) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - n);

		if (r <= 0)
			_exit(6);
		n += (size_t)r;
	}
	memcpy(reply, error_reply, sizeof(reply));
	memcpy(reply + 68, buf + 8, 4); /* REPLY_SERIAL = the call's serial */
	if (write(fd, reply, sizeof(reply)) != (ssize_t)sizeof(reply))
		_exit(7);
	/* wait for the client to hang up */
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	_exit(0);
}

static void call_error_carries_error_name_and_message(void **state)
{
	char dir[] = "/tmp/berth-dbus-XXXXXX";
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct rt_dbus *d = NULL;
	struct berth_err *err = NULL;
	int lfd, status;
	pid_t pid;

	if (geteuid() != 0)
		skip(); /* the fake peer checks the hex of uid "0" */
	assert_non_null(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock", dir);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		fake_peer(lfd);
	close(lfd);
	setenv("BERTH_DBUS_ADDRESS", sa.sun_path, 1);
	assert_int_equal(rt_dbus_open_systemd(&d, &err), 0);
	assert_int_equal(rt_dbus_call(d, "/org/freedesktop/systemd1",
				      "org.freedesktop.systemd1.Manager", "StopUnit", NULL, NULL,
				      5000, NULL, &err),
			 -1);
	assert_string_equal(
		err->msg,
		"call org.freedesktop.systemd1.Manager.StopUnit: org.freedesktop.systemd1.NoSuchUnit: Unit x not loaded.");
	assert_int_equal(err->code, BERTH_E_NOT_FOUND);
	berth_err_free(&err);
	rt_dbus_close(d);
	unsetenv("BERTH_DBUS_ADDRESS");
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	unlink(sa.sun_path);
	rmdir(dir);
}

/* ---- cgroupsPath -> unit ---- */

static void systemd_cgroups_path_gives_unit_slice_and_path(void **state)
{
	static const struct {
		const char *in, *slice, *unit, *path;
	} cases[] = {
		{NULL, "system.slice", "berth-abc.scope", "/system.slice/berth-abc.scope"},
		{"", "system.slice", "berth-abc.scope", "/system.slice/berth-abc.scope"},
		{"mine.slice:pfx:name", "mine.slice", "pfx-name.scope",
		 "/mine.slice/pfx-name.scope"},
		{":pfx:name", "system.slice", "pfx-name.scope", "/system.slice/pfx-name.scope"},
		{"a-b-c.slice::n", "a-b-c.slice", "n.scope",
		 "/a.slice/a-b.slice/a-b-c.slice/n.scope"},
		{"-:p:n", "-.slice", "p-n.scope", "/p-n.scope"},
		{"system.slice:p:sub.slice", "system.slice", "sub.slice",
		 "/system.slice/sub.slice"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cleanup_free char *slice = NULL;
		cleanup_free char *unit = NULL;
		cleanup_free char *path = NULL;
		struct berth_err *err = NULL;

		if (rt_cgroup_systemd_resolve(cases[i].in, "abc", &slice, &unit, &path, &err) < 0)
			fail_msg("'%s': %s", cases[i].in ? cases[i].in : "(null)", err->msg);
		assert_string_equal(slice, cases[i].slice);
		assert_string_equal(unit, cases[i].unit);
		assert_string_equal(path, cases[i].path);
	}
}

static void malformed_systemd_cgroups_path_names_the_field(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"/berth/x", "expects 'slice:prefix:name'"},
		{"a:b", "expects 'slice:prefix:name'"},
		{"a.slice:b:c:d", "expects 'slice:prefix:name'"},
		{"system.slice:berth:", "the name part is empty"},
		{"notaslice:p:n", "slice 'notaslice' is not a slice name"},
		{"user.slice/u.slice:p:n", "is not a slice name"},
		{"a--b.slice:p:n", "slice 'a--b.slice' has an empty component"},
		{"system.slice:p:a+b",
		 "unit name 'p-a+b.scope' has a character systemd does not allow ('+')"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *slice = NULL, *unit = NULL, *path = NULL;
		struct berth_err *err = NULL;
		cleanup_free char *prefix = xasprintf("linux.cgroupsPath: '%s': ", cases[i].in);

		if (rt_cgroup_systemd_resolve(cases[i].in, "abc", &slice, &unit, &path, &err) == 0)
			fail_msg("'%s' was accepted as '%s'", cases[i].in, path);
		if (strncmp(err->msg, prefix, strlen(prefix)) != 0 ||
		    !strstr(err->msg, cases[i].want))
			fail_msg("'%s': got '%s', expected '%s...%s'", cases[i].in, err->msg,
				 prefix, cases[i].want);
		assert_int_equal(err->code, BERTH_E_INVALID);
		assert_null(path);
		berth_err_free(&err);
	}
}

static void start_body_lists_the_unit_properties(void **state)
{
	struct rt_dbus_buf b = {0};
	struct oci_resources res = {.has_pids_limit = true, .pids_limit = 17};
	static const char *const want[] = {"Description",
					   "Slice",
					   "Delegate",
					   "DefaultDependencies",
					   "PIDs",
					   "MemoryAccounting",
					   "CPUAccounting",
					   "TasksAccounting",
					   "IOAccounting",
					   "TasksMax",
					   NULL};
	size_t pos = 0;

	rt_cgroup_systemd_start_body(&b, "berth-abc.scope", "system.slice", "berth container abc",
				     1234, &res, false);
	/* "berth-abc.scope" (4 + 16), "replace" (4 + 8 at offset 20): the array at 32 */
	assert_int_equal(b.data[0], 15);
	assert_memory_equal(b.data + 4, "berth-abc.scope", 16);
	assert_int_equal(b.data[20], 7);
	assert_memory_equal(b.data + 24, "replace", 8);
	/* the property names, in order */
	for (size_t i = 0; want[i]; i++) {
		uint8_t *hit = memmem(b.data + pos, b.len - pos, want[i], strlen(want[i]) + 1);

		if (!hit)
			fail_msg("property '%s' is missing or out of order", want[i]);
		pos = (size_t)(hit - b.data) + strlen(want[i]);
	}
	assert_null(memmem(b.data, b.len, "MemoryLimit", 11));
	rt_dbus_buf_clear(&b);
}

static bool body_has(const struct rt_dbus_buf *b, const char *s)
{
	return memmem(b->data, b->len, s, strlen(s) + 1) != NULL;
}

static void device_rules_become_an_allow_list_systemd_keeps(void **state)
{
	struct rt_dbus_buf b = {0};
	struct oci_device_cgroup rules[] = {
		{.allow = false, .type = 'a', .major = -1, .minor = -1},
		{.allow = true,
		 .type = 'c',
		 .has_major = true,
		 .has_minor = true,
		 .major = 1,
		 .minor = 3,
		 .access = (char *)"rw"},
		{.allow = true, .type = 'c', .major = -1, .minor = -1, .access = (char *)"m"},
		{.allow = true,
		 .type = 'c',
		 .has_major = true,
		 .major = 136,
		 .minor = -1,
		 .access = (char *)"rwm"},
		/* takes w back from c 1:3 */
		{.allow = false,
		 .type = 'c',
		 .has_major = true,
		 .has_minor = true,
		 .major = 1,
		 .minor = 3,
		 .access = (char *)"w"},
	};
	struct oci_resources res = {.devices = rules, .n_devices = 5};

	rt_cgroup_systemd_start_body(&b, "u.scope", "system.slice", "d", 1, &res, false);
	assert_true(body_has(&b, "DevicePolicy"));
	assert_true(body_has(&b, "strict"));
	assert_true(body_has(&b, "/dev/char/1:3"));
	assert_true(body_has(&b, "r"));
	assert_true(body_has(&b, "char-*"));
	assert_true(body_has(&b, "char-pts")); /* 136 by its /proc/devices name */
	assert_false(body_has(&b, "rw"));
	rt_dbus_buf_clear(&b);

	/* "allow everything" last: systemd's own default ("auto") says the same */
	rules[0].allow = true;
	res.n_devices = 1;
	rt_cgroup_systemd_start_body(&b, "u.scope", "system.slice", "d", 1, &res, false);
	assert_true(body_has(&b, "auto"));
	assert_false(body_has(&b, "DeviceAllow"));
	rt_dbus_buf_clear(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(basic_types_are_aligned_to_their_size),
		cmocka_unit_test(empty_array_of_structs_keeps_its_padding),
		cmocka_unit_test(array_length_excludes_the_padding_before_its_first_element),
		cmocka_unit_test(property_struct_with_variant_array_of_u32),
		cmocka_unit_test(method_call_header_fields_and_body),
		cmocka_unit_test(method_call_without_body_has_no_signature_field),
		cmocka_unit_test(error_reply_gives_name_and_message),
		cmocka_unit_test(truncated_or_corrupt_messages_are_refused),
		cmocka_unit_test(unknown_header_fields_are_skipped_by_signature),
		cmocka_unit_test(call_error_carries_error_name_and_message),
		cmocka_unit_test(systemd_cgroups_path_gives_unit_slice_and_path),
		cmocka_unit_test(malformed_systemd_cgroups_path_names_the_field),
		cmocka_unit_test(start_body_lists_the_unit_properties),
		cmocka_unit_test(device_rules_become_an_allow_list_systemd_keeps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
