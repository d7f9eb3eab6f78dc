/* SPDX-License-Identifier: MIT */
/*
 * The kernel command line at boot (lib/boot/cmdline.c).
 */
#ifndef HVO_CMDLINE_H
#define HVO_CMDLINE_H

#include "core/machine.h"

/*
 * What the kernel logs about its command line at boot, in its order: the
 * early parameters it refused, "Kernel command line: ...", the others it
 * refused, and the parameters it passes to init. The configuration's
 * fields were set when the line was applied (hvo_config_cmdline()).
 */
void
cmdline_log_boot(struct hvo_machine *m);

#endif /* HVO_CMDLINE_H */
