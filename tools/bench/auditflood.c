// SPDX-License-Identifier: GPL-2.0
/*
 * auditflood: denied connect()s flat out, for the audit part of
 * tools/bench/run.sh.
 *
 *   auditflood --procs CG/cgroup.procs --cpu N --seconds S [--dests N]
 *              [--port P] [--fresh]
 *
 * Moves itself into the cgroup (one an rcc-bpf policy enforces), pins
 * itself to one CPU and, for S seconds, connect()s to 10.64.0.1 (with
 * --dests N: 10.64.0.1 .. 10.64.0.N in turn) on TCP port P.  The policy
 * denies the private range, so every connect() must end in EPERM from
 * the connect hook: no packet is made, nothing leaves the caller's
 * network namespace (run it in a sandbox netns all the same).
 *
 * One socket serves every attempt (a refused connect() leaves it
 * unconnected): the loop is connect() alone, the fastest way one core
 * has of making denials.  --fresh makes a socket per attempt instead.
 *
 * Prints one line on stdout:
 *   attempts=N eperm=N other=N seconds=F rate=F cpu_s=F
 * (cpu_s: its own user + system time)
 * and exits 1 when an attempt ended in anything but EPERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "auditflood: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	exit(2);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	const char *procs = NULL;
	double seconds = 1;
	unsigned dests = 1, port = 4343, d = 0;
	int cpu = -1, fresh = 0, fd = -1, i;
	uint64_t attempts = 0, eperm = 0, other = 0, t0, t1, end;
	int first_errno = 0;
	struct sockaddr_in sa;
	struct rusage ru;
	cpu_set_t set;
	char pid[32];

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--fresh")) {
			fresh = 1;
			continue;
		}
		if (!v)
			die("option needs a value", a);
		i++;
		if (!strcmp(a, "--procs"))
			procs = v;
		else if (!strcmp(a, "--cpu"))
			cpu = atoi(v);
		else if (!strcmp(a, "--seconds"))
			seconds = strtod(v, NULL);
		else if (!strcmp(a, "--dests"))
			dests = strtoul(v, NULL, 10);
		else if (!strcmp(a, "--port"))
			port = strtoul(v, NULL, 10);
		else
			die("unknown option", a);
	}
	if (!procs || seconds <= 0 || seconds > 600 || !dests || dests > 65534 || !port ||
	    port > 65535)
		die("usage: auditflood --procs CG/cgroup.procs --cpu N --seconds S (0-600] [--dests 1-65534] [--port P] [--fresh]",
		    NULL);

	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("cannot pin to the CPU", strerror(errno));
	}
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (fd < 0 || write(fd, pid, strlen(pid)) != (ssize_t)strlen(pid))
		die("cannot move into the cgroup", procs);
	close(fd);
	fd = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	t0 = now_ns();
	end = t0 + (uint64_t)(seconds * 1e9);
	for (t1 = t0; t1 < end; t1 = now_ns()) {
		/* 256 attempts between clock reads */
		for (i = 0; i < 256; i++) {
			sa.sin_addr.s_addr = htonl((10u << 24) | (64u << 16) | (d + 1));
			if (++d == dests)
				d = 0;
			if (fd < 0) {
				fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
				if (fd < 0)
					die("socket", strerror(errno));
			}
			attempts++;
			if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
				/* reached somewhere: stop at once */
				other++;
				first_errno = first_errno ?: -1;
				goto out;
			}
			if (errno == EPERM) {
				eperm++;
			} else {
				other++;
				first_errno = first_errno ?: errno;
				/* a connect in progress or done: never reuse it */
				close(fd);
				fd = -1;
				if (other > 16)
					goto out;
			}
			if (fresh && fd >= 0) {
				close(fd);
				fd = -1;
			}
		}
	}
out:
	t1 = now_ns();
	if (fd >= 0)
		close(fd);
	getrusage(RUSAGE_SELF, &ru);
	printf("attempts=%llu eperm=%llu other=%llu seconds=%.6f rate=%.1f cpu_s=%.3f\n",
	       (unsigned long long)attempts, (unsigned long long)eperm, (unsigned long long)other,
	       (t1 - t0) / 1e9, eperm / ((t1 - t0) / 1e9),
	       ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
		       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	if (other) {
		fprintf(stderr, "auditflood: %llu attempts did not end in EPERM (first: %s)\n",
			(unsigned long long)other,
			first_errno < 0 ? "connected" : strerror(first_errno));
		return 1;
	}
	return 0;
}
