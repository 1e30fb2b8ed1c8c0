// SPDX-License-Identifier: GPL-2.0
/* The state lock: a flock on PIN_DIR, held for each change. */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "lib/log.h"

void rcc_kernel_unlock(struct rcc_kernel *k)
{
	if (k->lock_fd >= 0)
		close(k->lock_fd); /* releases the flock */
	k->lock_fd = -1;
}

static int lock_how(struct rcc_kernel *k, int how)
{
	int err;

	if (k->lock_fd >= 0)
		return 0;
	k->lock_fd = open(k->pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (k->lock_fd >= 0 && !flock(k->lock_fd, how))
		return 0;
	err = -errno;
	rcc_kernel_unlock(k);
	return err;
}

int rcc_kernel_lock(struct rcc_kernel *k)
{
	int err = lock_how(k, LOCK_EX);

	return err ? rcc_log_fail(err, "Failed to lock '%s'", k->pin_dir) : 0;
}

int rcc_kernel_trylock(struct rcc_kernel *k)
{
	return lock_how(k, LOCK_EX | LOCK_NB);
}
