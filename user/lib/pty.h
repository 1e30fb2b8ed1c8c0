/* SPDX-License-Identifier: GPL-2.0 */
/* run: a pseudo-terminal between COMMAND and the caller's terminal. */
#ifndef RCC_PTY_H
#define RCC_PTY_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <termios.h>

struct rcc_pty_buf {
	char data[4096];
	size_t len, off;
};

struct rcc_pty {
	int master; /* -1: no terminal, COMMAND keeps the descriptors */
	char slave[64];
	bool was_tty[3]; /* stdin, stdout, stderr: these get the pty */
	int term;	 /* the caller's terminal (size, settings) */
	int out;	 /* where COMMAND's terminal output is copied */
	bool relay_in;	 /* stdin is the terminal and we are in its foreground */
	bool raw;	 /* term is raw; saved holds its settings */
	bool in_done, out_done;
	struct termios saved;
	struct rcc_pty_buf to_cmd, from_cmd;
};

/* When stdin, stdout or stderr is a terminal, a pty with its settings
 * and size; otherwise p->master is -1 and every call below does nothing.
 * 0 or -errno. */
int rcc_pty_open(struct rcc_pty *p);
/* In COMMAND's process, after setsid(): the pty becomes its controlling
 * terminal and replaces the descriptors that were terminals; owner
 * ((uid_t)-1: keep) may then reopen it by name.  0 or -errno. */
int rcc_pty_enter(const struct rcc_pty *p, uid_t owner);
/* After COMMAND started: the caller's terminal goes raw, so that every
 * key (^C, ^Z too) reaches COMMAND's own terminal. */
void rcc_pty_start(struct rcc_pty *p);
/* Fills fds[0..1] with what the relay waits for (fd -1: nothing). */
void rcc_pty_poll_fds(const struct rcc_pty *p, struct pollfd fds[2]);
/* Moves what fds[0..1] (after poll) say is ready. */
void rcc_pty_pump(struct rcc_pty *p, const struct pollfd fds[2]);
/* SIGWINCH: the caller's window size onto the pty, which signals COMMAND. */
void rcc_pty_resize(const struct rcc_pty *p);
/* The pty's foreground process group, or -1. */
pid_t rcc_pty_foreground(const struct rcc_pty *p);
/* COMMAND stopped: the caller's terminal gets its settings back ... */
void rcc_pty_suspend(struct rcc_pty *p);
/* ... and, when we are continued (SIGCONT), raw again at the current
 * size if we are in the terminal's foreground. */
void rcc_pty_resume(struct rcc_pty *p);
/* Once COMMAND and whatever held the pty are gone: copies what is left
 * (waiting at most idle_ms for more), restores the caller's terminal. */
void rcc_pty_close(struct rcc_pty *p, int idle_ms);

#endif
