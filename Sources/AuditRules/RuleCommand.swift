import AuditKernel
import CAudit

/// A place in a rule file, printed "FILE:LINE".
public struct RuleLocation: Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public var description: String { "\(file):\(line)" }
}

/// One kernel request a rule-file line asks for.
enum RuleCommand: Sendable {
    /// `-D`, or `-D -k KEY` (rules whose key contains KEY, as auditctl matches).
    case deleteAll(key: String?)
    case setting(AuditSetting)
    case resetLost
    case resetBacklogWaitTimeActual
    case loginuidImmutable
    /// `-a`, `-A`, `-w`.
    case add(RuleData)
    /// `-d`, `-W`.
    case delete(RuleData)
}

/// What happens when a line fails, set by `-i` and `-c` for the lines after
/// them (auditctl's `ignore` and `continue_error`).
enum ErrorPolicy: Sendable {
    /// Stop at the line, leaving nothing of its file loaded.
    case stop
    /// `-i`: report the line and go on.
    case ignore
    /// `-c`: report the line, go on, and fail at the end.
    case continueThenFail
}

/// One non-blank, non-comment line of a rule file.
struct RuleLine: Sendable {
    let location: RuleLocation
    let commands: [RuleCommand]
    /// The policy in force for this line.
    let onError: ErrorPolicy
    /// A line that did not parse, passed over because of -i or -c.
    let skipped: RuleError?
}
