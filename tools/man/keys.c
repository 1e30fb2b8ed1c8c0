// SPDX-License-Identifier: GPL-2.0
/*
 * Prints the configuration keys as man page source, from the same tables
 * the parser uses: `make man` puts them into man/rcc-bpf.8, and make
 * check fails when the page and the tables disagree.
 */
#include <stdio.h>

#include "policy/config.h"

int main(void)
{
	rcc_config_keys_print(stdout, true);
	return fflush(stdout) ? 1 : 0;
}
