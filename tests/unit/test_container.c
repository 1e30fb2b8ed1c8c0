// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the runtimes' cgroup naming (user/container.c) and the
 * [containers] section of the configuration.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "policy/config.h"
#include "host/container.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *path;
	const char *runtime; /* NULL: names no container */
} naming[] = {
	{ "/sys/fs/cgroup/machine.slice/libpod-" ID ".scope", "podman" },
	{ "/sys/fs/cgroup/libpod_parent/libpod-" ID, "podman" },
	{ "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID
	  ".scope",
	  "podman" },
	{ "/sys/fs/cgroup/system.slice/docker-" ID ".scope", "docker" },
	{ "/sys/fs/cgroup/docker/" ID, "docker" },
	{ "/sys/fs/cgroup/system.slice/cri-containerd-" ID ".scope", "containerd" },
	{ "/sys/fs/cgroup/system.slice/nerdctl-" ID ".scope", "containerd" },
	{ "/sys/fs/cgroup/default/" ID, "containerd" },
	{ "/sys/fs/cgroup/kubepods.slice/kubepods-pod1.slice/crio-" ID ".scope", "cri-o" },
	{ "/sys/fs/cgroup/system.slice/docker.service", NULL },
	{ "/sys/fs/cgroup/system.slice/libpod-conmon-" ID ".scope", NULL },
	{ "/sys/fs/cgroup/system.slice/docker-" ID "0.scope", NULL }, /* 65 hex */
	{ "/sys/fs/cgroup/system.slice/docker-0123.scope", NULL },
	{ "/sys/fs/cgroup/libpod_parent/libpod-0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
	  NULL }, /* ids are lower case */
	{ "/sys/fs/cgroup/machine.slice/libpod-" ID ".scope/container", NULL },
};

static void test_naming(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(naming); i++) {
		char id[65] = "", runtime[16] = "";
		bool got = rcc_container_of_cgroup(naming[i].path, id, runtime);

		if (got != (naming[i].runtime != NULL))
			fail_msg("%s: named a container: %d, want %d", naming[i].path, got,
				 naming[i].runtime != NULL);
		if (!got)
			continue;
		if (strcmp(id, ID) || strcmp(runtime, naming[i].runtime))
			fail_msg("%s: id %s runtime %s, want %s %s", naming[i].path, id, runtime,
				 ID, naming[i].runtime);
	}
}

static void test_in_path(void **state)
{
	char id[65], runtime[16];

	(void)state;
	/* a container's own sub-cgroup belongs to it */
	assert_true(rcc_container_in_path(
		"/sys/fs/cgroup/machine.slice/libpod-" ID ".scope/container", id, runtime));
	assert_string_equal(id, ID);
	assert_string_equal(runtime, "podman");
	assert_false(
		rcc_container_in_path("/sys/fs/cgroup/system.slice/sshd.service", id, runtime));
}

static void test_containers_section(void **state)
{
	struct rcc_config cfg;

	(void)state;
	assert_int_equal(rcc_config_parse_string("t.conf", "[policy default]\n", &cfg), 0);
	assert_string_equal(cfg.default_policy, "default");
	assert_true(cfg.enforce_all);
	rcc_config_free(&cfg);

	assert_int_equal(rcc_config_parse_string(
				 "t.conf",
				 "[containers]\ndefault_policy = strict\nenforce = labelled\n"
				 "[policy strict]\nallow_public = no\n",
				 &cfg),
			 0);
	assert_string_equal(cfg.default_policy, "strict");
	assert_false(cfg.enforce_all);
	rcc_config_free(&cfg);
}

static void test_parents(void **state)
{
	struct rcc_config cfg;

	(void)state;
	assert_int_equal(rcc_config_parse_string("t.conf",
						 "[containers]\nattach = sandboxes.slice\n"
						 "attach = /agents/x strict\n"
						 "[policy default]\n[policy strict]\n",
						 &cfg),
			 0);
	assert_int_equal(cfg.nparents, 2);
	assert_string_equal(cfg.parents[0].cgroup, "sandboxes.slice");
	assert_string_equal(cfg.parents[0].policy, "");
	assert_string_equal(cfg.parents[1].cgroup, "agents/x");
	assert_string_equal(cfg.parents[1].policy, "strict");
	rcc_config_free(&cfg);
}

static void test_label_policies(void **state)
{
	struct rcc_config cfg;
	char why[128];

	(void)state;
	assert_int_equal(
		rcc_config_parse_string("t.conf", "[policy default]\n[policy open]\n", &cfg), 0);
	assert_non_null(rcc_config_label_policy(&cfg, "open", why, sizeof(why)));
	assert_null(rcc_config_label_policy(&cfg, "nosuch", why, sizeof(why)));
	rcc_config_free(&cfg);
	assert_int_equal(
		rcc_config_parse_string("t.conf",
					"[containers]\nlabel_policies = strict\n"
					"[policy default]\n[policy open]\n[policy strict]\n",
					&cfg),
		0);
	assert_non_null(rcc_config_label_policy(&cfg, "strict", why, sizeof(why)));
	assert_null(rcc_config_label_policy(&cfg, "open", why, sizeof(why)));
	assert_non_null(strstr(why, "label_policies"));
	rcc_config_free(&cfg);
}

static void test_containers_errors(void **state)
{
	static const char *bad[] = {
		"[containers]\ndefault_policy = nosuch\n[policy default]\n",
		"[containers]\nenforce = sometimes\n",
		"[containers]\nbogus = 1\n",
		"[containers]\nenforce = all\nenforce = all\n",
		"[containers]\nattach = a nosuch\n[policy default]\n",
		"[containers]\nattach = a b c\n[policy default]\n[policy b]\n",
		"[containers]\nattach = ../escape\n",
		"[containers]\nlabel_policies = nosuch\n[policy default]\n",
		"[containers]\nlabel_policies = default\nlabel_policies = default\n",
	};
	struct rcc_config cfg;
	size_t i;

	(void)state;
	for (i = 0; i < N(bad); i++) {
		if (rcc_config_parse_string("t.conf", bad[i], &cfg) != -22)
			fail_msg("accepted: %s", bad[i]);
		rcc_config_free(&cfg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_naming),
		cmocka_unit_test(test_in_path),
		cmocka_unit_test(test_containers_section),
		cmocka_unit_test(test_parents),
		cmocka_unit_test(test_containers_errors),
		cmocka_unit_test(test_label_policies),
	};

	return cmocka_run_group_tests_name("container", tests, NULL, NULL);
}
