// SPDX-License-Identifier: GPL-2.0
/*
 * run: a pseudo-terminal between COMMAND and the caller's terminal, the
 * way sudo's use_pty does it.  COMMAND runs in a session of its own with
 * the pty as its controlling terminal, so it holds no descriptor of the
 * caller's terminal and cannot push input into it (TIOCSTI) or take it
 * over; we copy bytes both ways and pass on the window size.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib/pty.h"

int rcc_pty_open(struct rcc_pty *p)
{
	struct termios tio;
	struct winsize ws;
	int i, err = 0;

	memset(p, 0, sizeof(*p));
	p->master = p->term = p->out = -1;
	for (i = 2; i >= 0; i--)
		if ((p->was_tty[i] = isatty(i)))
			p->term = i;
	if (p->term < 0)
		return 0;
	p->out = p->was_tty[1] ? 1 : p->was_tty[2] ? 2 : 0;
	p->relay_in = p->was_tty[0] && tcgetpgrp(0) == getpgrp();
	p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p->master < 0 || grantpt(p->master) || unlockpt(p->master) ||
	    ptsname_r(p->master, p->slave, sizeof(p->slave)))
		goto fail;
	/* on a master, these reach the slave side */
	if (!tcgetattr(p->term, &tio) && tcsetattr(p->master, TCSANOW, &tio))
		goto fail;
	if (!ioctl(p->term, TIOCGWINSZ, &ws) && ioctl(p->master, TIOCSWINSZ, &ws))
		goto fail;
	if (fcntl(p->master, F_SETFL, O_NONBLOCK))
		goto fail;
	return 0;
fail:
	err = -errno;
	if (p->master >= 0)
		close(p->master);
	p->master = -1;
	return err;
}

int rcc_pty_enter(const struct rcc_pty *p, uid_t owner)
{
	int fd, i, err = 0;

	if (p->master < 0)
		return 0;
	fd = open(p->slave, O_RDWR | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, TIOCSCTTY, 0) || (owner != (uid_t)-1 && fchown(fd, owner, (gid_t)-1)))
		err = -errno;
	for (i = 0; i < 3 && !err; i++)
		if (p->was_tty[i] && dup2(fd, i) < 0)
			err = -errno;
	if (fd > 2)
		close(fd);
	return err;
}

static void set_raw(struct rcc_pty *p)
{
	struct termios raw;

	if (p->raw || !p->relay_in || tcgetattr(0, &p->saved))
		return;
	raw = p->saved;
	cfmakeraw(&raw);
	p->raw = !tcsetattr(0, TCSADRAIN, &raw);
}

static void restore(struct rcc_pty *p)
{
	if (p->raw)
		tcsetattr(0, TCSADRAIN, &p->saved);
	p->raw = false;
}

void rcc_pty_start(struct rcc_pty *p)
{
	if (p->master >= 0)
		set_raw(p);
}

void rcc_pty_poll_fds(const struct rcc_pty *p, struct pollfd fds[2])
{
	fds[0] = (struct pollfd){ .fd = -1 };
	fds[1] = (struct pollfd){ .fd = -1 };
	if (p->master < 0)
		return;
	if (p->to_cmd.len)
		fds[0] = (struct pollfd){ .fd = p->master, .events = POLLOUT };
	else if (p->relay_in && !p->in_done)
		fds[0] = (struct pollfd){ .fd = 0, .events = POLLIN };
	if (p->from_cmd.len)
		fds[1] = (struct pollfd){ .fd = p->out, .events = POLLOUT };
	else if (!p->out_done)
		fds[1] = (struct pollfd){ .fd = p->master, .events = POLLIN };
}

/* read into an empty b; false at end of file or on an error */
static bool fill(struct rcc_pty_buf *b, int fd)
{
	ssize_t n;

	errno = 0;
	n = read(fd, b->data, sizeof(b->data));
	if (n > 0) {
		b->len = n;
		b->off = 0;
		return true;
	}
	return n < 0 && (errno == EAGAIN || errno == EINTR);
}

/* write what b holds; a reader that went away gets nothing more */
static void drain(struct rcc_pty_buf *b, int fd)
{
	ssize_t n = write(fd, b->data + b->off, b->len - b->off);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	b->off += n > 0 ? (size_t)n : b->len - b->off;
	if (b->off == b->len)
		b->len = b->off = 0;
}

void rcc_pty_pump(struct rcc_pty *p, const struct pollfd fds[2])
{
	if (fds[0].fd >= 0 && fds[0].revents) {
		if (fds[0].fd == 0 && !fill(&p->to_cmd, 0)) {
			/* EIO: we were put in the background; SIGCONT
			 * (rcc_pty_resume) looks again */
			if (errno == EIO)
				p->relay_in = false;
			else
				p->in_done = true;
		} else if (fds[0].fd != 0)
			drain(&p->to_cmd, p->master);
	}
	if (fds[1].fd >= 0 && fds[1].revents) {
		/* EIO once nothing holds the slave side any more */
		if (fds[1].fd == p->master)
			p->out_done = !fill(&p->from_cmd, p->master);
		else
			drain(&p->from_cmd, p->out);
	}
}

void rcc_pty_resize(const struct rcc_pty *p)
{
	struct winsize ws;

	if (p->master >= 0 && !ioctl(p->term, TIOCGWINSZ, &ws))
		ioctl(p->master, TIOCSWINSZ, &ws);
}

pid_t rcc_pty_foreground(const struct rcc_pty *p)
{
	return p->master >= 0 ? tcgetpgrp(p->master) : -1;
}

void rcc_pty_suspend(struct rcc_pty *p)
{
	restore(p);
}

void rcc_pty_resume(struct rcc_pty *p)
{
	if (p->master < 0)
		return;
	p->relay_in = p->was_tty[0] && tcgetpgrp(0) == getpgrp();
	set_raw(p);
	rcc_pty_resize(p);
}

void rcc_pty_close(struct rcc_pty *p, int idle_ms)
{
	int rounds = 0;

	if (p->master < 0)
		return;
	p->relay_in = false;
	/* bounded: something outside our reach may still hold the slave */
	while (!p->out_done && rounds++ < 50) {
		struct pollfd fds[2];

		rcc_pty_poll_fds(p, fds);
		if (poll(fds, 2, idle_ms) <= 0)
			break;
		rcc_pty_pump(p, fds);
	}
	while (p->from_cmd.len && rounds++ < 100)
		drain(&p->from_cmd, p->out);
	restore(p);
	close(p->master);
	p->master = -1;
}
