// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json-c/json.h>

#include "lib/cgroup.h"
#include "host/container.h"
#include "lib/log.h"

static bool hex64(const char *s, size_t n)
{
	size_t i;

	if (n != 64)
		return false;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* PREFIX + 64 hex + SUFFIX; the id into id. */
static bool named(const char *base, const char *prefix, const char *suffix, char id[65])
{
	size_t pl = strlen(prefix), sl = strlen(suffix), n = strlen(base);

	if (n != pl + 64 + sl || strncmp(base, prefix, pl) || strcmp(base + pl + 64, suffix))
		return false;
	if (!hex64(base + pl, 64))
		return false;
	memcpy(id, base + pl, 64);
	id[64] = '\0';
	return true;
}

bool rcc_container_of_cgroup(const char *path, char id[65], char runtime[16])
{
	static const struct {
		const char *prefix, *suffix, *runtime;
	} pat[] = {
		{ "libpod-", ".scope", "podman" }, /* systemd driver */
		{ "libpod-", "", "podman" },	   /* cgroupfs: libpod_parent/ */
		{ "docker-", ".scope", "docker" }, /* systemd driver */
		{ "cri-containerd-", ".scope", "containerd" },
		{ "nerdctl-", ".scope", "containerd" },
		{ "crio-", ".scope", "cri-o" },
		{ "crio-", "", "cri-o" },
	};
	const char *base = strrchr(path, '/'), *parent_end;
	size_t i;

	base = base ? base + 1 : path;
	for (i = 0; i < sizeof(pat) / sizeof(pat[0]); i++) {
		if (named(base, pat[i].prefix, pat[i].suffix, id)) {
			snprintf(runtime, 16, "%s", pat[i].runtime);
			return true;
		}
	}
	/* cgroupfs drivers: docker/ID, and containerd's NAMESPACE/ID */
	if (hex64(base, strlen(base)) && base > path + 1) {
		parent_end = base - 1;
		if (parent_end - path >= 6 && !strncmp(parent_end - 6, "docker", 6) &&
		    (parent_end - 6 == path || parent_end[-7] == '/')) {
			memcpy(id, base, 65);
			snprintf(runtime, 16, "docker");
			return true;
		}
		memcpy(id, base, 65);
		snprintf(runtime, 16, "containerd");
		return true;
	}
	return false;
}

/* Runs a runtime CLI with a time limit; its stdout, or NULL. */
static char *run_cli(char *const argv[])
{
	int pipefd[2], status;
	char *out = NULL;
	size_t len = 0, cap = 0;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		return NULL;
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		dup2(pipefd[1], 1);
		if (devnull >= 0)
			dup2(devnull, 2);
		alarm(10);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return NULL;
	}
	for (;;) {
		ssize_t n;

		if (len + 4096 + 1 > cap) {
			char *b = realloc(out, cap ? cap * 2 : 65536);

			if (!b)
				break;
			out = b;
			cap = cap ? cap * 2 : 65536;
		}
		n = read(pipefd[0], out + len, cap - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!out || !WIFEXITED(status) || WEXITSTATUS(status)) {
		free(out);
		return NULL;
	}
	out[len] = '\0';
	return out;
}

static bool have_cli(const char *name)
{
	char *path = getenv("PATH"), *copy, *dir, *save = NULL;
	bool found = false;

	if (!path)
		return false;
	copy = strdup(path);
	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/%s", dir, name);
		found = !access(p, X_OK);
	}
	free(copy);
	return found;
}

struct list {
	struct rcc_container *v;
	size_t n, cap;
};

