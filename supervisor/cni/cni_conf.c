/*
 * supervisor/cni/cni_conf.c - loading and validating CNI network configurations.
 *
 * A .conflist is {"cniVersion", "name", "plugins": [{"type", ...}, ...]}; a .conf (or
 * .json) is one plugin object with "cniVersion", "name" and "type" at the top, treated as
 * a list of one. Validation happens here, before any plugin runs.
 */
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/bjson.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/cni/cni.h"
#include "supervisor/cni/cni_internal.h"

static const char *const versions[] = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", NULL};

bool cni_version_is_supported(const char *v)
{
	for (size_t i = 0; versions[i]; i++)
		if (strcmp(v, versions[i]) == 0)
			return true;
	return false;
}

void cni_config_free(struct cni_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_plugins; i++) {
		free(c->plugins[i].type);
		bjson_free(c->plugins[i].conf);
	}
	free(c->plugins);
	free(c->file);
	free(c->name);
	free(c->cni_version);
	free(c);
}

void cni_config_freep(struct cni_config **c)
{
	cni_config_free(*c);
	*c = NULL;
}

/* a network or plugin name: no path separators, printable, not empty */
static bool name_is_valid(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (; *s; s++)
		if (*s == '/' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int plugin_parse(const struct bjson *p, const char *file, const char *path,
			struct cni_plugin_conf *out, struct berth_err **err)
{
	const struct bjson *caps;
	const char *type;
	bool b;

	if (!bjson_is_object(p))
		return berth_err_new(err, BERTH_E_INVALID, "%s: %s: not an object", file, path);
	if (!bjson_get(p, "type"))
		return berth_err_new(err, BERTH_E_INVALID, "%s: %s.type: missing", file, path);
	type = bjson_get_str(p, "type");
	if (!type)
		return berth_err_new(err, BERTH_E_INVALID, "%s: %s.type: not a string", file, path);
	if (!name_is_valid(type, 255) || strcmp(type, ".") == 0 || strcmp(type, "..") == 0)
		return berth_err_new(err, BERTH_E_INVALID, "%s: %s.type: invalid plugin name '%s'",
				     file, path, type);
	caps = bjson_get(p, "capabilities");
	if (caps && !bjson_is_object(caps))
		return berth_err_new(err, BERTH_E_INVALID, "%s: %s.capabilities: not an object",
				     file, path);
	out->cap_port_mappings = bjson_get_bool(caps, "portMappings", &b) && b;
	out->type = xstrdup(type);
	return 0;
}

static int header_parse(const struct bjson *root, const char *file, struct cni_config *c,
			struct berth_err **err)
{
	const char *v, *name;

	if (!bjson_get(root, "cniVersion"))
		return berth_err_new(err, BERTH_E_INVALID, "%s: cniVersion: missing", file);
	v = bjson_get_str(root, "cniVersion");
	if (!v)
		return berth_err_new(err, BERTH_E_INVALID, "%s: cniVersion: not a string", file);
	if (!cni_version_is_supported(v))
		return berth_err_new(
			err, BERTH_E_INVALID,
			"%s: cniVersion: unsupported version '%.64s' (0.3.0, 0.3.1, 0.4.0, 1.0.0)",
			file, v);
	if (!bjson_get(root, "name"))
		return berth_err_new(err, BERTH_E_INVALID, "%s: name: missing", file);
	name = bjson_get_str(root, "name");
	if (!name)
		return berth_err_new(err, BERTH_E_INVALID, "%s: name: not a string", file);
	if (!name_is_valid(name, 255))
		return berth_err_new(err, BERTH_E_INVALID, "%s: name: invalid network name '%.64s'",
				     file, name);
	if (bjson_get(root, "disableCheck") &&
	    !bjson_get_bool(root, "disableCheck", &c->disable_check))
		return berth_err_new(err, BERTH_E_INVALID, "%s: disableCheck: not a boolean", file);
	c->cni_version = xstrdup(v);
	c->name = xstrdup(name);
	return 0;
}

static struct bjson *bjson_copy(const struct bjson *v)
{
	cleanup_free char *s = bjson_to_string(v, BJSON_PLAIN);
	struct bjson *out = NULL;
	struct berth_err *e = NULL;

	/* a tree we serialized parses back */
	if (bjson_parse(s, strlen(s), "copy", &out, &e) < 0) {
		berth_err_free(&e);
		return bjson_object_new();
	}
	return out;
}

int cni_config_parse(const char *buf, size_t len, const char *file, struct cni_config **out,
		     struct berth_err **err)
{
	cleanup(bjson_freep) struct bjson *root = NULL;
	cleanup(cni_config_freep) struct cni_config *c = xzalloc(sizeof(*c));
	const struct bjson *plugins;
	size_t n;

	if (bjson_parse(buf, len, file, &root, err) < 0)
		return -1;
	if (!bjson_is_object(root))
		return berth_err_new(err, BERTH_E_INVALID, "%s: not a JSON object", file);
	c->file = xstrdup(file);
	if (header_parse(root, file, c, err) < 0)
		return -1;
	plugins = bjson_get(root, "plugins");
	if (!plugins) {
		if (!bjson_get(root, "type"))
			return berth_err_new(
				err, BERTH_E_INVALID,
				"%s: plugins: missing (nor is it a single plugin config with a type)",
				file);
		c->plugins = xzalloc(sizeof(*c->plugins));
		if (plugin_parse(root, file, "(config)", &c->plugins[0], err) < 0)
			return -1;
		c->n_plugins = 1;
		c->plugins[0].conf = bjson_copy(root);
		*out = take_ptr(c);
		return 0;
	}
	if (!bjson_is_array(plugins))
		return berth_err_new(err, BERTH_E_INVALID, "%s: plugins: not an array", file);
	n = bjson_array_len(plugins);
	if (n == 0)
		return berth_err_new(err, BERTH_E_INVALID, "%s: plugins: empty", file);
	if (n > 64)
		return berth_err_new(err, BERTH_E_INVALID, "%s: plugins: %zu plugins, at most 64",
				     file, n);
	c->plugins = xcalloc(n, sizeof(*c->plugins));
	for (size_t i = 0; i < n; i++) {
		const struct bjson *p = bjson_array_get(plugins, i);
		char path[32];

		snprintf(path, sizeof(path), "plugins[%zu]", i);
		if (plugin_parse(p, file, path, &c->plugins[i], err) < 0)
			return -1;
		c->plugins[i].conf = bjson_copy(p);
		c->n_plugins = i + 1;
	}
	*out = take_ptr(c);
	return 0;
}

int cni_config_load_file(const char *path, struct cni_config **out, struct berth_err **err)
{
	cleanup_free char *buf = NULL;
	size_t len;

	if (fs_read_file_max(AT_FDCWD, path, CNI_MAX_DOC, &buf, &len, err) < 0)
		return -1;
	return cni_config_parse(buf, len, path, out, err);
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n > m && strcmp(s + n - m, suf) == 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cni_config_load_dir(const char *dir, struct cni_config **out, struct berth_err **err)
{
	cleanup(strv_freep) char **names = NULL;
	cleanup(strv_freep) char **why = NULL;
	cleanup_free char *whys = NULL;
	cleanup_dir DIR *d = NULL;
	struct dirent *de;

	if (!dir)
		dir = CNI_DEFAULT_CONF_DIR;
	d = opendir(dir);
	if (!d)
		return berth_err_sys(err, errno, "cni: open config dir '%s'", dir);
	while ((de = readdir(d))) {
		if (has_suffix(de->d_name, ".conflist") || has_suffix(de->d_name, ".conf") ||
		    has_suffix(de->d_name, ".json"))
			strv_push(&names, de->d_name);
	}
	if (names)
		qsort(names, strv_len(names), sizeof(*names), name_cmp);
	strv_foreach (n, names) {
		cleanup_free char *path = xasprintf("%s/%s", dir, n);
		struct berth_err *e = NULL;

		if (cni_config_load_file(path, out, &e) == 0)
			return 0;
		strv_push_take(&why, xstrdup(e->msg));
		berth_err_free(&e);
	}
	if (!why)
		return berth_err_new(err, BERTH_E_NOT_FOUND, "cni: no network config in '%s'", dir);
	whys = strv_join(why, "; ");
	return berth_err_new(err, BERTH_E_NOT_FOUND, "cni: no valid network config in '%s': %s",
			     dir, whys);
}
