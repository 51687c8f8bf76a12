#ifndef EXPERIMENT_ADVISOR_CZLIB_SHIM_H
#define EXPERIMENT_ADVISOR_CZLIB_SHIM_H

// zlib's gz* file API (Debian zlib1g-dev): gzread reads gzip and plain files alike, so one
// streaming reader serves data.csv and data.csv.gz. Only AdvisorIngest imports this module.
#include <zlib.h>

#endif
