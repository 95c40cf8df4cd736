/*
 * supervisor/ctl/cmd_registry.c - berthctl pull, push, login, logout.
 *
 * pull and push are done by berthd (berth.services.transfer.v1.Transfer); berthctl only
 * sends the request, with the credentials it finds for the registry in the docker-style
 * config.json that login writes ($DOCKER_CONFIG/config.json, else ~/.docker/config.json),
 * and draws the progress stream: one line per blob, redrawn in place on a terminal,
 * a plain line per state change otherwise.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <berth/transfer/v1/transfer.pb-c.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/ctl/ctl.h"
#include "supervisor/ctl/progress.h"
#include "supervisor/registry/registry.h"

#define TR(x) Berth__Services__Transfer__V1__##x

static char *docker_config_path(void)
{
	const char *d = getenv("DOCKER_CONFIG"), *home = getenv("HOME");

	if (d && *d)
		return xasprintf("%s/config.json", d);
	return xasprintf("%s/.docker/config.json", home && *home ? home : "/root");
}

/* One line per blob; on a terminal, lines are redrawn in place with cursor moves. */
struct display {
	FILE *out;
	bool tty;
	char **digests; /* in first-seen order */
	char **states;	/* last state shown per blob (plain mode) */
};

static void display_line(struct display *d, const TR(Progress) * p, char *buf, size_t len)
{
	char done[32], total[32];
	const char *short_digest = strncmp(p->digest, "sha256:", 7) ? p->digest : p->digest + 7;

	ctl_progress_size(done, sizeof(done), p->offset);
	ctl_progress_size(total, sizeof(total), p->total);
	snprintf(buf, len, "%.12s: %-11s %s / %s", short_digest, p->state, done, total);
}

static void display_update(struct display *d, const TR(Progress) * p)
{
	char line[160];
	size_t i, n = strv_len(d->digests);

	for (i = 0; i < n && strcmp(d->digests[i], p->digest) != 0; i++)
		;
	display_line(d, p, line, sizeof(line));
	if (i == n) {
		strv_push(&d->digests, p->digest);
		strv_push(&d->states, p->state);
		fprintf(d->out, "%s\n", line);
		fflush(d->out);
		return;
	}
	if (!d->tty) {
		if (strcmp(d->states[i], p->state) == 0)
			return; /* plain output: one line per state change */
		free(d->states[i]);
		d->states[i] = xstrdup(p->state);
		fprintf(d->out, "%s\n", line);
		fflush(d->out);
		return;
	}
	/* up to the blob's line, rewrite it, back down */
	fprintf(d->out, "\033[%zuA\r\033[2K%s\033[%zuB\r", n - i, line, n - i);
	fflush(d->out);
}

static void display_clear(struct display *d)
{
	strv_free(d->digests);
	strv_free(d->states);
}

static int run_stream(struct ctl *c, const char *method, const ProtobufCMessage *req,
		      const char *verb, struct berth_err **err)
{
	struct rpc_client_stream *s;
	struct display d = {.out = stdout, .tty = isatty(STDOUT_FILENO)};
	ProtobufCMessage *m;
	int r;

	s = rpc_client_stream_invoke(c->rpc, &berth__services__transfer__v1__transfer__descriptor,
				     method, req, err);
	if (!s)
		return -1;
	while ((r = rpc_client_stream_recv(s, &m, err)) == 1) {
		TR(Progress) *p = (TR(Progress) *)m;
		if (p->image && *p->image)
			printf("%s %s: %s (%u registry requests)\n", verb, p->image,
			       p->target_digest, p->requests);
		else if (p->digest && *p->digest)
			display_update(&d, p);
		protobuf_c_message_free_unpacked(m, NULL);
	}
	rpc_client_stream_free(s);
	display_clear(&d);
	return r < 0 ? -1 : 0;
}

/* The credentials login stored for ref's registry, if any (identity tokens are not sent). */
static int find_creds(const char *ref_s, struct reg_cred *cred, struct berth_err **err)
{
	cleanup(reg_ref_freep) struct reg_ref *ref = NULL;
	cleanup_free char *cfg = docker_config_path();

	memset(cred, 0, sizeof(*cred));
	if (reg_ref_parse(ref_s, &ref, err) < 0)
		return -1;
	return reg_creds_lookup(cfg, ref->domain, cred, err) < 0 ? -1 : 0;
}

