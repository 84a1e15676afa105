import AuditKernel
import CAudit
#if canImport(Glibc)
import Glibc
#endif

/// What a load may do that cannot be undone before a reboot.
public struct LoadOptions: Sendable {
    /// Let `-e 2` through: the audit configuration is then locked until reboot.
    public var allowImmutable = false
    /// Let `-f 2` through: the kernel then panics when it cannot audit.
    public var allowPanic = false

    public init() {}
}

/// What a load changed.
public struct LoadReport: Sendable, CustomStringConvertible {
    public internal(set) var rulesAdded = 0
    /// Rules removed by -D, -d and -W lines.
    public internal(set) var rulesDeleted = 0
    /// Settings applied, in order, as `auditctl -s` names them ("backlog_limit 8192").
    public internal(set) var settings: [String] = []
    /// Lines that failed and were passed over because of an earlier -i or -c.
    public internal(set) var passedOver: [RuleError] = []
    /// A line failed while -c was in force: like auditctl, the load as a
    /// whole counts as failed although it went on.
    public internal(set) var failed = false

    public var description: String {
        var text = "added \(rulesAdded) rule(s), deleted \(rulesDeleted)"
        if !settings.isEmpty { text += "; set " + settings.joined(separator: ", ") }
        if !passedOver.isEmpty { text += "; passed over \(passedOver.count) failed line(s)" }
        return text
    }

    mutating func passOver(_ error: RuleError, _ policy: ErrorPolicy) {
        passedOver.append(error)
        if policy == .continueThenFail { failed = true }
    }
}

/// Loads rule sets into the kernel through libaudit's rule API, removes
/// them, and lists what is loaded, through the kernel audit control.
public final class RuleLoader {
    private let kernel: RuleRequests

    /// Needs CAP_AUDIT_CONTROL (root), even to list.
    public init() throws {
        guard KernelAuditControl.canControl else {
            throw RuleError.call("audit_can_control", errno: EPERM, "needs root or CAP_AUDIT_CONTROL")
        }
        kernel = try RuleRequests()
    }

    /// Sends the set's requests in order. A line the kernel refuses stops the
    /// load, after deleting the rules its file had added, and throws naming
    /// FILE:LINE and the kernel's reason; after `-i` or `-c` the line is
    /// passed over instead. `-e 2` and `-f 2` are refused before anything is
    /// sent unless `options` allow them.
    @discardableResult
    public func load(_ set: RuleSet, options: LoadOptions = .init()) throws -> LoadReport {
        try refuseIrreversible(set, options)
        if set.lines.contains(where: { !$0.commands.isEmpty }), try kernel.status().enabled == 2 {
            throw RuleError(.kernel, "the audit configuration is immutable (enabled 2): no rule changes until reboot")
        }
        var report = LoadReport()
        var file: String?
        var addedFromFile: [RuleData] = []
        for line in set.lines {
            if line.location.file != file {
                file = line.location.file
                addedFromFile = []
            }
            if let skipped = line.skipped {
                report.passOver(skipped, line.onError)
                continue
            }
            for command in line.commands {
                do {
                    try send(command, &report, &addedFromFile)
                } catch let error as RuleError {
                    let located = error.located(at: line.location)
                    guard line.onError != .stop else { throw rollBack(addedFromFile, after: located) }
                    report.passOver(located, line.onError)
                    break  // like auditctl, the rest of a failed line is dropped
                }
            }
        }
        return report
    }

    /// Deletes the set's add rules that are loaded (matched by content);
    /// returns how many.
    @discardableResult
    public func remove(_ set: RuleSet) throws -> Int {
        var loaded = try kernel.listRules().map(\.image)
        var removed = 0
        for rule in set.addedRules {
            guard let index = loaded.firstIndex(of: rule.image) else { continue }
            try kernel.delete(rule)
            loaded.remove(at: index)
            removed += 1
        }
        return removed
    }

    /// The kernel's rules, one line each, as `auditctl -l` prints them
    /// (empty when there are none; auditctl then prints "No rules").
    public func activeRules() throws -> [String] {
        RuleListing.lines(try loadedRules())
    }

    func loadedRules() throws -> [RuleImage] {
        try kernel.listRules().map(\.image)
    }

    // MARK: Steps

