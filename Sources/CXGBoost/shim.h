#ifndef EXPERIMENT_ADVISOR_CXGBOOST_SHIM_H
#define EXPERIMENT_ADVISOR_CXGBOOST_SHIM_H

// XGBoost's C API (Debian libxgboost-dev, 1.7). Only AdvisorXGBoost imports this module;
// no XGBoost pointer leaves it.
#include <xgboost/c_api.h>

#endif
