#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Real-kernel integration tests for rcc-bpf.
#
#   tests/integration/run.sh                 every test
#   tests/integration/run.sh test_a test_b   a subset
#   tests/integration/run.sh --list          the test names
#   tests/integration/run.sh --tap           TAP output
#   tests/integration/run.sh --cleanup RUN   remove what run RUN kept/left
#
#   RCC=path/to/rcc-bpf   binary under test (default: build/rcc-bpf)
#   RCC_KEEP=1            keep each test's environment, print how to enter
#   RCCT_VERBOSE=1        show the log of passing tests too
#   PYTHON=...            interpreter for the tools (default /usr/bin/python3)
#   RCCT_FLOOD_COUNT=N    connect()s in each audit flood (default 1000000)
#
# Each test gets fresh network namespaces (sandbox SB, world W, one veth),
# its own cgroups and pin dir, and asserts on what ARRIVED in W (packet
# capture on W's veth plus a TCP/UDP sink), beside what the client saw.
# Needs root, cgroup2, bpffs (mounted if absent), python3, bpftool, and
# the C tools of the audit flood tests (make test-tools).  The tests are
# in cases/*.sh; the runner and the fixtures in tests/lib/.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
umask 022

# shellcheck source=tests/lib/runner.sh
. "$ROOT/tests/lib/runner.sh"
runner_use check testenv cgroup net world sandbox rcc audit dns
rcc_resolve
SUITE=integration
runner_cases "$HERE/cases"
runner_main "$@"
