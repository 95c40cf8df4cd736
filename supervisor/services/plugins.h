/*
 * supervisor/services/plugins.h - the introspection plugin rows behind
 * svc_plugin_register() (svc.h). Owned by berthd's main; read by introspection.c.
 */
#ifndef BERTH_SUPERVISOR_SERVICES_PLUGINS_H
#define BERTH_SUPERVISOR_SERVICES_PLUGINS_H

#include <pthread.h>
#include <stddef.h>

struct svc_plugin {
	char *type, *id;
	char **exports; /* k,v,...,NULL */
};

struct svc_plugins {
	pthread_mutex_t lock; /* hold while reading v/n (svc_plugin_register may run) */
	struct svc_plugin *v;
	size_t n;
};

struct svc_plugins *svc_plugins_new(void);
void svc_plugins_lock(struct svc_plugins *p);
void svc_plugins_unlock(struct svc_plugins *p);
void svc_plugins_free(struct svc_plugins *p);

#endif
