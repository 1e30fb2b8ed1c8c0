// SPDX-License-Identifier: GPL-2.0
/* daemon: the command that builds the daemon (daemon/daemon.h) and runs
 * it. */
#include "cli/cli.h"
#include "daemon/daemon.h"

int cmd_daemon(struct rcc_args *a)
{
	struct rcc_daemon d;
	int rc;

	rcc_daemon_init(&d, a->config);
	rc = cli_load_config(a, &d.cfg);
	if (rc)
		goto out;
	rc = rcc_daemon_open(&d) ? RCC_EXIT_FAIL : RCC_EXIT_OK;
	/* the first load, as a one-shot command does it, over the daemon's
	 * names; it leaves the state locked for rcc_daemon_start() */
	rc = rc ?: cli_open_and_apply(&d.cfg, &d.k, &d.o);
	if (rc)
		goto out;
	rc = rcc_daemon_start(&d) || rcc_daemon_run(&d) ? RCC_EXIT_FAIL : RCC_EXIT_OK;
out:
	rcc_daemon_close(&d);
	return rc;
}
