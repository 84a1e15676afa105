// The rule library: auditctl-syntax files through libaudit (see RuleFile, RuleLoader).
