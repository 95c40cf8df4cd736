/*
 * supervisor/services/plugins.h - the introspection plugin rows behind
 * svc_plugin_register() (svc.h). Owned by berthd's main; read by introspection.c.
 */
#ifndef BERTH_SUPERVISOR_SERVICES_PLUGINS_H
#define BERTH_SUPERVISOR_SERVICES_PLUGINS_H

#include <stddef.h>

struct svc_plugin {
	char *type, *id;
	char **exports; /* k,v,...,NULL */
};

struct svc_plugins {
	struct svc_plugin *v;
	size_t n;
};

/* Hold while reading v/n (svc_plugin_register may run in another thread). */
void svc_plugins_lock(void);
void svc_plugins_unlock(void);
void svc_plugins_free(struct svc_plugins *p);

#endif