int ctl_cmd_pull(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	static const struct option opts[] = {{"platform", required_argument, NULL, 'p'},
					     {"all-platforms", no_argument, NULL, 'A'},
					     {"plain-http", no_argument, NULL, 'H'},
					     {"timeout", required_argument, NULL, 't'},
					     {"name", required_argument, NULL, 'N'},
					     {NULL, 0, NULL, 0}};
	static const char usage[] =
		"usage: berthctl pull [--platform OS/ARCH[/VARIANT]] [--all-platforms] [--plain-http] [--timeout SECONDS] [--name NAME] REF";
	TR(PullRequest) req = BERTH__SERVICES__TRANSFER__V1__PULL_REQUEST__INIT;
	struct reg_cred cred;
	int opt, r;

	optind = 0;
	while ((opt = getopt_long(argc + 1, argv - 1, "+", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			req.platform = optarg;
			break;
		case 'A':
			req.all_platforms = true;
			break;
		case 'H':
			req.plain_http = true;
			break;
		case 't':
			req.timeout_seconds = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'N':
			req.name = optarg;
			break;
		default:
			return berth_err_new(err, BERTH_E_INVALID, "%s", usage);
		}
	}
	if (optind != argc)
		return berth_err_new(err, BERTH_E_INVALID, "%s", usage);
	req.ref = argv[optind - 1];
	if (find_creds(req.ref, &cred, err) < 0)
		return -1;
	req.username = cred.username ? cred.username : (char *)"";
	req.password = cred.password ? cred.password : (char *)"";
	r = run_stream(c, "Pull", &req.base, "pulled", err);
	reg_cred_clear(&cred);
	return r;
}

int ctl_cmd_push(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	static const struct option opts[] = {{"plain-http", no_argument, NULL, 'H'},
					     {"timeout", required_argument, NULL, 't'},
					     {NULL, 0, NULL, 0}};
	static const char usage[] =
		"usage: berthctl push [--plain-http] [--timeout SECONDS] IMAGE [REF]";
	TR(PushRequest) req = BERTH__SERVICES__TRANSFER__V1__PUSH_REQUEST__INIT;
	struct reg_cred cred;
	int opt, r;

	optind = 0;
	while ((opt = getopt_long(argc + 1, argv - 1, "+", opts, NULL)) != -1) {
		switch (opt) {
		case 'H':
			req.plain_http = true;
			break;
		case 't':
			req.timeout_seconds = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		default:
			return berth_err_new(err, BERTH_E_INVALID, "%s", usage);
		}
	}
	if (optind != argc && optind != argc - 1)
		return berth_err_new(err, BERTH_E_INVALID, "%s", usage);
	req.image = argv[optind - 1];
	req.ref = optind == argc - 1 ? argv[optind] : (char *)"";
	if (find_creds(*req.ref ? req.ref : req.image, &cred, err) < 0)
		return -1;
	req.username = cred.username ? cred.username : (char *)"";
	req.password = cred.password ? cred.password : (char *)"";
	r = run_stream(c, "Push", &req.base, "pushed", err);
	reg_cred_clear(&cred);
	return r;
}

static char *read_password(FILE *in, bool echo_off)
{
	struct termios old, t;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool tty = echo_off && isatty(fileno(in)) && tcgetattr(fileno(in), &old) == 0;

	if (tty) {
		fprintf(stderr, "Password: ");
		t = old;
		t.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(in), TCSANOW, &t);
	}
	n = getline(&line, &cap, in);
	if (tty) {
		tcsetattr(fileno(in), TCSANOW, &old);
		fprintf(stderr, "\n");
	}
	if (n < 0) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

int ctl_cmd_login(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	static const struct option opts[] = {{"username", required_argument, NULL, 'u'},
					     {"password", required_argument, NULL, 'p'},
					     {"password-stdin", no_argument, NULL, 'S'},
					     {"plain-http", no_argument, NULL, 'H'},
					     {NULL, 0, NULL, 0}};
	static const char usage[] =
		"usage: berthctl login -u USER [-p PASSWORD | --password-stdin] [--plain-http] REGISTRY";
	const char *user = NULL, *host;
	cleanup_free char *password = NULL, *cfg = docker_config_path();
	cleanup(reg_client_freep) struct reg_client *rc = NULL;
	cleanup(strv_freep) char **insecure = NULL;
	struct reg_opts o = {0};
	bool from_stdin = false, plain = false;
	int opt;

	optind = 0;
	while ((opt = getopt_long(argc + 1, argv - 1, "+u:p:", opts, NULL)) != -1) {
		switch (opt) {
		case 'u':
			user = optarg;
			break;
		case 'p':
			password = xstrdup(optarg);
			break;
		case 'S':
			from_stdin = true;
			break;
		case 'H':
			plain = true;
			break;
		default:
			return berth_err_new(err, BERTH_E_INVALID, "%s", usage);
		}
	}
	if (optind != argc || !user)
		return berth_err_new(err, BERTH_E_INVALID, "%s", usage);
	host = argv[optind - 1];
	if (!password) {
		password = read_password(stdin, !from_stdin);
		if (!password)
			return berth_err_new(err, BERTH_E_INVALID, "login: no password given");
	}
	/* check them the way docker login does: GET /v2/ with them */
	strv_push(&insecure, "localhost");
	strv_push(&insecure, "127.0.0.1");
	if (plain)
		strv_push(&insecure, host);
	o.insecure = insecure;
	o.certs_dir = "/etc/berth/certs.d";
	o.username = user;
	o.password = password;
	rc = reg_client_new(&o, err);
	if (!rc || reg_login_check(rc, host, err) < 0)
		return -1;
	if (reg_creds_store(cfg, host, user, password, err) < 0)
		return -1;
	printf("Login Succeeded (credentials in %s)\n", cfg);
	return 0;
}

int ctl_cmd_logout(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	cleanup_free char *cfg = docker_config_path();

	if (argc != 1)
		return berth_err_new(err, BERTH_E_INVALID, "usage: berthctl logout REGISTRY");
	if (reg_creds_remove(cfg, argv[0], err) < 0)
		return -1;
	printf("Removing login credentials for %s\n", argv[0]);
	return 0;
}
