/*
 * Unit tests for spec/: good documents parse into the expected fields and
 * survive a round trip through oci_spec_to_json(); the generated default
 * config and features documents parse back with our own parser.
 * Fixtures: tests/fixtures/spec/ (found through $BERTH_TOP, else SPEC_FIXTURES).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "spec/caps.h"
#include "spec/config.h"
#include "spec/generate.h"
#include "spec/mountopt.h"
#include "spec/names.h"

#ifndef SPEC_FIXTURES
#define SPEC_FIXTURES "tests/fixtures/spec"
#endif

static char *fixture(const char *name, size_t *len)
{
	const char *top = getenv("BERTH_TOP");
	cleanup_free char *path = top ? xasprintf("%s/tests/fixtures/spec/%s", top, name)
				      : xasprintf("%s/%s", SPEC_FIXTURES, name);
	struct berth_err *err = NULL;
	char *buf = NULL;

	if (fs_read_file(AT_FDCWD, path, &buf, len, &err) < 0)
		fail_msg("read fixture '%s': %s", path, err->msg);
	return buf;
}

static struct oci_spec *parse_ok(const char *buf, size_t len)
{
	struct oci_spec *s = NULL;
	struct berth_err *err = NULL;

	if (oci_spec_parse(buf, len, "config.json", &s, &err) < 0)
		fail_msg("expected the document to parse, got: %s", err->msg);
	assert_non_null(s);
	return s;
}

static struct oci_spec *parse_fixture(const char *name)
{
	size_t len;
	cleanup_free char *buf = fixture(name, &len);

	return parse_ok(buf, len);
}

/* parse(to_json(s)) */
static struct oci_spec *reparse(const struct oci_spec *s)
{
	cleanup_free char *j = oci_spec_to_json(s);

	assert_non_null(j);
	return parse_ok(j, strlen(j));
}

static void check_full_process(const struct oci_process *p)
{
	assert_non_null(p);
	assert_true(p->terminal);
	assert_non_null(p->console_size);
	assert_int_equal(p->console_size->height, 25);
	assert_int_equal(p->console_size->width, 80);
	assert_int_equal(p->user.uid, 1000);
	assert_int_equal(p->user.gid, 1001);
	assert_true(p->user.has_umask);
	assert_int_equal(p->user.umask, 022);
	assert_int_equal(p->user.n_additional_gids, 3);
	assert_int_equal(p->user.additional_gids[2], 2147483647u); /* runc's maximum */
	assert_string_equal(p->user.username, "nobody");
	assert_int_equal(strv_len(p->args), 3);
	assert_string_equal(p->args[2], "echo hi");
	assert_string_equal(p->command_line, "sh -c 'echo hi'");
	assert_string_equal(p->env[1], "TERM=xterm");
	assert_string_equal(p->cwd, "/work");
	assert_non_null(p->capabilities);
	assert_string_equal(p->capabilities->bounding[1], "CAP_CHECKPOINT_RESTORE");
	assert_non_null(p->capabilities->inheritable);
	assert_null(p->capabilities->inheritable[0]);
	assert_string_equal(p->capabilities->permitted[0], "CAP_SYS_ADMIN");
	assert_string_equal(p->capabilities->ambient[0], "CAP_NET_BIND_SERVICE");
	assert_int_equal(p->n_rlimits, 2);
	assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(p->rlimits[0].hard, 4096);
	assert_int_equal(p->rlimits[0].soft, 1024);
	assert_int_equal(p->rlimits[1].resource, RLIMIT_CORE);
	assert_true(p->rlimits[1].hard == UINT64_MAX);
	assert_true(p->no_new_privileges);
	assert_string_equal(p->apparmor_profile, "berth-default");
	assert_true(p->has_oom_score_adj);
	assert_int_equal(p->oom_score_adj, -500);
	assert_string_equal(p->selinux_label, "system_u:system_r:container_t:s0:c1,c2");
}

static void check_full_process_extras(const struct oci_process *p)
{
	assert_non_null(p->scheduler);
	assert_string_equal(p->scheduler->policy, "SCHED_DEADLINE");
	assert_int_equal(p->scheduler->policy_num, SCHED_DEADLINE);
	assert_int_equal(p->scheduler->nice, -5);
	assert_int_equal(p->scheduler->priority, 3);
	assert_string_equal(p->scheduler->flags[1], "SCHED_FLAG_RECLAIM");
	assert_int_equal(p->scheduler->runtime, 10000000);
	assert_int_equal(p->scheduler->deadline, 20000000);
	assert_int_equal(p->scheduler->period, 30000000);
	assert_non_null(p->io_priority);
	assert_string_equal(p->io_priority->class_name, "IOPRIO_CLASS_BE");
	assert_int_equal(p->io_priority->class_num, 2);
	assert_int_equal(p->io_priority->priority, 4);
}

