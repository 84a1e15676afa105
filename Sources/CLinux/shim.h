#ifndef AUDITQ_CLINUX_SHIM_H
#define AUDITQ_CLINUX_SHIM_H
/* Linux interfaces Glibc's Swift module leaves out: signals and file
   changes as readable descriptors. */
#include <sys/signalfd.h>
#include <sys/inotify.h>
#include <sys/eventfd.h>
#endif
