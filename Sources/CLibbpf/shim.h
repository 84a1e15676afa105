#ifndef AUDITQ_CLIBBPF_SHIM_H
#define AUDITQ_CLIBBPF_SHIM_H
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <stdarg.h>
#include <stdio.h>

/* libbpf reports why a load failed (the verifier log, "operation not
   permitted") through a va_list print callback, which Swift cannot write.
   This adapter formats each message and hands it to a plain callback. */
typedef void (*auditq_libbpf_log_fn)(int level, const char *message);

static inline auditq_libbpf_log_fn *auditq_libbpf_log_slot(void) {
    static auditq_libbpf_log_fn slot;
    return &slot;
}

static inline int auditq_libbpf_print(enum libbpf_print_level level, const char *format, va_list args) {
    char buffer[1024];
    auditq_libbpf_log_fn log = *auditq_libbpf_log_slot();
    if (!log) return 0;
    vsnprintf(buffer, sizeof buffer, format, args);
    log((int)level, buffer);
    return 0;
}

static inline void auditq_libbpf_set_log(auditq_libbpf_log_fn fn) {
    *auditq_libbpf_log_slot() = fn;
    libbpf_set_print(fn ? auditq_libbpf_print : NULL);
}
#endif
