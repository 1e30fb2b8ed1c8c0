// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rcct_flood: many connect()s that rcc-bpf refuses, as fast as one
 * thread can make them (run inside the test sandbox, never elsewhere).
 *
 *   rcct_flood [--udp] [--comm NAME] [--seconds S] [--ports N] [--every-us U]
 *              [--cpu N] ADDR PORT COUNT
 *
 * COUNT connect() calls on one socket (TCP by default; --udp: a UDP
 * socket), to ADDR and ports PORT .. PORT+N-1 in turn (N = 1 unless
 * --ports), --every-us U microseconds apart (0: no pause).  The kernel
 * must refuse each with EPERM: the first other outcome (a success
 * included) stops the flood at once, so nothing ever goes out more than
 * once.  Stops after S seconds (default 60) whatever COUNT says.  --cpu
 * pins the process to CPU N.
 *
 * One result line: "ok calls=N eperm=N ms=T rate=R" when every call was
 * refused with EPERM, else "err ERRNO calls=N eperm=N ms=T rate=R"
 * (ERRNO "CONNECTED" for a success); exit 0 / 1, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr, "usage: rcct_flood [--udp] [--comm NAME] [--seconds S] [--ports N] "
			"[--every-us U] [--cpu N] ADDR PORT COUNT\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	int udp = 0, fam, fd, i = 1, err = 0;
	unsigned long long count, calls = 0, eperm = 0, nports = 1, every_us = 0;
	unsigned long port;
	double seconds = 60, t0, t1;
	socklen_t len;
	const char *comm = NULL;
	int cpu = -1;

	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--udp"))
			udp = 1;
		else if (!strcmp(argv[i], "--comm") && i + 1 < argc)
			comm = argv[++i];
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--ports") && i + 1 < argc)
			nports = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--every-us") && i + 1 < argc)
			every_us = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--cpu") && i + 1 < argc)
			cpu = atoi(argv[++i]);
		else
			return usage();
	}
	if (argc - i != 3 || nports < 1 || seconds <= 0 || seconds > 600)
		return usage();
	port = strtoul(argv[i + 1], NULL, 10);
	count = strtoull(argv[i + 2], NULL, 10);
	if (port < 1 || port + nports - 1 > 65535 || count > 100000000ull)
		return usage();
	if (inet_pton(AF_INET, argv[i], &sin->sin_addr) == 1) {
		fam = AF_INET;
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, argv[i], &sin6->sin6_addr) == 1) {
		fam = AF_INET6;
		len = sizeof(*sin6);
	} else {
		return usage();
	}
	ss.ss_family = fam;
	if (comm)
		prctl(PR_SET_NAME, comm, 0, 0, 0);
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			printf("err %s calls=0 eperm=0 ms=0 rate=0\n", strerrorname_np(errno));
			return 1;
		}
	}
	fd = socket(fam, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (fd < 0) {
		printf("err %s calls=0 eperm=0 ms=0 rate=0\n", strerrorname_np(errno));
		return 1;
	}
	t0 = now_s();
	for (calls = 0; calls < count;) {
		unsigned short p = port + calls % nports;

		if (fam == AF_INET)
			sin->sin_port = htons(p);
		else
			sin6->sin6_port = htons(p);
		calls++;
		if (!connect(fd, (struct sockaddr *)&ss, len)) {
			err = -1;
			break;
		}
		if (errno != EPERM) {
			err = errno;
			break;
		}
		eperm++;
		if (every_us)
			usleep(every_us);
		if (!(calls & 1023) && now_s() - t0 > seconds)
			break;
	}
	t1 = now_s();
	close(fd);
	printf("%s%s calls=%llu eperm=%llu ms=%.0f rate=%.0f\n", err ? "err " : "ok",
	       err < 0 ? "CONNECTED" :
	       err     ? strerrorname_np(err) :
			 "",
	       calls, eperm, (t1 - t0) * 1000, calls / (t1 - t0 > 0 ? t1 - t0 : 1e-9));
	return err ? 1 : 0;
}
