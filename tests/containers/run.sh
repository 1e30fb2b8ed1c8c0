#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Real-container tests for rcc-bpf: Podman containers (crun, a busybox
# root filesystem, no image) enforced by attach, label, OCI hook, daemon.
#
#   tests/containers/run.sh                 every test
#   tests/containers/run.sh test_a test_b   a subset
#   tests/containers/run.sh --list          the test names
#   tests/containers/run.sh --tap           TAP output
#   tests/containers/run.sh --cleanup RUN   remove what run RUN kept/left
#
#   RCC=path/to/rcc-bpf   binary under test (default: build/rcc-bpf)
#   RCC_KEEP=1            keep each test's environment, containers included
#   RCCT_VERBOSE=1        show the log of passing tests too
#   RCCT_CHURN=N          containers in test_churn (default 200)
#
# Needs root, podman with crun, busybox-static (the containers' root
# filesystem), the static container-side probe (make test-tools), python3
# and bpftool.  The fixtures of tests/lib/ make each test's network, as
# for the integration tests: a sandbox netns SB that the containers join
# (--network ns:/run/netns/SB), a world netns W holding every destination,
# one veth between them; the checks look at what ARRIVED in W (capture on
# W's veth, TCP/UDP sink).  Containers are named rcct-RUN-IDX-WHAT, RUN
# being this run ("c" and the runner's pid).  The tests are in cases/*.sh.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
umask 022

# our own run names (rcct-cPID-...), apart from the integration suite's
RCCT_RUN=${RCCT_RUN:-c$$}
RCCT_TEST_TIMEOUT=${RCCT_TEST_TIMEOUT:-240}
# shellcheck source=tests/lib/runner.sh
. "$ROOT/tests/lib/runner.sh"
runner_use check testenv cgroup net world sandbox rcc dns containers
rcc_resolve
SUITE=containers
runner_cases "$HERE/cases"
runner_main "$@"
