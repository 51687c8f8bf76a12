#ifndef EXPERIMENT_ADVISOR_CSYSTEMD_SHIM_H
#define EXPERIMENT_ADVISOR_CSYSTEMD_SHIM_H

// The two libsystemd headers the daemon uses. sd_journal_send() is variadic and cannot be
// called from Swift; the daemon uses sd_journal_sendv() (an iovec array) instead, and
// sd_notify() with a preformatted string, so no wrapper functions are needed here.
#include <systemd/sd-journal.h>
#include <systemd/sd-daemon.h>

#endif
