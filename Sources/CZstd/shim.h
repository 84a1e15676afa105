#ifndef AUDITQ_CZSTD_SHIM_H
#define AUDITQ_CZSTD_SHIM_H
#include <zstd.h>
#endif
