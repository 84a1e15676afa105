import CAudit
#if canImport(Glibc)
import Glibc
#endif

/// A NETLINK_AUDIT socket for requests (status, settings, registering the
/// audit daemon), opened with libaudit's `audit_open`. Records never arrive
/// here unless this socket registers as the audit daemon, which is why the
/// unicast receiver registers through its own socket (`AuditSocket`).
public final class KernelAuditControl {
    let fd: Int32

    public init() throws {
        let fd = audit_open()
        guard fd >= 0 else { throw AuditSocketError("audit_open", errno: errno) }
        self.fd = fd
    }

    deinit { audit_close(fd) }

    public func status() throws -> KernelAuditStatus {
        try Self.status(fd: fd)
    }

    /// AUDIT_GET on `fd`, waiting at most a second for the kernel's answer.
    static func status(fd: Int32) throws -> KernelAuditStatus {
        guard audit_request_status(fd) > 0 else { throw AuditSocketError("audit_request_status", errno: errno) }
        var reply = audit_reply()
        for _ in 0..<20 {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, 50)
            if ready < 0 && errno != EINTR { throw AuditSocketError("poll", errno: errno) }
            guard ready > 0 else { continue }
            let rc = audit_get_reply(fd, &reply, GET_REPLY_NONBLOCKING, 0)
            if rc < 0 && -rc != EAGAIN { throw AuditSocketError("audit_get_reply", errno: -rc) }
            if rc > 0 && reply.type == AUDIT_GET, let status = reply.status {
                return KernelAuditStatus(status.pointee)
            }
            if rc > 0 && reply.type == NLMSG_ERROR, let error = reply.error, error.pointee.error != 0 {
                throw AuditSocketError("AUDIT_GET", errno: -error.pointee.error)
            }
        }
        throw AuditSocketError("AUDIT_GET (no answer from the kernel)", errno: ETIMEDOUT)
    }

    public func setEnabled(_ value: UInt32) throws {
        precondition(value < 2, "auditq never makes the audit configuration immutable")
        try check("audit_set_enabled", audit_set_enabled(fd, value))
    }

    public func setBacklogLimit(_ value: UInt32) throws {
        try check("audit_set_backlog_limit", audit_set_backlog_limit(fd, value))
    }

    public func setBacklogWaitTime(_ value: UInt32) throws {
        try check("audit_set_backlog_wait_time", audit_set_backlog_wait_time(fd, value))
    }

    /// Unregisters this process as the audit daemon (pid 0). The kernel only
    /// accepts that from the registered process itself.
    public func unregisterDaemon() throws {
        try check("audit_set_pid(0)", audit_set_pid(fd, 0, WAIT_YES))
    }

    private func check(_ name: String, _ rc: Int32) throws {
        // libaudit returns the bytes sent (> 0) or -errno; with WAIT_YES a
        // kernel refusal comes back as a negative errno too.
        if rc < 0 { throw AuditSocketError(name, errno: rc == -1 ? errno : -rc) }
    }
}
