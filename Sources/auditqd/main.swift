import Foundation

// The collector (kernel audit socket, auditd plugin, follow mode, BPF-LSM)
// arrives with the next issues. Until then it says so and fails, rather
// than pretend to collect.
FileHandle.standardError.write(Data("auditqd: live collection is not available in this version; use 'auditq import FILE…' for audit.log files\n".utf8))
exit(69)  // EX_UNAVAILABLE
