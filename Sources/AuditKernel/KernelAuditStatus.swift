import CAudit

/// The kernel's audit settings and counters (AUDIT_GET), as `auditctl -s` shows them.
public struct KernelAuditStatus: Sendable, Equatable {
    public var enabled: UInt32
    public var failure: UInt32
    public var pid: UInt32
    public var rateLimit: UInt32
    public var backlogLimit: UInt32
    public var lost: UInt32
    public var backlog: UInt32
    public var backlogWaitTime: UInt32

    init(_ s: audit_status) {
        enabled = s.enabled; failure = s.failure; pid = s.pid; rateLimit = s.rate_limit
        backlogLimit = s.backlog_limit; lost = s.lost; backlog = s.backlog
        backlogWaitTime = s.backlog_wait_time
    }

    public init(enabled: UInt32 = 0, failure: UInt32 = 1, pid: UInt32 = 0, rateLimit: UInt32 = 0,
                backlogLimit: UInt32 = 64, lost: UInt32 = 0, backlog: UInt32 = 0, backlogWaitTime: UInt32 = 0) {
        self.enabled = enabled; self.failure = failure; self.pid = pid; self.rateLimit = rateLimit
        self.backlogLimit = backlogLimit; self.lost = lost; self.backlog = backlog
        self.backlogWaitTime = backlogWaitTime
    }

    /// The `lost` counter is 32 bits and wraps: the number lost since `earlier`.
    public func lostSince(_ earlier: UInt32) -> Int64 { Int64(lost &- earlier) }
}
