/*
 * Unit tests for spec/: every class of bad config.json is rejected with a
 * BERTH_E_INVALID error whose message names the JSON path and the reason,
 * and nothing is handed out. Documents are written with ' for " to stay
 * readable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "spec/config.h"

#define BASE "'ociVersion':'1.1.0','root':{'path':'rootfs'}"
#define PROC "'process':{'args':['sh'],'cwd':'/'"

static void expect_error(const char *doc, const char *want)
{
	cleanup_free char *json = xstrdup(doc);
	struct oci_spec *s = (struct oci_spec *)0x1;
	cleanup(berth_err_free) struct berth_err *err = NULL;

	for (char *p = json; *p; p++)
		if (*p == '\'')
			*p = '"';
	if (oci_spec_parse(json, strlen(json), "config.json", &s, &err) == 0)
		fail_msg("expected error '%s', but the document parsed: %s", want, json);
	assert_non_null(err);
	assert_ptr_equal(s, (struct oci_spec *)0x1);
	assert_int_equal(err->code, BERTH_E_INVALID);
	if (strcmp(err->msg, want))
		fail_msg("expected error '%s'\n  got '%s'", want, err->msg);
}

static void broken_json_is_rejected_with_its_line(void **state)
{
	expect_error("{\n'ociVersion': '1.1.0',\n'root': tru\n}",
		     "config.json: not valid JSON: boolean expected at line 3");
	expect_error("{'ociVersion':'1.1.0',}",
		     "config.json: not valid JSON: unexpected character at line 1");
	expect_error("{\n'ociVersion':'1.1.0'",
		     "config.json: not valid JSON: unexpected end of data at line 2");
	expect_error("", "config.json: not valid JSON: unexpected end of data at line 1");
}

static void data_after_the_document_is_rejected(void **state)
{
	expect_error("{" BASE "}\n{}",
		     "config.json: not valid JSON: unexpected character at line 2");
}

static void a_document_that_is_not_an_object_is_rejected(void **state)
{
	expect_error("['x']", "config.json: the document must be a JSON object");
}

static void missing_root_is_rejected(void **state)
{
	expect_error("{'ociVersion':'1.1.0'}", "config.json: root: required");
	expect_error("{'ociVersion':'1.1.0','root':{}}", "config.json: root.path: required");
	expect_error("{'ociVersion':'1.1.0','root':{'path':''}}",
		     "config.json: root.path: must not be empty");
}

static void missing_oci_version_is_rejected(void **state)
{
	expect_error("{'root':{'path':'r'}}", "config.json: ociVersion: required");
}

static void wrong_types_are_rejected_with_their_path(void **state)
{
	expect_error("{'ociVersion':1,'root':{'path':'r'}}",
		     "config.json: ociVersion: must be a string");
	expect_error("{" BASE ",'linux':[]}", "config.json: linux: must be an object");
	expect_error("{" BASE ",'mounts':{}}", "config.json: mounts: must be an array");
	expect_error("{" BASE ",'root':{'path':'r','readonly':'yes'}}",
		     "config.json: root.readonly: must be a boolean");
	expect_error("{" BASE "," PROC ",'env':['A=1',2]}}",
		     "config.json: process.env[1]: must be a string");
	expect_error("{" BASE ",'annotations':{'a':1}}",
		     "config.json: annotations.a: must be a string");
	expect_error("{" BASE ",'linux':{'sysctl':{'kernel.x':true}}}",
		     "config.json: linux.sysctl.kernel.x: must be a string");
	expect_error("{" BASE "," PROC ",'args':['/bin\\u0000/evil']}}",
		     "config.json: process.args[0]: must not contain a NUL character");
}

static void empty_args_are_rejected(void **state)
{
	expect_error("{" BASE ",'process':{'args':[],'cwd':'/'}}",
		     "config.json: process.args: must have at least one element");
	expect_error("{" BASE ",'process':{'cwd':'/'}}", "config.json: process.args: required");
}

static void relative_cwd_is_rejected(void **state)
{
	expect_error("{" BASE ",'process':{'args':['sh'],'cwd':'work'}}",
		     "config.json: process.cwd: must be an absolute path");
	expect_error("{" BASE ",'process':{'args':['sh']}}", "config.json: process.cwd: required");
}

static void relative_mount_destination_is_rejected_with_its_index(void **state)
{
	expect_error("{" BASE ",'mounts':[{'destination':'/proc','type':'proc'},"
		     "{'destination':'data','type':'bind','source':'/x'}]}",
		     "config.json: mounts[1].destination: must be an absolute path");
	expect_error("{" BASE ",'mounts':[{'type':'proc'}]}",
		     "config.json: mounts[0].destination: required");
}

static void unknown_namespace_type_is_rejected_with_its_path(void **state)
{
	expect_error("{" BASE ",'linux':{'namespaces':[{'type':'pid'},{'type':'mount'},"
		     "{'type':'foo'}]}}",
		     "config.json: linux.namespaces[2].type: unknown namespace 'foo'");
}

static void duplicate_namespace_is_rejected(void **state)
{
	expect_error("{" BASE ",'linux':{'namespaces':[{'type':'pid'},{'type':'pid'}]}}",
		     "config.json: linux.namespaces: duplicate namespace 'pid'");
}

static void namespace_path_must_be_absolute(void **state)
{
	expect_error("{" BASE ",'linux':{'namespaces':[{'type':'net','path':'x'}]}}",
		     "config.json: linux.namespaces[0].type: unknown namespace 'net'");
	expect_error("{" BASE ",'linux':{'namespaces':[{'type':'network','path':'x'}]}}",
		     "config.json: linux.namespaces[0].path: must be an absolute path");
}

/* runtime-spec 1.1 (config.md, Linux Process): a capability the runtime cannot map is a
 * warning of the runtime, not a parse error; the names reach the runtime as written */
