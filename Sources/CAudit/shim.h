#ifndef AUDITQ_CAUDIT_SHIM_H
#define AUDITQ_CAUDIT_SHIM_H
#include <libaudit.h>
#include <auparse.h>
#endif
