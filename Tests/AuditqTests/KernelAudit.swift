import Foundation
import XCTest

/// Tests that touch the kernel's audit state (rules, audit pid, backlog)
/// take one machine-wide lock, so two of them (or a tool run by hand) never
/// interleave, and put back the settings they found, whatever the outcome
/// (../shared/DESIGN.md, "Safety with the kernel").
enum KernelAudit {
    static let lockPath = "/run/lock/auditq-kernel-audit.lock"

    struct Status: Equatable {
        var values: [String: String]
        func int(_ key: String) -> Int? { values[key].flatMap { Int($0) } }
    }

    static var auditctl: String? { TestSupport.which("auditctl") }

    static func status() throws -> Status {
        guard let auditctl else { throw TestSupport.missing("auditctl is not installed") }
        let result = try TestSupport.run(auditctl, ["-s"])
        var values: [String: String] = [:]
        for line in result.out.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 2)
            if parts.count >= 2 { values[String(parts[0])] = String(parts[1]) }
        }
        return Status(values: values)
    }

    /// Runs `body` holding the lock; restores enabled, failure, rate limit,
    /// backlog limit and backlog wait time afterwards. Never sets 2 for
    /// enabled or failure: a value of 2 found at the start is left alone.
    static func exclusive<T>(_ body: () throws -> T) throws -> T {
        guard geteuid() == 0 else { throw TestSupport.missing("needs root for the kernel audit socket") }
        guard let auditctl else { throw TestSupport.missing("auditctl is not installed") }
        let fd = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TestSupport.missing("cannot open \(lockPath)") }
        defer { close(fd) }
        flock(fd, LOCK_EX)
        defer { flock(fd, LOCK_UN) }
        let found = try status()
        defer { restore(found, auditctl: auditctl) }
        return try body()
    }

    private static func restore(_ found: Status, auditctl: String) {
        var args: [[String]] = []
        if let v = found.int("backlog_limit") { args.append(["-b", "\(v)"]) }
        if let v = found.int("backlog_wait_time") { args.append(["--backlog_wait_time", "\(v)"]) }
        if let v = found.int("rate_limit") { args.append(["-r", "\(v)"]) }
        if let v = found.int("failure"), v < 2 { args.append(["-f", "\(v)"]) }
        if let v = found.int("enabled"), v < 2 { args.append(["-e", "\(v)"]) }
        for a in args { _ = try? TestSupport.run(auditctl, a) }
    }

    /// Deletes every rule carrying `key` (as `auditctl -D -k KEY` does).
    static func removeRules(key: String) {
        guard let auditctl else { return }
        _ = try? TestSupport.run(auditctl, ["-D", "-k", key])
    }

    /// A key no other test or rule uses: [A-Za-z0-9-], at most 31 bytes.
    static func uniqueKey(_ label: String) -> String {
        "aq-\(label.prefix(12))-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
    }
}