static void unknown_capability_is_kept_for_the_runtime(void **state)
{
	char json[] = "{" BASE "," PROC ",'capabilities':{'bounding':['CAP_CHOWN','CAP_TEST'],"
		      "'ambient':['chown']}}}";
	cleanup(oci_spec_freep) struct oci_spec *s = NULL;

	for (char *p = json; *p; p++)
		if (*p == '\'')
			*p = '"';
	assert_int_equal(oci_spec_parse(json, strlen(json), "config.json", &s, NULL), 0);
	assert_string_equal(s->process->capabilities->bounding[1], "CAP_TEST");
	assert_string_equal(s->process->capabilities->ambient[0], "chown");
	expect_error("{" BASE "," PROC ",'capabilities':{'bounding':[1]}}}",
		     "config.json: process.capabilities.bounding[0]: must be a string");
}

static void unknown_rlimit_is_rejected(void **state)
{
	expect_error("{" BASE "," PROC ",'rlimits':[{'type':'RLIMIT_FOO','hard':1,'soft':1}]}}",
		     "config.json: process.rlimits[0].type: unknown rlimit 'RLIMIT_FOO'");
	expect_error("{" BASE "," PROC ",'rlimits':[{'type':'RLIMIT_NOFILE','hard':1,'soft':1},"
		     "{'type':'RLIMIT_NOFILE','hard':2,'soft':2}]}}",
		     "config.json: process.rlimits[1].type: duplicate rlimit 'RLIMIT_NOFILE'");
	expect_error("{" BASE "," PROC ",'rlimits':[{'type':'RLIMIT_NOFILE','soft':1}]}}",
		     "config.json: process.rlimits[0].hard: required");
}

static void negative_unsigned_integers_are_rejected(void **state)
{
	expect_error("{" BASE "," PROC ",'rlimits':[{'type':'RLIMIT_NOFILE','hard':-1,'soft':1}]}}",
		     "config.json: process.rlimits[0].hard: must not be negative");
	expect_error("{" BASE "," PROC ",'user':{'uid':-1,'gid':0}}}",
		     "config.json: process.user.uid: must not be negative");
}

static void floats_are_rejected_where_integers_are_required(void **state)
{
	expect_error("{" BASE "," PROC ",'user':{'uid':1.5,'gid':0}}}",
		     "config.json: process.user.uid: must be an integer");
	expect_error("{" BASE ",'linux':{'resources':{'memory':{'limit':1e6}}}}",
		     "config.json: linux.resources.memory.limit: must be an integer");
}