static void check_full_top(const struct oci_spec *s)
{
	const struct oci_mount *m;

	assert_string_equal(s->oci_version, "1.1.0");
	assert_string_equal(s->root->path, "/var/lib/rootfs");
	assert_true(s->root->readonly);
	assert_string_equal(s->hostname, "full");
	assert_string_equal(s->domainname, "example.org");
	assert_int_equal(s->n_mounts, 3);
	m = &s->mounts[0];
	assert_string_equal(m->destination, "/dev");
	assert_int_equal(m->flags, MS_NOSUID | MS_STRICTATIME);
	assert_string_equal(m->data, "mode=755,size=65536k");
	m = &s->mounts[1];
	assert_string_equal(m->type, "bind");
	assert_string_equal(m->source, "/srv/data");
	assert_true(m->bind && m->rbind && m->rec && m->tmpcopyup);
	assert_int_equal(m->flags, MS_RDONLY);
	assert_int_equal(m->propagation, MS_PRIVATE | MS_REC);
	assert_int_equal(m->rec_attr_set, MOUNT_ATTR_NOEXEC);
	assert_null(m->data);
	assert_int_equal(m->n_uid_mappings, 1);
	assert_int_equal(m->uid_mappings[0].host_id, 100000);
	assert_int_equal(m->gid_mappings[0].host_id, 200000);
	assert_null(s->mounts[2].type);
	assert_null(s->mounts[2].source);
	assert_null(s->mounts[2].options);
	assert_int_equal(s->n_annotations, 2);
}

static void check_full_hooks(const struct oci_hooks *h)
{
	assert_non_null(h);
	assert_int_equal(h->n_prestart, 1);
	assert_string_equal(h->prestart[0].path, "/usr/bin/pre");
	assert_string_equal(h->prestart[0].args[1], "x");
	assert_string_equal(h->prestart[0].env[0], "A=1");
	assert_true(h->prestart[0].has_timeout);
	assert_int_equal(h->prestart[0].timeout, 5);
	assert_int_equal(h->n_create_runtime, 1);
	assert_int_equal(h->n_create_container, 1);
	assert_string_equal(h->create_container[0].args[0], "cc");
	assert_int_equal(h->n_start_container, 1);
	assert_int_equal(h->n_poststart, 1);
	assert_int_equal(h->poststart[0].timeout, 1);
	assert_int_equal(h->n_poststop, 2);
	assert_false(h->poststop[1].has_timeout);
	assert_string_equal(h->poststop[1].path, "/usr/bin/pst2");
}

static void check_full_linux(const struct oci_linux *l)
{
	assert_non_null(l);
	assert_int_equal(l->n_namespaces, 8);
	assert_int_equal(l->namespaces[1].type, OCI_NS_NETWORK);
	assert_string_equal(l->namespaces[1].path, "/var/run/netns/n1");
	assert_int_equal(l->namespaces[7].type, OCI_NS_TIME);
	assert_int_equal(l->n_uid_mappings, 1);
	assert_int_equal(l->n_gid_mappings, 2);
	assert_int_equal(l->gid_mappings[1].size, 65535);
	assert_int_equal(l->n_time_offsets, 2);
	assert_string_equal(l->time_offsets[0].clock, "monotonic");
	assert_int_equal(l->time_offsets[0].secs, -86400);
	assert_int_equal(l->time_offsets[0].nanosecs, 500);
	assert_int_equal(l->n_devices, 3);
	assert_int_equal(l->devices[0].type, 'c');
	assert_int_equal(l->devices[0].major, 10);
	assert_int_equal(l->devices[0].minor, 229);
	assert_true(l->devices[0].has_file_mode && l->devices[0].has_uid && l->devices[0].has_gid);
	assert_int_equal(l->devices[0].file_mode, 0666);
	assert_int_equal(l->devices[0].gid, 5);
	assert_int_equal(l->devices[2].type, 'p');
	assert_false(l->devices[2].has_file_mode);
	assert_string_equal(l->cgroups_path, "/berth/full");
	assert_int_equal(l->n_sysctl, 2);
	assert_string_equal(l->sysctl[0].key, "net.ipv4.ip_forward");
	assert_string_equal(l->sysctl[0].value, "1");
	assert_string_equal(l->rootfs_propagation, "rslave");
	assert_int_equal(l->rootfs_propagation_flags, MS_SLAVE | MS_REC);
	assert_int_equal(strv_len(l->masked_paths), 2);
	assert_string_equal(l->readonly_paths[0], "/proc/sys");
	assert_string_equal(l->mount_label, "system_u:object_r:container_file_t:s0");
	assert_string_equal(l->personality->domain, "LINUX32");
	assert_int_equal(l->personality->domain_num, PER_LINUX32);
	assert_int_equal(l->n_intel_rdt, 3);
	assert_string_equal(l->intel_rdt[0].key, "closID");
	assert_string_equal(l->intel_rdt[2].value, "true");
}

