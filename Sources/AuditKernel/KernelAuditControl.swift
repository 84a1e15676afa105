import CAudit
#if canImport(Glibc)
import Glibc
#endif

/// libaudit prints its own complaints on stderr or syslog; auditq reports
/// every failure itself, once.
private let libauditQuiet: Void = set_aumessage_mode(MSG_QUIET, DBG_NO)

/// The kernel's audit control: one NETLINK_AUDIT socket opened with
/// libaudit's `audit_open` and closed in deinit, for the status, the
/// settings, the audit daemon's registration and the rule list. Requests go
/// through libaudit, which waits for the kernel's ack; replies are read into
/// one reply buffer the control owns (libaudit's reply points into itself,
/// so it must not move). Records never arrive here unless this socket
/// registers as the audit daemon: the collector receives them on its own
/// socket (`AuditSocket`).
public final class KernelAuditControl {
    private let fd: Int32
    private let reply: UnsafeMutablePointer<audit_reply>

    public init() throws {
        _ = libauditQuiet
        let fd = audit_open()
        guard fd >= 0 else { throw AuditSocketError("audit_open", errno: errno) }
        self.fd = fd
        reply = .allocate(capacity: 1)
        reply.initialize(to: audit_reply())
    }

    deinit {
        audit_close(fd)
        reply.deallocate()
    }

    /// CAP_AUDIT_CONTROL: changing settings and rules, and listing rules, needs it.
    public static var canControl: Bool { audit_can_control() != 0 }

    // MARK: Status and settings

    /// AUDIT_GET: the kernel's settings and counters.
    public func status() throws -> KernelAuditStatus {
        try check(audit_request_status(fd), "audit_request_status")
        defer { drain() }
        while true {
            try receive("AUDIT_GET")
            if reply.pointee.type == AUDIT_GET, let status = reply.pointee.status { return KernelAuditStatus(status.pointee) }
            try checkError("AUDIT_GET")
        }
    }

    public func set(_ setting: AuditSetting) throws {
        switch setting {
        case .enabled(let v): try check(audit_set_enabled(fd, v), "audit_set_enabled")
        case .failure(let v): try check(audit_set_failure(fd, v), "audit_set_failure")
        case .rateLimit(let v): try check(audit_set_rate_limit(fd, v), "audit_set_rate_limit")
        case .backlogLimit(let v): try check(audit_set_backlog_limit(fd, v), "audit_set_backlog_limit")
        case .backlogWaitTime(let v): try check(audit_set_backlog_wait_time(fd, v), "audit_set_backlog_wait_time")
        }
    }

    /// Unregisters this process as the audit daemon (pid 0). The kernel only
    /// accepts that from the registered process itself.
    public func unregisterDaemon() throws {
        try check(audit_set_pid(fd, 0, WAIT_YES), "audit_set_pid(0)")
    }

    public func setLoginuidImmutable() throws {
        try check(audit_set_loginuid_immutable(fd), "audit_set_loginuid_immutable")
    }

    /// Zeroes the lost-record counter; returns the count it had.
    public func resetLost() throws -> UInt32 {
        try counterReset(audit_reset_lost(fd), "audit_reset_lost")
    }

    /// Zeroes backlog_wait_time_actual; returns the value it had.
    public func resetBacklogWaitTimeActual() throws -> UInt32 {
        try counterReset(audit_reset_backlog_wait_time_actual(fd), "audit_reset_backlog_wait_time_actual")
    }

    // MARK: Rules

    public func addRule(_ rule: UnsafeMutablePointer<audit_rule_data>, flags: Int32, action: Int32) throws {
        try check(audit_add_rule_data(fd, rule, flags, action), "audit_add_rule_data")
    }

    /// The kernel matches the rule by content, flags and action included.
    public func deleteRule(_ rule: UnsafeMutablePointer<audit_rule_data>, flags: Int32, action: Int32) throws {
        try check(audit_delete_rule_data(fd, rule, flags, action), "audit_delete_rule_data")
    }

    /// The kernel's rules, every list, in the kernel's order, each passed to
    /// `copy` while the reply buffer holds it.
    public func listRules<T>(_ copy: (UnsafePointer<audit_rule_data>) throws -> T) throws -> [T] {
        try check(audit_request_rules_list_data(fd), "audit_request_rules_list_data")
        defer { drain() }
        var rules: [T] = []
        while true {
            try receive("AUDIT_LIST_RULES")
            switch reply.pointee.type {
            case AUDIT_LIST_RULES: if let rule = reply.pointee.ruledata { rules.append(try copy(rule)) }
            case NLMSG_DONE: return rules
            default: try checkError("AUDIT_LIST_RULES")
            }
        }
    }

    // MARK: Replies

    /// libaudit's request functions return the sequence number or bytes
    /// sent (> 0), or -errno, the kernel's when it refused (with WAIT_YES).
    private func check(_ rc: Int32, _ function: String) throws {
        guard rc <= 0 else { return }
        if rc == -30 { throw AuditSocketError(function, errno: 0, unsupported: true) }  // EAU_FIELDNOSUPPORT
        throw AuditSocketError(function, errno: rc == 0 ? EINVAL : -rc)
    }

    /// Throws if the reply is a netlink error other than an ack.
    private func checkError(_ request: String) throws {
        guard reply.pointee.type == NLMSG_ERROR else { return }
        let error = reply.pointee.error.pointee.error
        if error < 0 { throw AuditSocketError(request, errno: -error) }
    }

    /// libaudit sends the counter resets without waiting for the ack; the
    /// kernel acks with the counter's old value in the error field.
    private func counterReset(_ rc: Int32, _ function: String) throws -> UInt32 {
        try check(rc, function)
        while true {
            try receive(function)
            guard reply.pointee.type == NLMSG_ERROR else { continue }
            let value = reply.pointee.error.pointee.error
            if value < 0 { throw AuditSocketError(function, errno: -value) }
            return UInt32(value)
        }
    }

    /// Waits up to 4 s (auditctl's limit) for the next message.
    private func receive(_ request: String) throws {
        for _ in 0..<40 {
            var pending = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            var ready: Int32
            repeat { ready = poll(&pending, 1, 100) } while ready < 0 && errno == EINTR
            let rc = audit_get_reply(fd, reply, GET_REPLY_NONBLOCKING, 0)
            if rc > 0 { return }
            if rc != -EAGAIN { throw AuditSocketError("audit_get_reply", errno: rc == 0 ? EIO : -rc, context: request) }
        }
        throw AuditSocketError("audit_get_reply", errno: ETIMEDOUT, context: "no answer to \(request)")
    }

    /// The kernel acks a request in the sender's own system call, but sends
    /// status and rule lists from a thread, so an ack can trail the data.
    /// Whatever is queued once the data is read is such an ack: read it now,
    /// so that the next request does not take it for its own.
    private func drain() {
        while audit_get_reply(fd, reply, GET_REPLY_NONBLOCKING, 0) > 0 {}
    }
}