static void out_of_range_integers_are_rejected(void **state)
{
	expect_error("{" BASE "," PROC ",'user':{'uid':4294967296,'gid':0}}}",
		     "config.json: process.user.uid: out of range (maximum 2147483647)");
	expect_error("{" BASE "," PROC ",'oomScoreAdj':1001}}",
		     "config.json: process.oomScoreAdj: out of range (maximum 1000)");
	expect_error("{" BASE ",'linux':{'resources':{'memory':{'limit':-2}}}}",
		     "config.json: linux.resources.memory.limit: out of range (minimum -1)");
	expect_error("{" BASE ",\n'x':18446744073709551616}",
		     "config.json: number 18446744073709551616 out of range at line 2");
	expect_error("{" BASE ",'x':-9223372036854775809}",
		     "config.json: number -9223372036854775809 out of range at line 1");
	expect_error(
		"{" BASE ",'linux':{'resources':{'pids':{'limit':9223372036854775808}}}}",
		"config.json: linux.resources.pids.limit: out of range (maximum 9223372036854775807)");
}

static void expect_ok(const char *doc)
{
	cleanup_free char *json = xstrdup(doc);
	struct oci_spec *s = NULL;
	cleanup(berth_err_free) struct berth_err *err = NULL;

	for (char *p = json; *p; p++)
		if (*p == '\'')
			*p = '"';
	if (oci_spec_parse(json, strlen(json), "config.json", &s, &err) < 0)
		fail_msg("expected '%s' to parse, got '%s'", json, err->msg);
	oci_spec_free(s);
}

#define IDMAP(key, m) "{" BASE ",'linux':{'" key "':[" m "]}}"

/* regression: issue #15: uid 4294967295 is (uid_t)-1 and ran the process as root */
static void ids_outside_runcs_range_are_rejected(void **state)
{
	expect_error("{" BASE "," PROC ",'user':{'uid':4294967295,'gid':0}}}",
		     "config.json: process.user.uid: out of range (maximum 2147483647)");
	expect_error("{" BASE "," PROC ",'user':{'uid':0,'gid':2147483648}}}",
		     "config.json: process.user.gid: out of range (maximum 2147483647)");
	expect_error(
		"{" BASE "," PROC ",'user':{'uid':0,'gid':0,'additionalGids':[1,4294967295]}}}",
		"config.json: process.user.additionalGids[1]: out of range (maximum 2147483647)");
	expect_error("{" BASE ",'linux':{'devices':[{'type':'c','path':'/dev/x','major':1,"
		     "'minor':3,'uid':4294967295}]}}",
		     "config.json: linux.devices[0].uid: out of range (maximum 2147483647)");
	expect_error("{" BASE ",'linux':{'devices':[{'type':'c','path':'/dev/x','major':1,"
		     "'minor':3,'gid':-1}]}}",
		     "config.json: linux.devices[0].gid: must not be negative");
	expect_ok("{" BASE "," PROC ",'user':{'uid':2147483647,'gid':2147483647,"
		  "'additionalGids':[2147483647]}}}");
}

