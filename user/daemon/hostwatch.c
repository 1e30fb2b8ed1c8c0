// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <unistd.h>

#include "daemon/hostwatch.h"
#include "host/hostaddr.h"
#include "lib/clock.h"
#include "lib/log.h"

#define HOST_LOG_MAX 8 /* address changes logged one by one */
#define WARN_EVERY_MS 60000

/* Logs what differs between two sorted sets, a few lines at most. */
static void log_changes(const struct rcc_addr_list *old, const struct rcc_addr_list *now)
{
	size_t i = 0, j = 0, moved = 0;

	while (i < old->n || j < now->n) {
		char shown[64];
		int c;

		if (i == old->n)
			c = 1;
		else if (j == now->n)
			c = -1;
		else
			c = memcmp(old->addrs[i], now->addrs[j], 16);

		if (!c) {
			i++;
			j++;
			continue;
		}
		if (moved++ < HOST_LOG_MAX) {
			rcc_addr_prefix_format(c < 0 ? old->addrs[i] : now->addrs[j], 128, shown,
					       sizeof(shown));
			pr_info("rcc-bpf: host address %s %s; block_host follows\n", shown,
				c < 0 ? "removed" : "added");
		}
		if (c < 0)
			i++;
		else
			j++;
	}
	if (moved > HOST_LOG_MAX)
		pr_info("rcc-bpf: and %zu more host addresses added or removed\n",
			moved - HOST_LOG_MAX);
}

/* Rate-limited: true when a warning may be printed now. */
static bool may_warn(struct rcc_hostwatch *hw)
{
	if (rcc_clock_ms() - hw->warned_ms < WARN_EVERY_MS)
		return false;
	hw->warned_ms = rcc_clock_ms();
	return true;
}

struct swap {
	struct rcc_addr_list *in_use, other;
};

static int swap(void *ctx)
{
	struct swap *s = ctx;
	struct rcc_addr_list old = *s->in_use;

	*s->in_use = s->other;
	s->other = old;
	return 0;
}

void rcc_hostwatch_update(struct rcc_hostwatch *hw)
{
	struct swap s = { .in_use = &hw->host };
	int err = rcc_hostaddr_read(&s.other);

	if (err) {
		if (may_warn(hw))
			pr_warn("Failed to read this host's addresses: %s; block_host keeps the last ones read, retrying\n",
				strerror(-err));
		return;
	}
	hw->dirty = false;
	if (!rcc_addr_list_equal(&s.other, &hw->host)) {
		log_changes(&hw->host, &s.other);
		rcc_sync_write(hw->sync, swap, &s);
		hw->changed = true;
	}
	rcc_addr_list_free(&s.other);
}

void rcc_hostwatch_tick(struct rcc_hostwatch *hw)
{
	/* a burst of address changes between two ticks is one read */
	if (hw->dirty)
		rcc_hostwatch_update(hw);
}

/* rtnetlink spoke: the next tick reads the addresses. */
static int on_event(void *ctx)
{
	struct rcc_hostwatch *hw = ctx;
	int r = rcc_hostaddr_watch_read(hw->fd);

	if (r < 0 && may_warn(hw))
		pr_warn("Failed to read rtnetlink: %s; reading the host's addresses again\n",
			strerror(-r));
	if (r)
		hw->dirty = true;
	return 0;
}

void rcc_hostwatch_open(struct rcc_hostwatch *hw, struct rcc_sync *sync, struct rcc_loop *l)
{
	int err;

	memset(hw, 0, sizeof(*hw));
	hw->sync = sync;
	/* before the addresses are first read: nothing falls in between */
	hw->fd = rcc_hostaddr_watch_open();
	if (hw->fd < 0)
		pr_warn("Failed to follow this host's addresses over rtnetlink: %s; block_host covers those read at start and at each reload\n",
			strerror(-hw->fd));
	else if (rcc_loop_add(l, hw->fd, on_event, hw)) {
		close(hw->fd);
		hw->fd = -1;
	}
	err = rcc_hostaddr_read(&hw->host);
	if (err)
		pr_warn("Failed to read this host's addresses: %s; block_host covers none\n",
			strerror(-err));
	/* once more at the first tick, should that read have failed */
	hw->dirty = true;
}

void rcc_hostwatch_close(struct rcc_hostwatch *hw)
{
	if (hw->fd >= 0)
		close(hw->fd);
	hw->fd = -1;
	rcc_addr_list_free(&hw->host);
}