static struct rcc_container *list_get(struct list *l, const char *id)
{
	struct rcc_container *c;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].id, id))
			return &l->v[i];
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;

		c = realloc(l->v, cap * sizeof(*c));
		if (!c)
			return NULL;
		l->v = c;
		l->cap = cap;
	}
	c = &l->v[l->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", id);
	return c;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void from_podman(struct list *l)
{
	char *argv[] = { "podman", "ps", "-a", "--no-trunc", "--format", "json", NULL };
	json_object *arr, *v;
	char *out;
	size_t i;

	if (!have_cli("podman") || !(out = run_cli(argv)))
		return;
	arr = json_tokener_parse(out);
	free(out);
	for (i = 0;
	     arr && json_object_is_type(arr, json_type_array) && i < json_object_array_length(arr);
	     i++) {
		json_object *o = json_object_array_get_idx(arr, i);
		const char *id = jstr(o, "Id"), *state = jstr(o, "State");
		struct rcc_container *c;

		if (!id || !hex64(id, strlen(id)) || !(c = list_get(l, id)))
			continue;
		snprintf(c->runtime, sizeof(c->runtime), "podman");
		if (json_object_object_get_ex(o, "Names", &v) &&
		    json_object_is_type(v, json_type_array) && json_object_array_length(v))
			snprintf(c->name, sizeof(c->name), "%s",
				 json_object_get_string(json_object_array_get_idx(v, 0)));
		c->running = state && !strcmp(state, "running");
		if (json_object_object_get_ex(o, "Pid", &v))
			c->pid = json_object_get_int(v);
		if (json_object_object_get_ex(o, "Labels", &v) &&
		    json_object_is_type(v, json_type_object) && jstr(v, RCC_LABEL_POLICY))
			snprintf(c->policy, sizeof(c->policy), "%s", jstr(v, RCC_LABEL_POLICY));
	}
	json_object_put(arr);
}

/* Docker's labels come as "k=v,k2=v2". */
static void docker_label(const char *labels, struct rcc_container *c)
{
	const char *p = labels;
	size_t klen = strlen(RCC_LABEL_POLICY);

	while (p && *p) {
		if (!strncmp(p, RCC_LABEL_POLICY, klen) && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, ",");

			snprintf(c->policy, sizeof(c->policy), "%.*s", (int)n, p + klen + 1);
			return;
		}
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
}

static void from_docker(struct list *l)
{
	char *argv[] = { "docker", "ps", "-a", "--no-trunc", "--format", "{{json .}}", NULL };
	char *out, *line, *save = NULL;

	if (!have_cli("docker") || !(out = run_cli(argv)))
		return;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_object *o = json_tokener_parse(line);
		const char *id = o ? jstr(o, "ID") : NULL;
		struct rcc_container *c;

		if (id && hex64(id, strlen(id)) && (c = list_get(l, id))) {
			snprintf(c->runtime, sizeof(c->runtime), "docker");
			snprintf(c->name, sizeof(c->name), "%s", jstr(o, "Names") ?: "");
			c->running = jstr(o, "State") && !strcmp(jstr(o, "State"), "running");
			if (jstr(o, "Labels"))
				docker_label(jstr(o, "Labels"), c);
		}
		json_object_put(o);
	}
	free(out);
}

static int scan_one(const char *path, __u64 id, void *ctx)
{
	struct list *l = ctx;
	char cid[65], runtime[16];
	struct rcc_container *c;

	(void)id;
	if (!rcc_container_at(path, cid, runtime) || !(c = list_get(l, cid)))
		return 0;
	/* the outermost cgroup of a container wins (not its own sub-cgroups) */
	if (c->cgroup[0] && strlen(c->cgroup) < strlen(path))
		return 0;
	snprintf(c->cgroup, sizeof(c->cgroup), "%s", path);
	if (!c->runtime[0])
		snprintf(c->runtime, sizeof(c->runtime), "%s", runtime);
	return 0;
}

/* A running container's cgroup, from its pid. */
static int cgroup_from_pid(struct rcc_container *c)
{
	int err = rcc_cgroup_of_pid(c->pid, c->cgroup, sizeof(c->cgroup));

	if (err) {
		c->cgroup[0] = '\0';
		return err;
	}
	return 0;
}

static void drop_image_label(const char *id, const char *runtime, char *policy);