static void integers_that_would_wrap_are_rejected(void **state)
{
	/* dev_t keeps 12 bits of major and 20 of minor */
	expect_error("{" BASE ",'linux':{'devices':[{'type':'c','path':'/dev/x','major':4097,"
		     "'minor':3}]}}",
		     "config.json: linux.devices[0].major: out of range (maximum 4095)");
	expect_error("{" BASE ",'linux':{'devices':[{'type':'c','path':'/dev/x','major':1,"
		     "'minor':4294967299}]}}",
		     "config.json: linux.devices[0].minor: out of range (maximum 1048575)");
	expect_error("{" BASE ",'linux':{'devices':[{'type':'c','path':'/dev/x','major':1,"
		     "'minor':3,'fileMode':4294967295}]}}",
		     "config.json: linux.devices[0].fileMode: out of range (maximum 07777)");
	expect_error(
		"{" BASE ",'linux':{'resources':{'devices':[{'allow':true,'type':'c',"
		"'major':4294967297,'minor':3}]}}}",
		"config.json: linux.resources.devices[0].major: out of range (maximum 4294967295)");
	expect_error("{" BASE ",'linux':{'resources':{'devices':[{'allow':true,'minor':-2}]}}}",
		     "config.json: linux.resources.devices[0].minor: out of range (minimum -1)");
	expect_error(
		"{" BASE ",'linux':{'resources':{'blockIO':{'throttleReadBpsDevice':["
		"{'major':8,'minor':1048576,'rate':1}]}}}}",
		"config.json: linux.resources.blockIO.throttleReadBpsDevice[0].minor: out of range (maximum 1048575)");
	/* struct winsize: unsigned short */
	expect_error("{" BASE "," PROC ",'consoleSize':{'height':65536,'width':80}}}",
		     "config.json: process.consoleSize.height: out of range (maximum 65535)");
	expect_error("{" BASE "," PROC ",'consoleSize':{'height':24,'width':4294967295}}}",
		     "config.json: process.consoleSize.width: out of range (maximum 65535)");
	/* the seccomp action keeps 16 bits; errnos stop at MAX_ERRNO */
	expect_error("{" BASE ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ERRNO',"
		     "'defaultErrnoRet':65537}}}",
		     "config.json: linux.seccomp.defaultErrnoRet: out of range (maximum 4095)");
	expect_error(
		"{" BASE ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
		"{'names':['getpid'],'action':'SCMP_ACT_TRACE','errnoRet':65536}]}}}",
		"config.json: linux.seccomp.syscalls[0].errnoRet: out of range (maximum 65535)");
	/* time namespace offsets: nanoseconds below one second */
	expect_error(
		"{" BASE ",'linux':{'timeOffsets':{'monotonic':{'secs':1,"
		"'nanosecs':1000000000}}}}",
		"config.json: linux.timeOffsets.monotonic.nanosecs: out of range (maximum 999999999)");
	/* scheduler: sched_setattr's priority range */
	expect_error("{" BASE "," PROC ",'scheduler':{'policy':'SCHED_FIFO','priority':-1}}}",
		     "config.json: process.scheduler.priority: out of range (0 to 99)");
	expect_error("{" BASE "," PROC ",'scheduler':{'policy':'SCHED_FIFO','priority':100}}}",
		     "config.json: process.scheduler.priority: out of range (0 to 99)");
	/* rlimits: setrlimit refuses soft > hard */
	expect_error("{" BASE "," PROC
		     ",'rlimits':[{'type':'RLIMIT_NOFILE','hard':10,'soft':11}]}}",
		     "config.json: process.rlimits[0].soft: 11 is greater than hard (10)");
	expect_ok("{" BASE "," PROC
		  ",'rlimits':[{'type':'RLIMIT_NOFILE','hard':18446744073709551615,"
		  "'soft':18446744073709551615}]}}");
}

/* the kernel refuses an empty id map extent and one whose end wraps past 2^32 - 1 */
static void id_mappings_that_wrap_are_rejected(void **state)
{
	expect_error(IDMAP("uidMappings", "{'containerID':0,'hostID':100000,'size':0}"),
		     "config.json: linux.uidMappings[0].size: must be at least 1");
	expect_error(
		IDMAP("gidMappings", "{'containerID':0,'hostID':0,'size':1},"
				     "{'containerID':4294967295,'hostID':1,'size':1}"),
		"config.json: linux.gidMappings[1].size: containerID + size exceeds 4294967295 (the ids would wrap)");
	expect_error(
		IDMAP("uidMappings", "{'containerID':0,'hostID':4294967200,'size':65536}"),
		"config.json: linux.uidMappings[0].size: hostID + size exceeds 4294967295 (the ids would wrap)");
	expect_error(IDMAP("uidMappings", "{'containerID':-1,'hostID':0,'size':1}"),
		     "config.json: linux.uidMappings[0].containerID: must not be negative");
	expect_ok(IDMAP("uidMappings", "{'containerID':0,'hostID':0,'size':4294967295}"));
}

static void bad_user_fields_are_rejected(void **state)
{
	expect_error("{" BASE "," PROC ",'user':{'uid':0,'gid':0,'umask':512}}}",
		     "config.json: process.user.umask: out of range (maximum 0777)");
	expect_error("{" BASE "," PROC ",'user':{'uid':0,'gid':0,'additionalGids':[1,-2]}}}",
		     "config.json: process.user.additionalGids[1]: must not be negative");
	expect_error("{" BASE "," PROC ",'consoleSize':{'height':10}}}",
		     "config.json: process.consoleSize.width: required");
}

static void bad_devices_are_rejected(void **state)
{
	expect_error("{" BASE ",'linux':{'devices':[{'type':'x','path':'/dev/x','major':1,"
		     "'minor':1}]}}",
		     "config.json: linux.devices[0].type: unknown device type 'x'");
	expect_error("{" BASE ",'linux':{'devices':[{'type':'c','path':'/dev/x','minor':1}]}}",
		     "config.json: linux.devices[0].major: required for device type 'c'");
	expect_error("{" BASE ",'linux':{'devices':[{'type':'p','path':'dev/x'}]}}",
		     "config.json: linux.devices[0].path: must be an absolute path");
	expect_error(
		"{" BASE ",'linux':{'resources':{'devices':[{'allow':true,'access':'rwx'}]}}}",
		"config.json: linux.resources.devices[0].access: invalid access 'rwx' (a subset of \"rwm\")");
	expect_error("{" BASE ",'linux':{'resources':{'devices':[{'access':'r'}]}}}",
		     "config.json: linux.resources.devices[0].allow: required");
}

