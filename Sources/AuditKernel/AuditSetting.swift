/// A value of the kernel's audit status that can be set (`auditctl -e`,
/// `-f`, `-r`, `-b`, `--backlog_wait_time`).
public enum AuditSetting: Sendable, Equatable {
    case enabled(UInt32)          // -e
    case failure(UInt32)          // -f
    case rateLimit(UInt32)        // -r
    case backlogLimit(UInt32)     // -b
    case backlogWaitTime(UInt32)  // --backlog_wait_time

    /// As `auditctl -s` names it.
    public var name: String {
        switch self {
        case .enabled: return "enabled"
        case .failure: return "failure"
        case .rateLimit: return "rate_limit"
        case .backlogLimit: return "backlog_limit"
        case .backlogWaitTime: return "backlog_wait_time"
        }
    }

    public var value: UInt32 {
        switch self {
        case .enabled(let v), .failure(let v), .rateLimit(let v), .backlogLimit(let v), .backlogWaitTime(let v): return v
        }
    }
}
