/* spec/free.c - destructors of struct oci_spec and its parts (all accept NULL). */
#include <stdlib.h>

#include "common/strv.h"
#include "spec/parse_internal.h"

static void caps_free(struct oci_capabilities *c)
{
	if (!c)
		return;
	strv_free(c->bounding);
	strv_free(c->effective);
	strv_free(c->inheritable);
	strv_free(c->permitted);
	strv_free(c->ambient);
	free(c);
}

static void scheduler_free(struct oci_scheduler *s)
{
	if (!s)
		return;
	free(s->policy);
	strv_free(s->flags);
	free(s);
}

void oci_process_free(struct oci_process *p)
{
	if (!p)
		return;
	free(p->console_size);
	free(p->user.additional_gids);
	free(p->user.username);
	strv_free(p->args);
	free(p->command_line);
	strv_free(p->env);
	free(p->cwd);
	caps_free(p->capabilities);
	for (size_t i = 0; i < p->n_rlimits; i++)
		free(p->rlimits[i].type);
	free(p->rlimits);
	free(p->apparmor_profile);
	scheduler_free(p->scheduler);
	free(p->selinux_label);
	if (p->io_priority)
		free(p->io_priority->class_name);
	free(p->io_priority);
	free(p);
}

void oci_process_freep(struct oci_process **p)
{
	oci_process_free(*p);
	*p = NULL;
}

static void block_io_free(struct oci_block_io *b)
{
	if (!b)
		return;
	free(b->weight_device);
	free(b->throttle_read_bps);
	free(b->throttle_write_bps);
	free(b->throttle_read_iops);
	free(b->throttle_write_iops);
	free(b);
}

static void network_free(struct oci_network *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n_priorities; i++)
		free(n->priorities[i].name);
	free(n->priorities);
	free(n);
}

void oci_resources_free(struct oci_resources *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_devices; i++)
		free(r->devices[i].access);
	free(r->devices);
	free(r->memory);
	if (r->cpu) {
		free(r->cpu->cpus);
		free(r->cpu->mems);
	}
	free(r->cpu);
	block_io_free(r->block_io);
	for (size_t i = 0; i < r->n_hugepage_limits; i++)
		free(r->hugepage_limits[i].page_size);
	free(r->hugepage_limits);
	network_free(r->network);
	for (size_t i = 0; i < r->n_rdma; i++)
		free(r->rdma[i].device);
	free(r->rdma);
	oci_kv_free(r->unified, r->n_unified);
	free(r);
}

void oci_resources_freep(struct oci_resources **r)
{
	oci_resources_free(*r);
	*r = NULL;
}

void oci_seccomp_free(struct oci_seccomp *s)
{
	if (!s)
		return;
	free(s->default_action);
	strv_free(s->architectures);
	strv_free(s->flags);
	free(s->listener_path);
	free(s->listener_metadata);
	for (size_t i = 0; i < s->n_syscalls; i++) {
		strv_free(s->syscalls[i].names);
		free(s->syscalls[i].action);
		free(s->syscalls[i].args);
	}
	free(s->syscalls);
	free(s);
}

void oci_linux_free(struct oci_linux *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n_namespaces; i++)
		free(l->namespaces[i].path);
	free(l->namespaces);
	free(l->uid_mappings);
	free(l->gid_mappings);
	for (size_t i = 0; i < l->n_time_offsets; i++)
		free(l->time_offsets[i].clock);
	free(l->time_offsets);
	for (size_t i = 0; i < l->n_devices; i++)
		free(l->devices[i].path);
	free(l->devices);
	free(l->cgroups_path);
	oci_resources_free(l->resources);
	oci_kv_free(l->sysctl, l->n_sysctl);
	oci_seccomp_free(l->seccomp);
	free(l->rootfs_propagation);
	strv_free(l->masked_paths);
	strv_free(l->readonly_paths);
	free(l->mount_label);
	if (l->personality) {
		free(l->personality->domain);
		strv_free(l->personality->flags);
	}
	free(l->personality);
	oci_kv_free(l->intel_rdt, l->n_intel_rdt);
	free(l);
}

void oci_mount_clear(struct oci_mount *m)
{
	free(m->destination);
	free(m->type);
	free(m->source);
	strv_free(m->options);
	free(m->uid_mappings);
	free(m->gid_mappings);
	free(m->data);
}

static void hook_list_free(struct oci_hook *h, size_t n)
{
	for (size_t i = 0; h && i < n; i++) {
		free(h[i].path);
		strv_free(h[i].args);
		strv_free(h[i].env);
	}
	free(h);
}

void oci_hooks_free(struct oci_hooks *h)
{
	if (!h)
		return;
	hook_list_free(h->prestart, h->n_prestart);
	hook_list_free(h->create_runtime, h->n_create_runtime);
	hook_list_free(h->create_container, h->n_create_container);
	hook_list_free(h->start_container, h->n_start_container);
	hook_list_free(h->poststart, h->n_poststart);
	hook_list_free(h->poststop, h->n_poststop);
	free(h);
}

void oci_spec_free(struct oci_spec *s)
{
	if (!s)
		return;
	free(s->oci_version);
	if (s->root)
		free(s->root->path);
	free(s->root);
	for (size_t i = 0; i < s->n_mounts; i++)
		oci_mount_clear(&s->mounts[i]);
	free(s->mounts);
	oci_process_free(s->process);
	free(s->hostname);
	free(s->domainname);
	oci_hooks_free(s->hooks);
	oci_kv_free(s->annotations, s->n_annotations);
	oci_linux_free(s->linux_);
	free(s);
}

void oci_spec_freep(struct oci_spec **s)
{
	oci_spec_free(*s);
	*s = NULL;
}
