import AuditKernel
#if canImport(Glibc)
import Glibc
#endif

/// What went wrong with a rule file or with the kernel's audit rules, in one
/// line: "FILE:LINE: reason" for a line of a rule file, "FUNCTION: strerror
/// (context)" for a libaudit call.
public struct RuleError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// A line auditctl would refuse too.
        case syntax
        /// `-e 2` or `-f 2` without the load option that allows it.
        case refused
        /// A named file or directory does not exist.
        case missingFile
        /// Not root, or no CAP_AUDIT_CONTROL.
        case permission
        /// The kernel (or the netlink socket) refused a request.
        case kernel
    }

    public let kind: Kind
    public let description: String
    /// The errno behind a failed call, when there is one.
    public let errno: Int32?

    init(_ kind: Kind, _ description: String, errno: Int32? = nil) {
        self.kind = kind
        self.description = description
        self.errno = errno
    }

    /// "FILE:LINE: reason" for a line auditctl would refuse.
    static func syntax(_ location: RuleLocation, _ reason: String) -> RuleError {
        RuleError(.syntax, "\(location): \(reason)")
    }

    /// "FUNCTION: strerror (context)" for a failed libaudit or system call.
    static func call(_ function: String, errno code: Int32, _ context: String? = nil) -> RuleError {
        let kind: Kind = (code == EPERM || code == EACCES) ? .permission : .kernel
        let text = Self.text(function: function, errno: code)
        return RuleError(kind, "\(function): \(text)" + (context.map { " (\($0))" } ?? ""), errno: code)
    }

    /// A kernel audit control request that failed: "FUNCTION: strerror (context)".
    init(_ error: AuditSocketError) {
        if error.unsupported {
            self.init(.kernel, "\(error.operation): not supported by this kernel")
        } else {
            self = .call(error.operation, errno: error.errno, error.context)
        }
    }

    /// The same error, said of one line of a rule file: "FILE:LINE: …".
    func located(at location: RuleLocation) -> RuleError {
        RuleError(kind, "\(location): \(description)", errno: errno)
    }

    /// strerror, with the words auditctl uses where it has its own.
    static func text(function: String, errno code: Int32) -> String {
        switch (function, code) {
        case ("audit_add_rule_data", EEXIST): return "Rule exists"
        case ("audit_delete_rule_data", ENOENT): return "No rule matches"
        default: return String(cString: strerror(code))
        }
    }
}
