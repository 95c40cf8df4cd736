/*
 * supervisor/cni/cni_result.c - parsing a plugin's result (CNI 0.3.0 .. 1.0.0 share this
 * shape: interfaces, ips with an interface index, routes, dns).
 *
 * The input comes from a plugin, so it is checked like any input: a wrong type or an
 * index out of range is an error naming the field, never a crash.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/bjson.h"
#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/cni/cni.h"
#include "supervisor/cni/cni_internal.h"

/* at most this many entries in each list: a real result has a handful */
#define MAX_ENTRIES 1024

void cni_result_free(struct cni_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_interfaces; i++) {
		free(r->interfaces[i].name);
		free(r->interfaces[i].mac);
		free(r->interfaces[i].sandbox);
	}
	for (size_t i = 0; i < r->n_ips; i++) {
		free(r->ips[i].address);
		free(r->ips[i].gateway);
	}
	for (size_t i = 0; i < r->n_routes; i++) {
		free(r->routes[i].dst);
		free(r->routes[i].gw);
	}
	free(r->interfaces);
	free(r->ips);
	free(r->routes);
	strv_free(r->dns_nameservers);
	strv_free(r->dns_search);
	strv_free(r->dns_options);
	free(r->dns_domain);
	free(r->cni_version);
	free(r->raw);
	free(r);
}

void cni_result_freep(struct cni_result **r)
{
	cni_result_free(*r);
	*r = NULL;
}

/* An optional string member: 0 and *out NULL when absent, -1 on a wrong type. */
static int opt_str(const struct bjson *o, const char *key, const char *name, const char *path,
		   char **out, struct berth_err **err)
{
	const struct bjson *v = bjson_get(o, key);

	*out = NULL;
	if (!v)
		return 0;
	if (!bjson_str(v))
		return berth_err_new(err, BERTH_E_INVALID, "%s: %s.%s: not a string", name, path,
				     key);
	*out = xstrdup(bjson_str(v));
	return 0;
}

static int req_str(const struct bjson *o, const char *key, const char *name, const char *path,
		   char **out, struct berth_err **err)
{
	if (opt_str(o, key, name, path, out, err) < 0)
		return -1;
	if (!*out)
		return berth_err_new(err, BERTH_E_INVALID, "%s: %s.%s: missing", name, path, key);
	return 0;
}

/* The array member key of o: n = 0 when absent; -1 if not an array or too long. */
static int opt_array(const struct bjson *o, const char *key, const char *name,
		     const struct bjson **arr, size_t *n, struct berth_err **err)
{
	*arr = bjson_get(o, key);
	*n = 0;
	if (!*arr)
		return 0;
	if (!bjson_is_array(*arr))
		return berth_err_new(err, BERTH_E_INVALID, "%s: %s: not an array", name, key);
	*n = bjson_array_len(*arr);
	if (*n > MAX_ENTRIES)
		return berth_err_new(err, BERTH_E_INVALID, "%s: %s: %zu entries, at most %d", name,
				     key, *n, MAX_ENTRIES);
	return 0;
}

static int item(const struct bjson *arr, size_t i, const char *name, const char *key,
		const struct bjson **o, char *path, size_t pathlen, struct berth_err **err)
{
	snprintf(path, pathlen, "%s[%zu]", key, i);
	*o = bjson_array_get(arr, i);
	if (!bjson_is_object(*o))
		return berth_err_new(err, BERTH_E_INVALID, "%s: %s: not an object", name, path);
	return 0;
}

static int interfaces_parse(const struct bjson *root, const char *name, struct cni_result *r,
			    struct berth_err **err)
{
	const struct bjson *arr, *o;
	char path[48];
	size_t n;

	if (opt_array(root, "interfaces", name, &arr, &n, err) < 0)
		return -1;
	r->interfaces = xcalloc(n ? n : 1, sizeof(*r->interfaces));
	for (size_t i = 0; i < n; i++) {
		struct cni_interface *f = &r->interfaces[i];

		r->n_interfaces = i + 1;
		if (item(arr, i, name, "interfaces", &o, path, sizeof(path), err) < 0 ||
		    req_str(o, "name", name, path, &f->name, err) < 0 ||
		    opt_str(o, "mac", name, path, &f->mac, err) < 0 ||
		    opt_str(o, "sandbox", name, path, &f->sandbox, err) < 0)
			return -1;
	}
	return 0;
}

static int ips_parse(const struct bjson *root, const char *name, struct cni_result *r,
		     struct berth_err **err)
{
	const struct bjson *arr, *o;
	char path[48];
	size_t n;

