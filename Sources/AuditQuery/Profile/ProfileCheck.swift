import AuditProfile
import AuditRecords
import AuditStore
import Foundation
import GRDB

/// `auditq profile --check PROFILE --container ID`: what a seccomp profile
/// would have refused in a run of the container — from the SECCOMP records
/// the kernel wrote while the container ran under a profile (a log-mode
/// trial, or an enforcing one with SECCOMP_FILTER_FLAG_LOG), and from the
/// syscalls learning saw the container make.
public struct ProfileCheck: Sendable {
    public struct Denial: Sendable, Equatable {
        public var syscall: String
        public var arch: UsageProfile.Arch
        /// SECCOMP records naming it (0: only learning saw it).
        public var records: Int
        public var learned: Bool
        /// Executables that made the call (from the records).
        public var exes: [String]
    }

    public var container: String
    public var seccompRecords: Int
    public var denials: [Denial]
    /// Learning had nothing for the container in the window.
    public var learnedNothing: Bool

    public static func run(_ store: EventStore, profile: SeccompProfile, container: String,
                           startMs: Int64?, endMs: Int64?) throws -> ProfileCheck {
        try store.pool.read { db in
            let subject = try ProfileBuilder.Subject.resolve(db, .container(container))
            guard case .container(let entry, _, let scope) = subject else { throw ProfileFailure("\(container) is not a container") }
            var found: [String: Denial] = [:]
            let rows = try Row.fetchAll(db, sql: """
                SELECT e.fields, x.value AS exe FROM event e JOIN text t ON t.id = e.types LEFT JOIN text x ON x.id = e.exe
                WHERE t.value = 'SECCOMP' AND \(scope.term) AND e.time_ms BETWEEN ? AND ?
                """, arguments: StatementArguments(scope.arguments + [startMs ?? Int64.min, endMs ?? Int64.max]))
            for row in rows {
                guard let json: String = row["fields"],
                      let fields = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
                      let nr = (fields["syscall"] as? String).flatMap(Int.init),
                      let archHex = (fields["arch"] as? String).flatMap({ UInt32($0, radix: 16) }) else { continue }
                let (arch, number) = Self.abi(arch: archHex, number: nr)
                let name = SyscallNames.name(number, arch: arch) ?? "#\(number)"
                guard !profile.allows(name) else { continue }
                let exe: String = row["exe"] ?? ""
                found["\(arch.rawValue)/\(name)", default: Denial(syscall: name, arch: arch, records: 0, learned: false, exes: [])].records += 1
                if !exe.isEmpty && !found["\(arch.rawValue)/\(name)"]!.exes.contains(exe) { found["\(arch.rawValue)/\(name)"]!.exes.append(exe) }
            }
            var learnedNothing = false
            do {
                let learned = try ProfileBuilder.build(db, .init(subject: .container(container), startMs: startMs, endMs: endMs),
                                                      runtimeVersion: RuntimeVersion.installed)
                for (arch, names) in learned.allowedSyscalls {
                    for name in names where !profile.allows(name) {
                        found["\(arch.rawValue)/\(name)", default: Denial(syscall: name, arch: arch, records: 0, learned: true, exes: [])].learned = true
                    }
                }
            } catch is ProfileFailure {
                learnedNothing = true
            }
            return ProfileCheck(container: entry.container.name ?? entry.container.id, seccompRecords: rows.count,
                                denials: found.values.sorted { ($0.arch, $0.syscall) < ($1.arch, $1.syscall) }, learnedNothing: learnedNothing)
        }
    }

    /// The ABI of an audit record's arch (AUDIT_ARCH_*) and syscall number.
    static func abi(arch: UInt32, number: Int) -> (UsageProfile.Arch, Int) {
        if arch == 0x4000_0003 { return (.i386, number) }
        if number & 0x4000_0000 != 0 { return (.x32, number & ~0x4000_0000) }
        return (.x86_64, number)
    }

    public func text() -> String {
        var out = "container \(container): \(seccompRecords) SECCOMP record(s) in the window"
        out += learnedNothing ? "; nothing learned for it in the window\n" : "\n"
        guard !denials.isEmpty else { return out + "the profile allows every call seen\n" }
        out += "the profile would deny:\n"
        for d in denials {
            var line = "  \(d.syscall) (\(d.arch.rawValue))"
            if d.records > 0 { line += ": \(d.records) record(s)" + (d.exes.isEmpty ? "" : " by \(d.exes.joined(separator: ", "))") }
            if d.learned { line += d.records > 0 ? "; also learned" : ": learned (no record)" }
            out += line + "\n"
        }
        return out
    }
}