static void check_full_resources(const struct oci_resources *r)
{
	assert_non_null(r);
	assert_int_equal(r->n_devices, 3);
	assert_false(r->devices[0].allow);
	assert_int_equal(r->devices[0].type, 'a');
	assert_false(r->devices[0].has_major);
	assert_int_equal(r->devices[0].major, -1);
	assert_int_equal(r->devices[1].type, 'c');
	assert_int_equal(r->devices[1].minor, 229);
	assert_string_equal(r->devices[1].access, "rw");
	assert_true(r->devices[2].has_major && !r->devices[2].has_minor);
	assert_null(r->devices[2].access);
	assert_true(r->memory->has_limit && r->memory->has_swap && r->memory->has_kernel);
	assert_int_equal(r->memory->limit, 536870912);
	assert_int_equal(r->memory->swap, -1);
	assert_int_equal(r->memory->swappiness, 60);
	assert_true(r->memory->has_disable_oom_killer && r->memory->disable_oom_killer);
	assert_true(r->memory->has_use_hierarchy && !r->memory->use_hierarchy);
	assert_true(r->memory->check_before_update);
	assert_int_equal(r->cpu->shares, 1024);
	assert_int_equal(r->cpu->quota, 50000);
	assert_int_equal(r->cpu->burst, 10000);
	assert_int_equal(r->cpu->realtime_runtime, 950000);
	assert_string_equal(r->cpu->cpus, "0-1");
	assert_true(r->cpu->has_idle);
	assert_int_equal(r->cpu->idle, 1);
	assert_true(r->has_pids_limit);
	assert_int_equal(r->pids_limit, 100);
	assert_int_equal(r->block_io->weight, 500);
	assert_int_equal(r->block_io->leaf_weight, 300);
	assert_int_equal(r->block_io->weight_device[0].weight, 600);
	assert_int_equal(r->block_io->throttle_write_bps[0].minor, 16);
	assert_int_equal(r->block_io->throttle_write_iops[0].rate, 200);
	assert_string_equal(r->hugepage_limits[0].page_size, "2MB");
	assert_int_equal(r->network->class_id, 1048577);
	assert_string_equal(r->network->priorities[0].name, "eth0");
	assert_int_equal(r->n_rdma, 1);
	assert_string_equal(r->rdma[0].device, "mlx5_1");
	assert_int_equal(r->rdma[0].hca_objects, 10000);
	assert_int_equal(r->n_unified, 2);
	assert_string_equal(r->unified[1].value, "default 100");
}

static void check_full_seccomp(const struct oci_seccomp *sc)
{
	assert_non_null(sc);
	assert_string_equal(sc->default_action, "SCMP_ACT_ERRNO");
	assert_int_equal(sc->default_action_num, SCMP_ACT_ERRNO(38));
	assert_string_equal(sc->architectures[2], "SCMP_ARCH_X32");
	assert_string_equal(sc->flags[1], "SECCOMP_FILTER_FLAG_SPEC_ALLOW");
	assert_string_equal(sc->listener_path, "/run/seccomp-agent.sock");
	assert_string_equal(sc->listener_metadata, "meta");
	assert_int_equal(sc->n_syscalls, 6);
	assert_int_equal(sc->syscalls[0].action_num, SCMP_ACT_ALLOW);
	assert_int_equal(sc->syscalls[1].args[0].op, SCMP_CMP_EQ);
	assert_int_equal(sc->syscalls[1].args[0].value, 8);
	assert_int_equal(sc->syscalls[2].action_num, SCMP_ACT_ERRNO(1));
	assert_int_equal(sc->syscalls[2].args[0].op, SCMP_CMP_MASKED_EQ);
	assert_int_equal(sc->syscalls[3].action_num, SCMP_ACT_NOTIFY);
	assert_int_equal(sc->syscalls[4].action_num, SCMP_ACT_TRACE(EPERM));
	assert_int_equal(sc->syscalls[5].action_num, SCMP_ACT_KILL_PROCESS);
}

