#ifndef AUDITQ_CZLIB_SHIM_H
#define AUDITQ_CZLIB_SHIM_H
#include <zlib.h>
#endif
