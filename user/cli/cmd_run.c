// SPDX-License-Identifier: GPL-2.0
/*
 * run: COMMAND in a transient cgroup that is enforced before it starts,
 * in a session of its own (behind a pty when the caller has a terminal),
 * as an unprivileged user with no_new_privs.  When COMMAND exits, what it
 * left behind is killed; the cgroup is released only once it is empty.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cgroup.h"
#include "cli/cli.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/pty.h"
#include "cli/run_dns.h"
#include "cli/run_user.h"

#define KILL_TIMEOUT_MS 5000

/* What the parent keeps of its own state for COMMAND's process. */
struct run_parent_state {
	sigset_t mask;
	struct sigaction sigpipe;
};

/* In the child: join the cgroup, a new session, the pty, become the
 * user, exec.  Never returns; a failure's errno goes to errfd. */
static void child(const char *cg, const struct run_user *u, const struct rcc_pty *pty,
		  const struct run_parent_state *ps, char **argv, int errfd)
{
	char procs[PATH_MAX + 16];
	int fd, err;

	sigprocmask(SIG_SETMASK, &ps->mask, NULL);
	sigaction(SIGPIPE, &ps->sigpipe, NULL);
	if (rcc_snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1)
		goto fail;
	close(fd);
	if (setsid() < 0)
		goto fail;
	err = rcc_pty_enter(pty, u->drop ? u->uid : (uid_t)-1);
	err = err ?: run_user_become(u);
	if (err) {
		errno = -err;
		goto fail;
	}
	execvp(argv[0], argv);
fail:
	err = errno;
	if (write(errfd, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

/* Blocks the signals run handles and returns a signalfd for them;
 * ps keeps what COMMAND's process gets back. */
static int take_signals(struct run_parent_state *ps)
{
	static const int handled[] = {
		SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGWINCH, SIGCHLD, SIGCONT
	};
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigset_t set, tty;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(&set, handled[i]);
	/* blocked, not read: a background run writing to or restoring the
	 * terminal gets EIO or succeeds instead of stopping */
	tty = set;
	sigaddset(&tty, SIGTTIN);
	sigaddset(&tty, SIGTTOU);
	if (sigprocmask(SIG_BLOCK, &tty, &ps->mask))
		return -errno;
	/* a reader of our output that goes away must not stop the cleanup */
	sigaction(SIGPIPE, &ign, &ps->sigpipe);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Keys typed at a terminal go to its foreground group; kill(1) to us
 * goes to COMMAND. */
static void forward(pid_t pid, const struct rcc_pty *pty, int sig)
{
	pid_t fg = sig == SIGINT || sig == SIGQUIT ? rcc_pty_foreground(pty) : -1;

	if (fg > 0)
		killpg(fg, sig);
	else
		kill(pid, sig);
}

/* COMMAND stopped on its terminal: so do we, until the shell continues us. */
static void follow_stop(pid_t pid, struct rcc_pty *pty, int sig)
{
	rcc_pty_suspend(pty);
	kill(getpid(), sig == SIGSTOP ? SIGSTOP : SIGTSTP);
	rcc_pty_resume(pty);
	kill(pid, SIGCONT);
}

/* Relays the terminal and signals, and answers DNS, until COMMAND
 * exits; its wait status. */
static int supervise(pid_t pid, int sigfd, struct rcc_pty *pty, struct run_dns *dns)
{
	int options = WNOHANG | (pty->master >= 0 ? WUNTRACED : 0);
	struct signalfd_siginfo si;
	struct pollfd fds[4];
	int status;
	pid_t r;

	for (;;) {
		fds[0] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		rcc_pty_poll_fds(pty, fds + 1);
		fds[3] = (struct pollfd){ .fd = run_dns_fd(dns), .events = POLLIN };
		if (poll(fds, 4, run_dns_timeout_ms(dns)) < 0 && errno != EINTR)
			kill(pid, SIGKILL); /* cannot relay: end it, then clean up */
		run_dns_serve(dns);
		while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGWINCH)
				rcc_pty_resize(pty);
			else if (si.ssi_signo == SIGCONT) /* fg: relay stdin again */
				rcc_pty_resume(pty);
			else if (si.ssi_signo != SIGCHLD)
				forward(pid, pty, si.ssi_signo);
		}
		while ((r = waitpid(pid, &status, options)) == pid) {
			if (!WIFSTOPPED(status))
				return status;
			follow_stop(pid, pty, WSTOPSIG(status));
		}
		if (r < 0 && errno == ECHILD)
			return 0;
		rcc_pty_pump(pty, fds + 1);
	}
}

/* Detaches and removes the cgroup, but only once it is empty: one with
 * processes left stays enforced. */
static void release_cgroup(const struct rcc_config *cfg, const char *cg, int kill_err)
{
	struct rcc_kernel k;

	if (kill_err) {
		pr_warn("Failed to empty '%s': %s; it stays enforced with its policy. "
			"Once its processes are gone: rcc-bpf detach --cgroup %s && rmdir %s\n",
			cg, strerror(-kill_err), cg, cg);
		return;
	}
	/* both report their failures; -ENOENT: nothing to detach */
	if (!rcc_kernel_open(cfg, false, true, &k)) {
		rcc_kernel_detach(&k, cg);
		rcc_kernel_close(&k);
	}
	if (rmdir(cg) && errno != ENOENT)
		pr_warn("Failed to remove cgroup '%s': %s\n", cg, strerror(errno));
}

/* Starts COMMAND in cg and waits for it; its exit code for run. */
static int run_command(const struct rcc_config *cfg, const char *cg, const struct run_user *u,
		       char **argv, struct run_dns *dns)
{
	struct run_parent_state ps;
	struct rcc_pty pty;
	int sigfd, status = 0, pipefd[2] = { -1, -1 }, child_err = 0, kill_err, rc;
	pid_t pid = -1;

	rc = rcc_pty_open(&pty);
	if (rc)
		pr_warn("Failed to open a pseudo-terminal: %s\n", strerror(-rc));
	sigfd = take_signals(&ps);
	if (rc || sigfd < 0 || pipe2(pipefd, O_CLOEXEC)) {
		if (sigfd < 0)
			pr_warn("Failed to take signals: %s\n", strerror(errno));
		rc = RCC_EXIT_FAIL;
		goto out;
	}
	pid = fork();
	if (pid == 0)
		child(cg, u, &pty, &ps, argv, pipefd[1]);
	close(pipefd[1]);
	if (pid < 0) {
		pr_warn("Failed to fork: %s\n", strerror(errno));
		rc = RCC_EXIT_FAIL;
		goto out;
	}
	/* returns at exec (the pipe closes) or with the child's error */
	if (read(pipefd[0], &child_err, sizeof(child_err)) != sizeof(child_err))
		child_err = 0;
	rcc_pty_start(&pty);
	status = supervise(pid, sigfd, &pty, dns);
	if (child_err) {
		pr_warn("cannot run '%s': %s\n", argv[0], strerror(child_err));
		rc = child_err == ENOENT ? 127 : 126;
	} else if (WIFEXITED(status)) {
		rc = WEXITSTATUS(status);
	} else {
		rc = 128 + WTERMSIG(status);
	}
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (sigfd >= 0)
		close(sigfd);
	/* leftovers die first, so that nothing holds the pty when it is
	 * drained; our messages wait until the terminal is restored */
	kill_err = rcc_cgroup_kill(cg, KILL_TIMEOUT_MS);
	run_dns_close(dns);
	rcc_pty_close(&pty, 200);
	release_cgroup(cfg, cg, kill_err);
	return rc;
}

int cmd_run(struct rcc_args *a)
{
	const struct rcc_policy_cfg *p;
	struct rcc_config cfg;
	struct rcc_kernel k;
	struct run_dns dns;
	struct run_user u;
	char mnt[PATH_MAX], parent[PATH_MAX * 2], cg[PATH_MAX * 2 + 32];
	int rc, err;
	__u32 id;

	rc = cli_load_config(a, &cfg);
	if (rc)
		return rc;
	p = cli_policy(&cfg, a->policy);
	rc = p ? run_user_pick(a->user, &u) : RCC_EXIT_USAGE;
	if (rc)
		goto out;
	run_user_warn_sockets(&u, cfg.runtime_sockets);
	rcc_cgroup_mount(mnt, sizeof(mnt));
	snprintf(parent, sizeof(parent), "%s/%s", mnt, cfg.run_cgroup);
	snprintf(cg, sizeof(cg), "%s/run-%d", parent, (int)getpid());
	if ((mkdir(parent, 0755) && errno != EEXIST) || mkdir(cg, 0755)) {
		pr_warn("Failed to create cgroup '%s': %s\n", cg, strerror(errno));
		rc = RCC_EXIT_FAIL;
		goto out;
	}
	rc = cli_open_and_apply(&cfg, &k, NULL);
	if (rc) {
		rmdir(cg);
		goto out;
	}
	/* not loaded is an answer the kernel layer does not report */
	err = rcc_kernel_policy_id(&k, p->name, &id);
	if (err)
		rcc_log_fail(err, "Failed to attach policy '%s' to '%s'", p->name, cg);
	err = err ?: rcc_kernel_attach(&k, cg, id);
	if (err == -ENOENT) /* a cgroup gone is not reported below */
		rcc_log_fail(err, "Failed to attach policy '%s' to '%s'", p->name, cg);
	/* before COMMAND starts: its first query is answered */
	err = err ?: run_dns_open(&dns, &cfg, &k, cg, p);
	rcc_kernel_close(&k);
	if (err) {
		release_cgroup(&cfg, cg, 0);
		rc = RCC_EXIT_FAIL;
		goto out;
	}
	pr_debug("running in %s with policy '%s'\n", cg, p->name);
	rc = run_command(&cfg, cg, &u, a->argv, &dns);
out:
	rcc_config_free(&cfg);
	return rc;
}