	if (opt_array(root, "ips", name, &arr, &n, err) < 0)
		return -1;
	r->ips = xcalloc(n ? n : 1, sizeof(*r->ips));
	for (size_t i = 0; i < n; i++) {
		struct cni_ip *ip = &r->ips[i];
		int64_t idx;

		r->n_ips = i + 1;
		ip->interface = -1;
		if (item(arr, i, name, "ips", &o, path, sizeof(path), err) < 0 ||
		    req_str(o, "address", name, path, &ip->address, err) < 0 ||
		    opt_str(o, "gateway", name, path, &ip->gateway, err) < 0)
			return -1;
		if (!strchr(ip->address, '/'))
			return berth_err_new(err, BERTH_E_INVALID,
					     "%s: %s.address: '%.64s' is not in CIDR notation",
					     name, path, ip->address);
		if (!bjson_get(o, "interface"))
			continue;
		if (!bjson_get_int(o, "interface", &idx))
			return berth_err_new(err, BERTH_E_INVALID,
					     "%s: %s.interface: not an integer", name, path);
		if (idx < 0 || (uint64_t)idx >= r->n_interfaces)
			return berth_err_new(
				err, BERTH_E_INVALID,
				"%s: %s.interface: index %lld out of range (%zu interfaces)", name,
				path, (long long)idx, r->n_interfaces);
		ip->interface = (int)idx;
	}
	return 0;
}

static int routes_parse(const struct bjson *root, const char *name, struct cni_result *r,
			struct berth_err **err)
{
	const struct bjson *arr, *o;
	char path[48];
	size_t n;

	if (opt_array(root, "routes", name, &arr, &n, err) < 0)
		return -1;
	r->routes = xcalloc(n ? n : 1, sizeof(*r->routes));
	for (size_t i = 0; i < n; i++) {
		struct cni_route *rt = &r->routes[i];

		r->n_routes = i + 1;
		if (item(arr, i, name, "routes", &o, path, sizeof(path), err) < 0 ||
		    req_str(o, "dst", name, path, &rt->dst, err) < 0 ||
		    opt_str(o, "gw", name, path, &rt->gw, err) < 0)
			return -1;
	}
	return 0;
}

static int strv_member(const struct bjson *dns, const char *key, const char *name, char ***out,
		       struct berth_err **err)
{
	const struct bjson *arr = bjson_get(dns, key);
	size_t n;

	if (!arr)
		return 0;
	if (!bjson_is_array(arr))
		return berth_err_new(err, BERTH_E_INVALID, "%s: dns.%s: not an array", name, key);
	n = bjson_array_len(arr);
	if (n > MAX_ENTRIES)
		return berth_err_new(err, BERTH_E_INVALID, "%s: dns.%s: %zu entries, at most %d",
				     name, key, n, MAX_ENTRIES);
	for (size_t i = 0; i < n; i++) {
		const char *s = bjson_str(bjson_array_get(arr, i));

		if (!s)
			return berth_err_new(err, BERTH_E_INVALID, "%s: dns.%s[%zu]: not a string",
					     name, key, i);
		strv_push(out, s);
	}
	return 0;
}

static int dns_parse(const struct bjson *root, const char *name, struct cni_result *r,
		     struct berth_err **err)
{
	const struct bjson *dns = bjson_get(root, "dns");

	if (!dns)
		return 0;
	if (!bjson_is_object(dns))
		return berth_err_new(err, BERTH_E_INVALID, "%s: dns: not an object", name);
	if (opt_str(dns, "domain", name, "dns", &r->dns_domain, err) < 0 ||
	    strv_member(dns, "nameservers", name, &r->dns_nameservers, err) < 0 ||
	    strv_member(dns, "search", name, &r->dns_search, err) < 0 ||
	    strv_member(dns, "options", name, &r->dns_options, err) < 0)
		return -1;
	return 0;
}

int cni_result_parse(const char *buf, size_t len, const char *name, struct cni_result **out,
		     struct berth_err **err)
{
	cleanup(cni_result_freep) struct cni_result *r = xzalloc(sizeof(*r));
	cleanup(bjson_freep) struct bjson *root = NULL;
	const char *v;

	if (bjson_parse(buf, len, name, &root, err) < 0)
		return -1;
	if (!bjson_is_object(root))
		return berth_err_new(err, BERTH_E_INVALID, "%s: not a JSON object", name);
	if (!bjson_get(root, "cniVersion"))
		return berth_err_new(err, BERTH_E_INVALID, "%s: cniVersion: missing", name);
	v = bjson_get_str(root, "cniVersion");
	if (!v)
		return berth_err_new(err, BERTH_E_INVALID, "%s: cniVersion: not a string", name);
	if (!cni_version_is_supported(v))
		return berth_err_new(err, BERTH_E_INVALID,
				     "%s: cniVersion: unsupported version '%.64s'", name, v);
	r->cni_version = xstrdup(v);
	if (interfaces_parse(root, name, r, err) < 0 || ips_parse(root, name, r, err) < 0 ||
	    routes_parse(root, name, r, err) < 0 || dns_parse(root, name, r, err) < 0)
		return -1;
	r->raw = xstrndup(buf, len);
	*out = take_ptr(r);
	return 0;
}