static void bad_hooks_are_rejected(void **state)
{
	expect_error("{" BASE ",'hooks':{'prestart':[{'path':'hook'}]}}",
		     "config.json: hooks.prestart[0].path: must be an absolute path");
	expect_error("{" BASE ",'hooks':{'poststop':[{'path':'/h'},{'path':'/h','timeout':0}]}}",
		     "config.json: hooks.poststop[1].timeout: must be positive");
	expect_error("{" BASE ",'hooks':{'createRuntime':[{}]}}",
		     "config.json: hooks.createRuntime[0].path: required");
}

static void bad_seccomp_names_are_rejected(void **state)
{
	expect_error(
		"{" BASE ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_DENY'}}}",
		"config.json: linux.seccomp.defaultAction: unknown seccomp action 'SCMP_ACT_DENY'");
	expect_error(
		"{" BASE ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW',"
		"'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_Z80']}}}",
		"config.json: linux.seccomp.architectures[1]: unknown architecture 'SCMP_ARCH_Z80'");
	expect_error(
		"{" BASE ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW',"
		"'flags':['SECCOMP_FILTER_FLAG_FOO']}}}",
		"config.json: linux.seccomp.flags[0]: unknown seccomp flag 'SECCOMP_FILTER_FLAG_FOO'");
	expect_error(
		"{" BASE ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
		"{'names':['read'],'action':'SCMP_ACT_ERRNO','args':[{'index':0,'value':1,"
		"'op':'SCMP_CMP_XX'}]}]}}}",
		"config.json: linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator 'SCMP_CMP_XX'");
	expect_error(
		"{" BASE ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
		"{'names':['read'],'action':'SCMP_ACT_ALLOW','args':[{'index':6,'value':1,"
		"'op':'SCMP_CMP_EQ'}]}]}}}",
		"config.json: linux.seccomp.syscalls[0].args[0].index: out of range (maximum 5)");
}

static void bad_seccomp_rules_are_rejected(void **state)
{
	expect_error(
		"{" BASE ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
		"{'names':['read'],'action':'SCMP_ACT_ALLOW','errnoRet':1}]}}}",
		"config.json: linux.seccomp.syscalls[0].errnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not 'SCMP_ACT_ALLOW'");
	expect_error(
		"{" BASE ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
		"{'names':[],'action':'SCMP_ACT_KILL'}]}}}",
		"config.json: linux.seccomp.syscalls[0].names: must have at least one element");
	expect_error("{" BASE ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
		     "{'names':['mkdir'],'action':'SCMP_ACT_NOTIFY'}]}}}",
		     "config.json: linux.seccomp.listenerPath: required with SCMP_ACT_NOTIFY");
	expect_error("{" BASE ",'linux':{'seccomp':{'syscalls':[]}}}",
		     "config.json: linux.seccomp.defaultAction: required");
}

static void bad_linux_names_are_rejected(void **state)
{
	expect_error("{" BASE ",'linux':{'rootfsPropagation':'rshared2'}}",
		     "config.json: linux.rootfsPropagation: unknown propagation 'rshared2'");
	expect_error("{" BASE ",'linux':{'personality':{'domain':'LINUX64'}}}",
		     "config.json: linux.personality.domain: unknown personality domain 'LINUX64'");
	expect_error("{" BASE ",'linux':{'timeOffsets':{'realtime':{'secs':1}}}}",
		     "config.json: linux.timeOffsets.realtime: unknown clock 'realtime'");
	expect_error("{" BASE ",'linux':{'maskedPaths':['/proc/kcore','proc/keys']}}",
		     "config.json: linux.maskedPaths[1]: must be an absolute path");
	expect_error("{" BASE ",'linux':{'uidMappings':[{'containerID':0,'hostID':1000}]}}",
		     "config.json: linux.uidMappings[0].size: required");
}

