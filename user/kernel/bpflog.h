/* SPDX-License-Identifier: GPL-2.0 */
/* libbpf's own messages, through lib/log.h. */
#ifndef RCC_BPFLOG_H
#define RCC_BPFLOG_H

/* Routes libbpf's messages through ours, one level quieter: its
 * warnings show with -v only, since rcc-bpf reports the failures. */
void rcc_bpflog_hook(void);

#endif
