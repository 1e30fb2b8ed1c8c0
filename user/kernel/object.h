/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the kernel layer: the BPF object's pins (object.c loads the
 * skeleton once, pins its programs and maps, and opens the pins; the
 * public side is rcc_kernel_open/close in kernel/kernel.h).
 */
#ifndef RCC_OBJECT_H
#define RCC_OBJECT_H

/* rm -rf inside bpffs: pins and directories only.  0 or a -errno of the
 * last failure (it goes on past failures); prints nothing. */
int rcc_object_unpin_tree(const char *path);

#endif