int rcc_container_list(struct rcc_container **out, size_t *n)
{
	struct list l = {};
	char mnt[PATH_MAX];
	size_t i;

	from_podman(&l);
	from_docker(&l);
	if (!rcc_cgroup_mount(mnt, sizeof(mnt)))
		rcc_cgroup_walk(mnt, scan_one, &l);
	for (i = 0; i < l.n; i++) {
		struct rcc_container *c = &l.v[i];

		if (c->running && c->pid > 0) {
			char scanned[PATH_MAX];

			snprintf(scanned, sizeof(scanned), "%s", c->cgroup);
			if (cgroup_from_pid(c))
				snprintf(c->cgroup, sizeof(c->cgroup), "%s", scanned);
		}
		/* found only in the tree: running when it holds processes */
		if (!c->name[0] && c->cgroup[0] && !c->pid)
			c->running = true;
		drop_image_label(c->id, c->runtime, c->policy);
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

int rcc_container_find(const char *query, struct rcc_container *out, char *err, size_t errlen)
{
	struct rcc_container *all, *hit = NULL;
	size_t n, i, matches = 0, qlen = strlen(query);
	int rc = 0;

	err[0] = '\0';
	rcc_container_list(&all, &n);
	for (i = 0; i < n && !hit; i++)
		if (!strcmp(all[i].id, query) || (all[i].name[0] && !strcmp(all[i].name, query)))
			hit = &all[i];
	for (i = 0; i < n && !hit; i++)
		if (qlen && !strncmp(all[i].id, query, qlen))
			matches++;
	if (!hit && matches == 1) {
		for (i = 0; i < n; i++)
			if (!strncmp(all[i].id, query, qlen))
				hit = &all[i];
	} else if (!hit && matches > 1) {
		size_t used =
			snprintf(err, errlen, "'%s' is ambiguous; it begins the ids of", query);

		for (i = 0; i < n && used < errlen; i++)
			if (!strncmp(all[i].id, query, qlen))
				used += snprintf(err + used, errlen - used, " %.12s%s%s%s",
						 all[i].id, all[i].name[0] ? " (" : "", all[i].name,
						 all[i].name[0] ? ")" : "");
		rc = -EEXIST;
		goto out;
	}
	if (!hit) {
		snprintf(
			err, errlen,
			"no container '%s' (asked:%s%s and the cgroup v2 tree; give a full id, a unique id prefix or a name)",
			query, have_cli("podman") ? " podman" : "",
			have_cli("docker") ? " docker" : "");
		rc = -ENOENT;
		goto out;
	}
	*out = *hit;
	if (!hit->running) {
		snprintf(err, errlen, "container %.12s%s%s%s is not running", hit->id,
			 hit->name[0] ? " (" : "", hit->name, hit->name[0] ? ")" : "");
		rc = -ESRCH;
		goto out;
	}
	if (!out->cgroup[0]) {
		snprintf(
			err, errlen,
			"container %.12s runs in no cgroup v2 (its runtime uses cgroup v1 only; configure it for cgroup v2)",
			hit->id);
		rc = -ENOTSUP;
	}
out:
	free(all);
	return rc;
}

/* The outermost cgroup on path that a runtime's naming makes a container;
 * its length, 0 when none. */
static size_t outermost_container(const char *path, char id[65], char runtime[16])
{
	char buf[PATH_MAX], cid[65], crt[16], *slash;
	size_t found = 0;

	snprintf(buf, sizeof(buf), "%s", path);
	for (;;) {
		if (rcc_container_of_cgroup(buf, cid, crt)) {
			found = strlen(buf);
			memcpy(id, cid, sizeof(cid));
			memcpy(runtime, crt, sizeof(crt));
		}
		slash = strrchr(buf, '/');
		if (!slash || slash == buf)
			return found;
		*slash = '\0';
	}
}

bool rcc_container_in_path(const char *path, char id[65], char runtime[16])
{
	return outermost_container(path, id, runtime) != 0;
}

bool rcc_container_at(const char *path, char id[65], char runtime[16])
{
	struct stat st;

	/* a cgroup someone else made (a delegated subtree, a sandbox's own
	 * sub-cgroup) must not get a container's policy by its name */
	if (outermost_container(path, id, runtime) != strlen(path))
		return false;
	return !lstat(path, &st) && S_ISDIR(st.st_mode) && st.st_uid == 0;
}

/* One field of `RUNTIME [image] inspect`, by Go template ("" when it has
 * none); false when the runtime could not answer. */
static bool inspect_field(const char *kind, const char *id, const char *runtime, const char *format,
			  char *out, size_t len)
{
	char *argv[] = { (char *)runtime, (char *)kind, "inspect", "--format",
			 (char *)format,  (char *)id,	NULL };
	char *res;

	out[0] = '\0';
	if (strcmp(runtime, "podman") && strcmp(runtime, "docker"))
		return false;
	if (!have_cli(runtime) || !(res = run_cli(argv)))
		return false;
	res[strcspn(res, "\n")] = '\0';
	/* a missing key prints "<no value>" in Go templates */
	if (strcmp(res, "<no value>"))
		snprintf(out, len, "%s", res);
	free(res);
	return true;
}

static void inspect(const char *id, const char *runtime, const char *format, char *out, size_t len)
{
	inspect_field("container", id, runtime, format, out, len);
}

void rcc_container_name(const char *id, const char *runtime, char *name, size_t len)
{
	inspect(id, runtime, "{{.Name}}", name, len);
	if (name[0] == '/') /* docker: "/name" */
		memmove(name, name + 1, strlen(name));
}

/*
 * A container's labels are its image's merged with those given at run
 * time: a label equal to the image's own was not chosen by whoever ran
 * the container, and chooses nothing.  When the image cannot be asked,
 * the label counts as the image's (fail closed).
 */
static bool label_from_image(const char *id, const char *runtime, const char *label)
{
	char image[256], theirs[64];

	if (!inspect_field("container", id, runtime, "{{.Image}}", image, sizeof(image)))
		return true;
	if (!image[0])
		return false; /* no image: a root filesystem of its own */
	if (!inspect_field("image", image, runtime,
			   "{{index .Config.Labels \"" RCC_LABEL_POLICY "\"}}", theirs,
			   sizeof(theirs)))
		return true;
	return theirs[0] && !strcmp(theirs, label);
}

/* Clears a label the container's image carries, saying so. */
static void drop_image_label(const char *id, const char *runtime, char *policy)
{
	if (!policy[0] || !label_from_image(id, runtime, policy))
		return;
	pr_warn("container %.12s: its label " RCC_LABEL_POLICY
		"=%s comes from its image (or the image cannot be asked): ignored; a label given at run time chooses\n",
		id, policy);
	policy[0] = '\0';
}

void rcc_container_label(const char *id, const char *runtime, char *policy, size_t len)
{
	inspect(id, runtime, "{{index .Config.Labels \"" RCC_LABEL_POLICY "\"}}", policy, len);
	drop_image_label(id, runtime, policy);
}