static void check_full(const struct oci_spec *s)
{
	check_full_top(s);
	check_full_process(s->process);
	check_full_process_extras(s->process);
	check_full_hooks(s->hooks);
	check_full_linux(s->linux_);
	check_full_resources(s->linux_->resources);
	check_full_seccomp(s->linux_->seccomp);
}

static void full_document_parses_every_field(void **state)
{
	cleanup(oci_spec_freep) struct oci_spec *s = parse_fixture("full.json");

	check_full(s);
}

static void full_document_round_trips_field_for_field(void **state)
{
	cleanup(oci_spec_freep) struct oci_spec *s = parse_fixture("full.json");
	cleanup(oci_spec_freep) struct oci_spec *t = reparse(s);
	cleanup_free char *j1 = oci_spec_to_json(s);
	cleanup_free char *j2 = oci_spec_to_json(t);

	check_full(t);
	assert_string_equal(j1, j2);
}

static void runc_default_spec_parses_and_round_trips(void **state)
{
	cleanup(oci_spec_freep) struct oci_spec *s = parse_fixture("runc-default.json");
	cleanup(oci_spec_freep) struct oci_spec *t = NULL;
	cleanup_free char *j1 = oci_spec_to_json(s);
	cleanup_free char *j2 = NULL;

	assert_string_equal(s->process->args[0], "sh");
	assert_int_equal(s->n_mounts, 7);
	assert_string_equal(s->mounts[2].data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
	assert_int_equal(s->mounts[2].flags, MS_NOSUID | MS_NOEXEC);
	assert_int_equal(s->mounts[6].flags,
			 MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY);
	assert_int_equal(s->linux_->n_namespaces, 5);
	assert_non_null(oci_spec_find_ns(s, OCI_NS_MOUNT));
	assert_null(oci_spec_find_ns(s, OCI_NS_USER));
	assert_int_equal(s->linux_->resources->n_devices, 1);
	t = reparse(s);
	j2 = oci_spec_to_json(t);
	assert_string_equal(j1, j2);
}

static void minimal_document_has_no_process_and_no_linux(void **state)
{
	cleanup(oci_spec_freep) struct oci_spec *s = parse_fixture("minimal.json");
	cleanup(oci_spec_freep) struct oci_spec *t = reparse(s);

	assert_string_equal(s->root->path, "rootfs");
	assert_false(s->root->readonly);
	assert_null(s->process);
	assert_null(s->linux_);
	assert_null(s->hooks);
	assert_int_equal(s->n_mounts, 0);
	assert_null(t->process);
	assert_string_equal(t->oci_version, "1.1.0");
}

static void json_null_counts_as_absent(void **state)
{
	static const char doc[] =
		"{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},"
		"\"process\":null,\"hostname\":null,\"linux\":{\"seccomp\":null}}";
	cleanup(oci_spec_freep) struct oci_spec *s = parse_ok(doc, strlen(doc));

	assert_null(s->process);
	assert_null(s->hostname);
	assert_non_null(s->linux_);
	assert_null(s->linux_->seccomp);
}

static void empty_propagation_is_none_and_errno_ret_applies_to_trace(void **state)
{
	static const char doc[] =
		"{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"linux\":{"
		"\"rootfsPropagation\":\"\",\"seccomp\":{\"defaultAction\":\"SCMP_ACT_TRACE\","
		"\"defaultErrnoRet\":7,\"syscalls\":[{\"names\":[\"x\"],\"action\":\"SCMP_ACT_ERRNO\","
		"\"errnoRet\":0}]}}}";
	cleanup(oci_spec_freep) struct oci_spec *s = parse_ok(doc, strlen(doc));

	assert_string_equal(s->linux_->rootfs_propagation, "");
	assert_int_equal(s->linux_->rootfs_propagation_flags, 0);
	assert_int_equal(s->linux_->seccomp->default_action_num, SCMP_ACT_TRACE(7));
	assert_true(s->linux_->seccomp->syscalls[0].has_errno_ret);
	assert_int_equal(s->linux_->seccomp->syscalls[0].action_num, SCMP_ACT_ERRNO(0));
}

static void load_reads_config_json_from_the_bundle(void **state)
{
	char dir[] = "/tmp/berth-test-spec-XXXXXX";
	cleanup_free char *path = NULL;
	struct oci_spec *s = NULL;
	struct berth_err *err = NULL;
	static const char doc[] = "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"rootfs\"}}";
	cleanup_close int dirfd = -1;
	int ret;

	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/config.json", dir);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dirfd >= 0);
	assert_int_equal(fs_write_atomic(dirfd, "config.json", doc, strlen(doc), 0644, &err), 0);
	ret = oci_spec_load(dir, &s, &err);
	unlink(path);
	rmdir(dir);
	if (ret < 0)
		fail_msg("load: %s", err->msg);
	assert_string_equal(s->root->path, "rootfs");
	oci_spec_free(s);
}

static void load_of_a_missing_bundle_names_the_bundle(void **state)
{
	struct oci_spec *s = NULL;
	cleanup(berth_err_free) struct berth_err *err = NULL;

	assert_int_equal(oci_spec_load("/nonexistent/berth-bundle", &s, &err), -1);
	assert_null(s);
	assert_int_equal(err->code, BERTH_E_NOT_FOUND);
	assert_non_null(strstr(err->msg, "load bundle '/nonexistent/berth-bundle'"));
}

static void process_alone_parses_with_bare_paths(void **state)
{
	static const char doc[] = "{\"args\":[\"ls\"],\"cwd\":\"/\",\"env\":[\"A=b\"]}";
	static const char bad[] = "{\"args\":[],\"cwd\":\"/\"}";
	cleanup(oci_process_freep) struct oci_process *p = NULL;
	cleanup(berth_err_free) struct berth_err *err = NULL;
	cleanup_free char *j = NULL;

	assert_int_equal(oci_process_parse(doc, strlen(doc), "process.json", &p, &err), 0);
	assert_string_equal(p->args[0], "ls");
	j = oci_process_to_json(p);
	assert_non_null(strstr(j, "\"ls\""));
	assert_int_equal(oci_process_parse(bad, strlen(bad), "process.json", &p, &err), -1);
	assert_string_equal(err->msg, "process.json: args: must have at least one element");
}

static void resources_alone_parse_for_update(void **state)
{
	static const char doc[] = "{\"memory\":{\"limit\":1048576},\"pids\":{\"limit\":-1},"
				  "\"cpu\":{\"quota\":-1}}";
	cleanup(oci_resources_freep) struct oci_resources *r = NULL;
	cleanup(oci_resources_freep) struct oci_resources *r2 = NULL;
	cleanup(berth_err_free) struct berth_err *err = NULL;
	cleanup_free char *j = NULL;

	assert_int_equal(oci_resources_parse(doc, strlen(doc), "resources", &r, &err), 0);
	assert_int_equal(r->memory->limit, 1048576);
	assert_int_equal(r->pids_limit, -1);
	assert_int_equal(r->cpu->quota, -1);
	j = oci_resources_to_json(r);
	assert_int_equal(oci_resources_parse(j, strlen(j), "resources", &r2, &err), 0);
	assert_int_equal(r2->pids_limit, -1);
	assert_true(r2->cpu->has_quota);
}

static void namespace_names_and_clone_flags_match(void **state)
{
	assert_string_equal(oci_ns_type_name(OCI_NS_NETWORK), "network");
	assert_int_equal(oci_ns_type_from_name("cgroup"), OCI_NS_CGROUP);
	assert_int_equal(oci_ns_type_from_name("net"), -1);
	assert_int_equal(oci_ns_clone_flag(OCI_NS_USER), CLONE_NEWUSER);
	assert_int_equal(oci_ns_clone_flag(OCI_NS_MOUNT), CLONE_NEWNS);
	assert_null(oci_ns_type_name(OCI_NS_COUNT));
}

static void capability_names_cover_the_kernel_list(void **state)
{
	assert_int_equal(oci_cap_from_name("CAP_CHOWN"), 0);
	assert_int_equal(oci_cap_from_name("CAP_SYS_ADMIN"), 21);
	assert_int_equal(oci_cap_from_name("CAP_CHECKPOINT_RESTORE"), OCI_CAP_LAST);
	assert_int_equal(oci_cap_from_name("cap_chown"), -1);
	assert_int_equal(oci_cap_from_name("CAP_TEST"), -1);
	assert_string_equal(oci_cap_name(38), "CAP_PERFMON");
	assert_null(oci_cap_name(OCI_CAP_LAST + 1));
	for (int i = 0; i <= OCI_CAP_LAST; i++)
		assert_int_equal(oci_cap_from_name(oci_cap_name(i)), i);
}

static void default_spec_parses_back_like_runc_spec(void **state)
{
	cleanup_free char *j = oci_spec_default_json(false);
	cleanup(oci_spec_freep) struct oci_spec *s = parse_ok(j, strlen(j));

	assert_string_equal(s->oci_version, OCI_SPEC_VERSION);
	assert_true(s->process->terminal);
	assert_string_equal(s->process->args[0], "sh");
	assert_int_equal(strv_len(s->process->capabilities->bounding), 3);
	assert_null(s->process->capabilities->inheritable);
	assert_int_equal(s->process->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(s->process->rlimits[0].soft, 1024);
	assert_true(s->process->no_new_privileges);
	assert_true(s->root->readonly);
	assert_int_equal(s->n_mounts, 7);
	assert_string_equal(s->mounts[6].destination, "/sys/fs/cgroup");
	assert_non_null(oci_spec_find_ns(s, OCI_NS_NETWORK));
	assert_null(oci_spec_find_ns(s, OCI_NS_USER));
	assert_int_equal(strv_len(s->linux_->masked_paths), 10);
	assert_int_equal(strv_len(s->linux_->readonly_paths), 5);
	assert_false(s->linux_->resources->devices[0].allow);
}

static void rootless_default_spec_maps_the_caller_and_drops_network(void **state)
{
	cleanup_free char *j = oci_spec_default_json(true);
	cleanup(oci_spec_freep) struct oci_spec *s = parse_ok(j, strlen(j));

	assert_non_null(oci_spec_find_ns(s, OCI_NS_USER));
	assert_null(oci_spec_find_ns(s, OCI_NS_NETWORK));
	assert_int_equal(s->linux_->n_uid_mappings, 1);
	assert_int_equal(s->linux_->uid_mappings[0].container_id, 0);
	assert_int_equal(s->linux_->uid_mappings[0].host_id, geteuid());
	assert_int_equal(s->linux_->gid_mappings[0].host_id, getegid());
	assert_null(s->linux_->resources);
	assert_string_equal(s->mounts[5].source, "/sys");
	assert_true(s->mounts[5].rbind);
	assert_null(strstr(s->mounts[2].data, "gid=5"));
}

static void features_document_lists_what_the_parser_accepts(void **state)
{
	cleanup_free char *j = oci_features_json();

	assert_non_null(strstr(j, "\"ociVersionMin\": \"1.0.0\""));
	assert_non_null(strstr(j, "\"ociVersionMax\": \"" OCI_SPEC_VERSION "\""));
	assert_non_null(strstr(j, "\"createContainer\""));
	assert_non_null(strstr(j, "\"rbind\""));
	assert_non_null(strstr(j, "\"CAP_CHECKPOINT_RESTORE\""));
	assert_non_null(strstr(j, "\"SCMP_ACT_KILL_PROCESS\""));
	assert_non_null(strstr(j, "\"SCMP_CMP_MASKED_EQ\""));
	assert_non_null(strstr(j, "\"SCMP_ARCH_X86_64\""));
	assert_non_null(strstr(j, "\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\""));
	assert_non_null(strstr(j, "\"time\""));
}

/* "a","b",... of a names table, each also checked to be listed in features */
static char *quoted_names(const struct oci_name *t, const char *features)
{
	char **v = NULL;
	char *r;

	for (size_t i = 0; t[i].name; i++) {
		strv_push_take(&v, xasprintf("\"%s\"", t[i].name));
		if (!strstr(features, v[i]))
			fail_msg("features do not list %s", v[i]);
	}
	r = strv_join(v, ",");
	strv_free(v);
	return r;
}

static char *seccomp_rules(const char *features)
{
	char **v = NULL;
	char *r;

	for (size_t i = 0; oci_seccomp_action_names[i].name; i++)
		strv_push_take(&v, xasprintf("{\"names\":[\"read\"],\"action\":\"%s\"}",
					     oci_seccomp_action_names[i].name));
	for (size_t i = 0; oci_seccomp_op_names[i].name; i++)
		strv_push_take(&v, xasprintf("{\"names\":[\"write\"],\"action\":\"SCMP_ACT_ALLOW\","
					     "\"args\":[{\"index\":1,\"value\":2,\"op\":\"%s\"}]}",
					     oci_seccomp_op_names[i].name));
	r = strv_join(v, ",");
	strv_free(v);
	return r;
}

static char *all_mount_options(const char *features)
{
	char **v = NULL;
	char *r;

	for (size_t i = 0; oci_mount_option_name(i); i++) {
		strv_push_take(&v, xasprintf("\"%s\"", oci_mount_option_name(i)));
		if (!strstr(features, v[i]))
			fail_msg("features do not list mount option %s", v[i]);
	}
	r = strv_join(v, ",");
	strv_free(v);
	return r;
}

static char *all_caps(const char *features)
{
	char **v = NULL;
	char *r;

	for (int i = 0; i <= OCI_CAP_LAST; i++) {
		strv_push_take(&v, xasprintf("\"%s\"", oci_cap_name(i)));
		if (!strstr(features, v[i]))
			fail_msg("features do not list %s", v[i]);
	}
	r = strv_join(v, ",");
	strv_free(v);
	return r;
}

static void everything_the_features_list_is_accepted_by_the_parser(void **state)
{
	cleanup_free char *f = oci_features_json();
	cleanup_free char *archs = quoted_names(oci_seccomp_arch_names, f);
	cleanup_free char *flags = quoted_names(oci_seccomp_flag_names, f);
	cleanup_free char *acts = quoted_names(oci_seccomp_action_names, f);
	cleanup_free char *ops = quoted_names(oci_seccomp_op_names, f);
	cleanup_free char *rules = seccomp_rules(f);
	cleanup_free char *opts = all_mount_options(f);
	cleanup_free char *caps = all_caps(f);
	cleanup_free char *doc = xasprintf(
		"{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"r\"},"
		"\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"capabilities\":{\"bounding\":[%s]}},"
		"\"mounts\":[{\"destination\":\"/m\",\"options\":[%s]}],"
		"\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},"
		"{\"type\":\"mount\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"user\"},"
		"{\"type\":\"cgroup\"},{\"type\":\"time\"}],"
		"\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"listenerPath\":\"/run/l.sock\","
		"\"architectures\":[%s],\"flags\":[%s],\"syscalls\":[%s]}}}",
		caps, opts, archs, flags, rules);
	cleanup(oci_spec_freep) struct oci_spec *s = parse_ok(doc, strlen(doc));

	assert_non_null(acts);
	assert_non_null(ops);
	for (int i = 0; i < OCI_NS_COUNT; i++) {
		cleanup_free char *q = xasprintf("\"%s\"", oci_ns_type_name(i));

		assert_non_null(strstr(f, q));
	}
	assert_int_equal(s->linux_->n_namespaces, OCI_NS_COUNT);
	assert_int_equal(strv_len(s->process->capabilities->bounding), OCI_CAP_LAST + 1);
	/* ERRNO without errnoRet means EPERM */
	assert_int_equal(s->linux_->seccomp->default_action_num, SCMP_ACT_ERRNO(EPERM));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_document_parses_every_field),
		cmocka_unit_test(full_document_round_trips_field_for_field),
		cmocka_unit_test(runc_default_spec_parses_and_round_trips),
		cmocka_unit_test(minimal_document_has_no_process_and_no_linux),
		cmocka_unit_test(json_null_counts_as_absent),
		cmocka_unit_test(empty_propagation_is_none_and_errno_ret_applies_to_trace),
		cmocka_unit_test(load_reads_config_json_from_the_bundle),
		cmocka_unit_test(load_of_a_missing_bundle_names_the_bundle),
		cmocka_unit_test(process_alone_parses_with_bare_paths),
		cmocka_unit_test(resources_alone_parse_for_update),
		cmocka_unit_test(namespace_names_and_clone_flags_match),
		cmocka_unit_test(capability_names_cover_the_kernel_list),
		cmocka_unit_test(default_spec_parses_back_like_runc_spec),
		cmocka_unit_test(rootless_default_spec_maps_the_caller_and_drops_network),
		cmocka_unit_test(features_document_lists_what_the_parser_accepts),
		cmocka_unit_test(everything_the_features_list_is_accepted_by_the_parser),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
