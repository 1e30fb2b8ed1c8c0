// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rcct_cgkill CGROUP: empties CGROUP the way run does on kernels without
 * cgroup.kill (rcc_cgroup_kill_by_freezing, linked from librcc.a), so that
 * the fallback is tested on kernels that have cgroup.kill.
 * Prints "ok" or "err ERRNO-TEXT".
 */
#include <stdio.h>
#include <string.h>

#include "lib/cgroup.h"

int main(int argc, char **argv)
{
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: rcct_cgkill CGROUP\n");
		return 2;
	}
	err = rcc_cgroup_kill_by_freezing(argv[1], 5000);
	if (err)
		printf("err %s\n", strerror(-err));
	else
		printf("ok\n");
	return !!err;
}
