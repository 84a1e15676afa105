#if canImport(Glibc)
import Glibc
#endif

/// A failure at the kernel audit socket (or of a system call around it),
/// naming the call and errno.
public struct AuditSocketError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let errno: Int32
    /// What the call was for, when the operation alone does not say.
    public let context: String?
    /// libaudit's EAU_FIELDNOSUPPORT: the kernel does not know a rule field.
    public let unsupported: Bool

    public init(_ operation: String, errno: Int32, context: String? = nil, unsupported: Bool = false) {
        self.operation = operation
        self.errno = errno
        self.context = context
        self.unsupported = unsupported
    }

    public var description: String {
        if unsupported { return "\(operation): not supported by this kernel" }
        var text = "\(operation): \(String(cString: strerror(errno)))"
        if let context { text += " (\(context))" }
        switch errno {
        case EPERM, EACCES: text += " (needs root: CAP_AUDIT_CONTROL and CAP_AUDIT_READ)"
        case EEXIST: text += " (another audit daemon is registered)"
        case EPROTONOSUPPORT: text += " (kernel built without audit)"
        default: break
        }
        return text
    }
}