    private func refuseIrreversible(_ set: RuleSet, _ options: LoadOptions) throws {
        for line in set.lines {
            for case .setting(let setting) in line.commands {
                if setting == .enabled(2) && !options.allowImmutable {
                    throw RuleError(.refused, "\(line.location): -e 2 would lock the audit configuration until reboot; refused (not allowed by this load)")
                }
                if setting == .failure(2) && !options.allowPanic {
                    throw RuleError(.refused, "\(line.location): -f 2 would make the kernel panic when it cannot audit; refused (not allowed by this load)")
                }
            }
        }
    }

    private func send(_ command: RuleCommand, _ report: inout LoadReport, _ added: inout [RuleData]) throws {
        switch command {
        case .add(let rule):
            try kernel.add(rule)
            added.append(rule)
            report.rulesAdded += 1
        case .delete(let rule):
            try kernel.delete(rule)
            report.rulesDeleted += 1
        case .deleteAll(let key):
            report.rulesDeleted += try deleteAll(key: key)
        case .setting(let setting):
            try kernel.set(setting)
            report.settings.append("\(setting.name) \(setting.value)")
        case .resetLost:
            report.settings.append("lost 0 (was \(try kernel.resetLost()))")
        case .resetBacklogWaitTimeActual:
            report.settings.append("backlog_wait_time_actual 0 (was \(try kernel.resetBacklogWaitTimeActual()))")
        case .loginuidImmutable:
            try kernel.setLoginuidImmutable()
            report.settings.append("loginuid_immutable 1 locked")
        }
    }

    /// `-D [-k KEY]`: every rule, or those whose key contains KEY (as
    /// auditctl's key_match does), deleted one by one as listed.
    private func deleteAll(key: String?) throws -> Int {
        var deleted = 0
        for rule in try kernel.listRules() where key.map({ rule.image.key?.contains($0) == true }) ?? true {
            try kernel.delete(rule)
            deleted += 1
        }
        return deleted
    }

    /// Deletes what a failed file had added, newest first, and says so in
    /// the error.
    private func rollBack(_ added: [RuleData], after error: RuleError) -> RuleError {
        guard !added.isEmpty else { return error }
        var kept = 0
        for rule in added.reversed() {
            do { try kernel.delete(rule) } catch { kept += 1 }
        }
        let outcome = kept == 0
            ? "the \(added.count) rule(s) added from the file before it were removed"
            : "\(kept) of the \(added.count) rule(s) added from the file before it could not be removed"
        return RuleError(error.kind, "\(error.description); \(outcome)", errno: error.errno)
    }
}

/// The kernel audit control as the loader uses it: rules as `RuleData`,
/// settings as rule files write them, failures as `RuleError`.
struct RuleRequests {
    let control: KernelAuditControl

    init() throws {
        control = try asRuleError { try KernelAuditControl() }
    }

    func add(_ rule: RuleData) throws {
        try asRuleError { try control.addRule(rule.pointer, flags: rule.flags, action: rule.action) }
    }

    /// The kernel matches the rule by content, and a rule it holds no longer
    /// carries -A's AUDIT_FILTER_PREPEND; libaudit writes the flags it is
    /// given into the rule, so such a rule is sent as a copy.
    func delete(_ rule: RuleData) throws {
        let request = rule.flags & AUDIT_FILTER_PREPEND == 0 ? rule : try RuleData(copying: rule.pointer)
        let flags = rule.flags & ~AUDIT_FILTER_PREPEND
        try asRuleError { try control.deleteRule(request.pointer, flags: flags, action: rule.action) }
    }

    func set(_ setting: AuditSetting) throws { try asRuleError { try control.set(setting) } }
    func setLoginuidImmutable() throws { try asRuleError { try control.setLoginuidImmutable() } }
    func resetLost() throws -> UInt32 { try asRuleError { try control.resetLost() } }
    func resetBacklogWaitTimeActual() throws -> UInt32 { try asRuleError { try control.resetBacklogWaitTimeActual() } }
    func status() throws -> KernelAuditStatus { try asRuleError { try control.status() } }

    /// The kernel's rules, every list, in the kernel's order.
    func listRules() throws -> [RuleData] {
        try asRuleError { try control.listRules { try RuleData(copying: $0) } }
    }
}

/// Runs a kernel request, its failure said as a RuleError.
private func asRuleError<T>(_ request: () throws -> T) throws -> T {
    do { return try request() } catch let error as AuditSocketError { throw RuleError(error) }
}
