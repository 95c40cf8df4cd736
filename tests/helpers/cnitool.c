/*
 * tests/helpers/cnitool.c - a driver of supervisor/cni/ for tests/integration/cni/.
 *
 * A test helper rather than a `berthd cni` subcommand: it links only libberthcni (no
 * gRPC, no stores), so the CNI layer is tested on its own, and berthd carries no
 * debug-only code paths. Errors print as "cnitool: <message>" with exit status 1.
 *
 *   cnitool [OPTIONS] netns-add PATH | netns-del PATH
 *   cnitool [OPTIONS] add|check|del ID NETNS
 * OPTIONS: --conf-dir DIR | --conf FILE, --bin-dir DIR (repeatable), --timeout MS,
 *   --ifname NAME, --args K=V;..., --port HOST:CTR[/PROTO] (repeatable),
 *   --cache FILE (add writes the raw result there; check and del read it if it exists)
 * add prints one line per fact: "ip <cidr> gateway <gw> interface <name>",
 * "interface <name> mac <mac> sandbox <path>", "route <dst> <gw>", "dns nameserver <ip>".
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/cni/cni.h"

struct opts {
	const char *conf_dir, *conf, *cache;
	char **bin_dirs;
	struct cni_call call;
	struct cni_port_mapping ports[64];
};

static int port_parse(const char *s, struct cni_port_mapping *m, struct berth_err **err)
{
	char proto[8] = "tcp";
	int h, c, n = 0;

	if (sscanf(s, "%d:%d%n", &h, &c, &n) != 2 || (s[n] && sscanf(s + n, "/%7s", proto) != 1))
		return berth_err_new(err, BERTH_E_INVALID, "--port '%s': want HOST:CTR[/PROTO]", s);
	m->host_port = h;
	m->container_port = c;
	m->protocol = strcmp(proto, "udp") == 0 ? "udp" : "tcp";
	return 0;
}

static void print_result(const struct cni_result *r)
{
	for (size_t i = 0; i < r->n_ips; i++) {
		const struct cni_ip *ip = &r->ips[i];

		printf("ip %s gateway %s interface %s\n", ip->address,
		       ip->gateway ? ip->gateway : "-",
		       ip->interface >= 0 ? r->interfaces[ip->interface].name : "-");
	}
	for (size_t i = 0; i < r->n_interfaces; i++)
		printf("interface %s mac %s sandbox %s\n", r->interfaces[i].name,
		       r->interfaces[i].mac ? r->interfaces[i].mac : "-",
		       r->interfaces[i].sandbox ? r->interfaces[i].sandbox : "-");
	for (size_t i = 0; i < r->n_routes; i++)
		printf("route %s %s\n", r->routes[i].dst, r->routes[i].gw ? r->routes[i].gw : "-");
	strv_foreach (ns, r->dns_nameservers)
		printf("dns nameserver %s\n", ns);
}

static int write_cache(const char *path, const char *s, struct berth_err **err)
{
	cleanup_fclose FILE *f = fopen(path, "we");

	if (!f || fputs(s, f) < 0 || fflush(f) != 0)
		return berth_err_sys(err, errno, "write '%s'", path);
	return 0;
}

static int run(struct opts *o, int argc, char **argv, struct berth_err **err)
{
	cleanup(cni_config_freep) struct cni_config *c = NULL;
	cleanup(cni_result_freep) struct cni_result *r = NULL;
	cleanup_free char *cached = NULL;
	const char *cmd = argv[0];
	size_t len;

	if (strcmp(cmd, "netns-add") == 0 && argc == 2)
		return cni_netns_create(argv[1], err);
	if (strcmp(cmd, "netns-del") == 0 && argc == 2)
		return cni_netns_remove(argv[1], err);
	if (argc != 3)
		return berth_err_new(err, BERTH_E_INVALID,
				     "usage: cnitool [OPTIONS] add|check|del ID NETNS");
	o->call.container_id = argv[1];
	o->call.netns = argv[2];
	o->call.bin_dirs = (const char *const *)o->bin_dirs;
	if (o->conf ? cni_config_load_file(o->conf, &c, err) < 0
		    : cni_config_load_dir(o->conf_dir, &c, err) < 0)
		return -1;
	if (o->cache && strcmp(cmd, "add") != 0 && fs_exists(o->cache)) {
		if (fs_read_file(AT_FDCWD, o->cache, &cached, &len, err) < 0)
			return -1;
		o->call.prev_result = cached;
	}
	if (strcmp(cmd, "add") == 0) {
		if (cni_add(c, &o->call, &r, err) < 0)
			return -1;
		if (o->cache && write_cache(o->cache, r->raw, err) < 0)
			return -1;
		print_result(r);
		return 0;
	}
	if (strcmp(cmd, "check") == 0)
		return cni_check(c, &o->call, err);
	if (strcmp(cmd, "del") == 0)
		return cni_del(c, &o->call, err);
	return berth_err_new(err, BERTH_E_INVALID, "unknown command '%s'", cmd);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"conf-dir", required_argument, NULL, 'd'},
		{"conf", required_argument, NULL, 'c'},
		{"bin-dir", required_argument, NULL, 'b'},
		{"timeout", required_argument, NULL, 't'},
		{"ifname", required_argument, NULL, 'i'},
		{"args", required_argument, NULL, 'a'},
		{"port", required_argument, NULL, 'p'},
		{"cache", required_argument, NULL, 'C'},
		{NULL, 0, NULL, 0},
	};
	struct opts o = {0};
	struct berth_err *err = NULL;
	int ch, ret = 0;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'd':
			o.conf_dir = optarg;
			break;
		case 'c':
			o.conf = optarg;
			break;
		case 'b':
			strv_push(&o.bin_dirs, optarg);
			break;
		case 't':
			o.call.timeout_ms = atoi(optarg);
			break;
		case 'i':
			o.call.ifname = optarg;
			break;
		case 'a':
			o.call.args = optarg;
			break;
		case 'C':
			o.cache = optarg;
			break;
		case 'p':
			if (o.call.n_port_mappings == 64 ||
			    port_parse(optarg, &o.ports[o.call.n_port_mappings++], &err) < 0)
				ret = -1;
			break;
		default:
			return 2;
		}
	}
	o.call.port_mappings = o.ports;
	if (ret == 0 && optind >= argc)
		ret = berth_err_new(&err, BERTH_E_INVALID, "usage: cnitool [OPTIONS] COMMAND ARGS");
	if (ret == 0)
		ret = run(&o, argc - optind, argv + optind, &err);
	strv_free(o.bin_dirs);
	if (ret < 0) {
		fprintf(stderr, "cnitool: %s\n", err ? err->msg : "too many --port");
		berth_err_free(&err);
		return 1;
	}
	return 0;
}
