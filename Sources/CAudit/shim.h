#ifndef AUDITQ_CAUDIT_SHIM_H
#define AUDITQ_CAUDIT_SHIM_H
#include <libaudit.h>
#include <auparse.h>

/* Rule building (AuditRules). libaudit keeps the state of the rule being
 * built in these globals (private.h, exported by libaudit.so): which kinds
 * of fields were added and the ELF machine that names syscalls. auditctl
 * resets them before each line; so do we. */
extern int _audit_permadded;
extern int _audit_archadded;
extern int _audit_syscalladded;
extern int _audit_exeadded;
extern int _audit_filterfsadded;
extern unsigned int _audit_elf;

static inline void auditq_rule_state_reset(void) {
    _audit_permadded = 0;
    _audit_archadded = 0;
    _audit_syscalladded = 0;
    _audit_exeadded = 0;
    _audit_filterfsadded = 0;
    _audit_elf = 0;
}
static inline unsigned int auditq_rule_state_elf(void) { return _audit_elf; }
static inline void auditq_rule_state_set_elf(unsigned int elf) { _audit_elf = elf; }
static inline int auditq_rule_state_syscall_added(void) { return _audit_syscalladded; }
static inline void auditq_rule_state_mark_syscall(void) { _audit_syscalladded = 1; }
static inline void auditq_rule_state_mark_perm(void) { _audit_permadded = 1; }
static inline int auditq_rule_state_key_allowed(void) {
    return _audit_syscalladded || _audit_permadded || _audit_exeadded || _audit_filterfsadded;
}

/* struct audit_rule_data ends in a flexible array member Swift cannot see. */
static inline size_t auditq_rule_data_size(const struct audit_rule_data *rule) {
    return sizeof(*rule) + rule->buflen;
}
static inline const char *auditq_rule_data_buf(const struct audit_rule_data *rule) {
    return rule->buf;
}
#endif