static void bad_process_names_are_rejected(void **state)
{
	expect_error(
		"{" BASE "," PROC ",'scheduler':{'policy':'SCHED_FAST'}}}",
		"config.json: process.scheduler.policy: unknown scheduler policy 'SCHED_FAST'");
	expect_error("{" BASE "," PROC ",'scheduler':{'policy':'SCHED_OTHER','nice':20}}}",
		     "config.json: process.scheduler.nice: out of range (-20 to 19)");
	expect_error("{" BASE "," PROC ",'scheduler':{'policy':'SCHED_OTHER','flags':['X']}}}",
		     "config.json: process.scheduler.flags[0]: unknown scheduler flag 'X'");
	expect_error(
		"{" BASE "," PROC ",'ioPriority':{'class':'IOPRIO_CLASS_NONE'}}}",
		"config.json: process.ioPriority.class: unknown I/O priority class 'IOPRIO_CLASS_NONE'");
	expect_error("{" BASE "," PROC ",'ioPriority':{'class':'IOPRIO_CLASS_RT','priority':8}}}",
		     "config.json: process.ioPriority.priority: out of range (0 to 7)");
}

static void bad_resources_are_rejected(void **state)
{
	expect_error("{" BASE ",'linux':{'resources':{'cpu':{'idle':2}}}}",
		     "config.json: linux.resources.cpu.idle: out of range (maximum 1)");
	expect_error("{" BASE ",'linux':{'resources':{'blockIO':{'weight':65536}}}}",
		     "config.json: linux.resources.blockIO.weight: out of range (maximum 65535)");
	expect_error(
		"{" BASE ",'linux':{'resources':{'blockIO':{'throttleReadBpsDevice':"
		"[{'major':8,'minor':0}]}}}}",
		"config.json: linux.resources.blockIO.throttleReadBpsDevice[0].rate: required");
	expect_error("{" BASE ",'linux':{'resources':{'hugepageLimits':[{'limit':1}]}}}",
		     "config.json: linux.resources.hugepageLimits[0].pageSize: required");
	expect_error("{" BASE ",'linux':{'resources':{'pids':{}}}}",
		     "config.json: linux.resources.pids.limit: required");
}

static void the_error_prefix_is_the_given_name(void **state)
{
	static const char doc[] = "{\"args\":[\"sh\"],\"cwd\":\"rel\"}";
	struct oci_process *p = NULL;
	cleanup(berth_err_free) struct berth_err *err = NULL;

	assert_int_equal(oci_process_parse(doc, strlen(doc), "process.json", &p, &err), -1);
	assert_null(p);
	assert_string_equal(err->msg, "process.json: cwd: must be an absolute path");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(broken_json_is_rejected_with_its_line),
		cmocka_unit_test(data_after_the_document_is_rejected),
		cmocka_unit_test(a_document_that_is_not_an_object_is_rejected),
		cmocka_unit_test(missing_root_is_rejected),
		cmocka_unit_test(missing_oci_version_is_rejected),
		cmocka_unit_test(wrong_types_are_rejected_with_their_path),
		cmocka_unit_test(empty_args_are_rejected),
		cmocka_unit_test(relative_cwd_is_rejected),
		cmocka_unit_test(relative_mount_destination_is_rejected_with_its_index),
		cmocka_unit_test(unknown_namespace_type_is_rejected_with_its_path),
		cmocka_unit_test(duplicate_namespace_is_rejected),
		cmocka_unit_test(namespace_path_must_be_absolute),
		cmocka_unit_test(unknown_capability_is_kept_for_the_runtime),
		cmocka_unit_test(unknown_rlimit_is_rejected),
		cmocka_unit_test(negative_unsigned_integers_are_rejected),
		cmocka_unit_test(floats_are_rejected_where_integers_are_required),
		cmocka_unit_test(out_of_range_integers_are_rejected),
		cmocka_unit_test(ids_outside_runcs_range_are_rejected),
		cmocka_unit_test(integers_that_would_wrap_are_rejected),
		cmocka_unit_test(id_mappings_that_wrap_are_rejected),
		cmocka_unit_test(bad_user_fields_are_rejected),
		cmocka_unit_test(bad_devices_are_rejected),
		cmocka_unit_test(bad_hooks_are_rejected),
		cmocka_unit_test(bad_seccomp_names_are_rejected),
		cmocka_unit_test(bad_seccomp_rules_are_rejected),
		cmocka_unit_test(bad_linux_names_are_rejected),
		cmocka_unit_test(bad_process_names_are_rejected),
		cmocka_unit_test(bad_resources_are_rejected),
		cmocka_unit_test(the_error_prefix_is_the_given_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
