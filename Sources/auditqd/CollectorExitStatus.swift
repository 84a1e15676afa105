import AuditCLI
import AuditCollector
#if canImport(Glibc)
import Glibc
#endif

// The collector's own errors, in the exit statuses both executables share
// (AuditCLI's Failure maps every other error).

extension CollectorError: ExitStatusError {
    /// Another audit daemon holds the socket, the sensor cannot enforce, …
    public var exitStatus: ExitStatus { .unavailable }
}

extension FollowFileError: ExitStatusError {
    public var exitStatus: ExitStatus {
        switch errno {
        case EACCES, EPERM: .noPermission
        case ENOENT, ENOTDIR: .noInput
        default: .ioError
        }
    }
}
