/*
 * shim/paths.c - where the shim's socket goes and which runtime it runs
 * (the rules are in shim.h), and <bundle>/shim-options, which keeps the
 * runtime binary and root chosen at Create for `delete`.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/xalloc.h"
#include "shim/shim.h"

static char *address_dir(const char *address)
{
	cleanup_free char *copy = xstrdup(address);

	if (strncmp(address, "unix://", 7) == 0) {
		free(copy);
		copy = xstrdup(address + 7);
	}
	return xstrdup(dirname(copy));
}

char *shim_socket_path(const char *address, const char *ns, const char *id, struct berth_err **err)
{
	struct sockaddr_un sun;
	cleanup_free char *dir = NULL;
	cleanup_free char *key = xasprintf("%s/%s/%s", address, ns, id);
	const char *env = getenv("BERTH_SHIM_SOCKET_DIR");
	char hex[65];
	char *path;

	if (env && *env) {
		dir = xstrdup(env);
	} else {
		cleanup_free char *adir = address_dir(address);

		dir = xasprintf("%s/s", adir);
	}
	shim_sha256_hex(key, strlen(key), hex);
	path = xasprintf("%s/%s", dir, hex);
	if (strlen(path) >= sizeof(sun.sun_path)) {
		berth_err_new(
			err, BERTH_E_INVALID,
			"socket path '%s' is longer than %zu bytes: set BERTH_SHIM_SOCKET_DIR",
			path, sizeof(sun.sun_path) - 1);
		free(path);
		return NULL;
	}
	return path;
}

/* berth next to the shim binary if it is there, else the bare name for PATH. */
static char *default_binary(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *cand;

	if (n > 0) {
		self[n] = '\0';
		cand = xasprintf("%s/berth", dirname(self));
		if (access(cand, X_OK) == 0)
			return cand;
		free(cand);
	}
	return xstrdup("berth");
}

static char *root_default(const char *address, const char *name, const char *ns)
{
	cleanup_free char *adir = address_dir(address);

	return xasprintf("%s/%s/%s", adir, name, ns);
}

void shim_config_resolve(struct shim_config *cfg, const char *opt_binary, const char *opt_root,
			 const char *flag_runtime, const char *address, const char *ns)
{
	const char *env = getenv("BERTH_SHIM_RUNTIME");
	const char *env_root = getenv("BERTH_SHIM_RUNTIME_ROOT");
	cleanup_free char *base = NULL;

	if (opt_binary && *opt_binary)
		cfg->binary = xstrdup(opt_binary);
	else if (flag_runtime && *flag_runtime)
		cfg->binary = xstrdup(flag_runtime);
	else if (env && *env)
		cfg->binary = xstrdup(env);
	else
		cfg->binary = default_binary();
	base = xstrdup(cfg->binary);
	if (opt_root && *opt_root)
		cfg->root = xstrdup(opt_root);
	else if (env_root && *env_root)
		cfg->root = xasprintf("%s/%s", env_root, ns);
	else
		cfg->root = root_default(address, basename(base), ns);
}

int shim_config_save(const struct shim_config *cfg, const char *bundle, struct berth_err **err)
{
	cleanup_free char *text = xasprintf("%s\n%s\n", cfg->binary, cfg->root);
	cleanup_close int dfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return berth_err_sys(err, errno, "open bundle '%s'", bundle);
	return fs_write_atomic(dfd, SHIM_OPTIONS_FILE, text, strlen(text), 0600, err);
}

int shim_config_load(struct shim_config *cfg, const char *bundle, struct berth_err **err)
{
	cleanup_free char *path = xasprintf("%s/%s", bundle, SHIM_OPTIONS_FILE);
	cleanup_free char *text = NULL;
	char *nl;
	size_t len;

	if (fs_read_file(AT_FDCWD, path, &text, &len, err) < 0)
		return -1;
	nl = strchr(text, '\n');
	if (!nl || !strchr(nl + 1, '\n'))
		return berth_err_new(err, BERTH_E_INVALID, "'%s': malformed", path);
	*nl = '\0';
	*strchr(nl + 1, '\n') = '\0';
	cfg->binary = xstrdup(text);
	cfg->root = xstrdup(nl + 1);
	return 0;
}

void shim_config_clear(struct shim_config *cfg)
{
	free(cfg->binary);
	free(cfg->root);
	cfg->binary = cfg->root = NULL;
}
