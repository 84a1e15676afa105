#if canImport(Glibc)
import Glibc
#endif

/// A failure at the kernel audit socket, naming the call and errno.
public struct AuditSocketError: Error, CustomStringConvertible {
    public let operation: String
    public let errno: Int32

    public init(_ operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }

    public var description: String {
        var text = "\(operation): \(String(cString: strerror(errno)))"
        switch errno {
        case EPERM, EACCES: text += " (needs root: CAP_AUDIT_CONTROL and CAP_AUDIT_READ)"
        case EEXIST: text += " (another audit daemon is registered)"
        case EPROTONOSUPPORT: text += " (kernel built without audit)"
        default: break
        }
        return text
    }
}
