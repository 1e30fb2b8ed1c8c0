// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon/sync.h"
#include "host/hostaddr.h"
#include "lib/clock.h"
#include "lib/log.h"

#define RELOAD_WAIT_S 60

enum { RELOAD_NONE, RELOAD_ASKED, RELOAD_DONE };

struct rcc_sync {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const struct rcc_names *names;
	const struct rcc_addr_list *host;
	int wake_fd;	  /* eventfd: a reload is asked */
	int reload_state; /* RELOAD_* */
	struct rcc_sync_answer answer;
	char *dns; /* the DNS proxy's state as JSON text, set by the loop */
};

int rcc_sync_new(const struct rcc_names *names, const struct rcc_addr_list *host,
		 struct rcc_sync **out)
{
	struct rcc_sync *s = calloc(1, sizeof(*s));

	if (!s)
		return rcc_log_fail(-ENOMEM, "Failed to set up the control socket's state");
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->names = names;
	s->host = host;
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake_fd < 0) {
		int err = rcc_log_fail(-errno, "Failed to set up the control socket's state");

		rcc_sync_free(s);
		return err;
	}
	*out = s;
	return 0;
}

void rcc_sync_free(struct rcc_sync *s)
{
	if (!s)
		return;
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	free(s->dns);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int rcc_sync_write(struct rcc_sync *s, int (*fn)(void *ctx), void *ctx)
{
	int r;

	pthread_mutex_lock(&s->mu);
	r = fn(ctx);
	pthread_mutex_unlock(&s->mu);
	return r;
}

struct json_object *rcc_sync_names_json(struct rcc_sync *s)
{
	struct json_object *o;

	pthread_mutex_lock(&s->mu);
	o = rcc_names_to_json(s->names, rcc_clock_ms());
	pthread_mutex_unlock(&s->mu);
	return o;
}

void rcc_sync_set_dns(struct rcc_sync *s, struct json_object *o)
{
	char *text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));

	json_object_put(o);
	pthread_mutex_lock(&s->mu);
	free(s->dns);
	s->dns = text;
	pthread_mutex_unlock(&s->mu);
}

struct json_object *rcc_sync_dns_json(struct rcc_sync *s)
{
	struct json_object *o;

	pthread_mutex_lock(&s->mu);
	o = s->dns ? json_tokener_parse(s->dns) : NULL;
	pthread_mutex_unlock(&s->mu);
	return o ?: json_object_new_object();
}

struct json_object *rcc_sync_host_json(struct rcc_sync *s)
{
	struct json_object *o;

	pthread_mutex_lock(&s->mu);
	o = rcc_hostaddr_to_json(s->host);
	pthread_mutex_unlock(&s->mu);
	return o;
}

int rcc_sync_reload_ask(struct rcc_sync *s, struct rcc_sync_answer *a)
{
	struct timespec until;
	__u64 one = 1;

	pthread_mutex_lock(&s->mu);
	s->reload_state = RELOAD_ASKED;
	pthread_mutex_unlock(&s->mu);
	if (write(s->wake_fd, &one, sizeof(one)) != sizeof(one))
		return -errno ?: -EIO;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += RELOAD_WAIT_S;
	pthread_mutex_lock(&s->mu);
	while (s->reload_state != RELOAD_DONE &&
	       pthread_cond_timedwait(&s->cv, &s->mu, &until) != ETIMEDOUT)
		;
	*a = s->answer;
	if (s->reload_state != RELOAD_DONE) {
		a->ok = false;
		snprintf(a->why, sizeof(a->why), "no answer in %d s", RELOAD_WAIT_S);
	}
	s->reload_state = RELOAD_NONE;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

int rcc_sync_reload_fd(const struct rcc_sync *s)
{
	return s->wake_fd;
}

static bool asked(struct rcc_sync *s, bool stopping)
{
	__u64 n;
	bool r;

	if (read(s->wake_fd, &n, sizeof(n)) < 0 && !stopping)
		return false;
	pthread_mutex_lock(&s->mu);
	r = s->reload_state == RELOAD_ASKED;
	pthread_mutex_unlock(&s->mu);
	return r;
}

bool rcc_sync_reload_asked(struct rcc_sync *s)
{
	return asked(s, false);
}

void rcc_sync_reload_done(struct rcc_sync *s, bool ok, const char *why, const char *config)
{
	pthread_mutex_lock(&s->mu);
	s->reload_state = RELOAD_DONE;
	s->answer.ok = ok;
	snprintf(s->answer.why, sizeof(s->answer.why), "%s", why);
	snprintf(s->answer.config, sizeof(s->answer.config), "%s", config);
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

void rcc_sync_reload_cancel(struct rcc_sync *s, const char *config)
{
	if (s && asked(s, true))
		rcc_sync_reload_done(s, false, "the daemon is stopping", config);
}
