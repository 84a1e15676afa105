import Foundation

/// What a workload used against what it was granted, as one report: `text()`
/// for people, `json()` for tools. Both come from this one value, so they
/// never disagree.
public struct ProfileSummary: Codable, Sendable, Equatable {
    public enum SubjectKind: String, Codable, Sendable { case container, exe, cgroup }

    public struct Subject: Codable, Sendable, Equatable {
        public var kind: SubjectKind
        /// "container web (3f2a9c1b7d2e, docker)", "program /usr/bin/foo".
        public var label: String
        public var id: String?
        public var name: String?
        public var runtime: String?
        public var path: String?
    }

    public struct Window: Codable, Sendable, Equatable {
        /// ISO-8601, UTC, milliseconds.
        public var start: String
        public var end: String
        public var durationMs: Int64
        public var runs: Int
        public var execs: Int
        public var binaries: [String]
    }

    public struct Loss: Codable, Sendable, Equatable {
        public var kind: String
        public var time: String
        public var count: Int64
        public var detail: String
    }

    public struct CapabilityUse: Codable, Sendable, Equatable {
        public var capability: String
        public var syscalls: [String]
        public var checks: Int
    }

    public struct Capabilities: Codable, Sendable, Equatable {
        /// nil: not known.
        public var granted: [String]?
        public var used: [CapabilityUse]
        /// Granted and never used; nil when `granted` is.
        public var drop: [String]?
        /// Checks the kernel refused: tried, and the workload went on without.
        public var denied: [CapabilityUse]
    }

    /// One ABI's syscalls, kept apart: numbers and names differ per ABI.
    public struct Syscalls: Codable, Sendable, Equatable {
        public var arch: UsageProfile.Arch
        /// The workload's own calls.
        public var used: [String]
        /// How many calls this ABI has.
        public var of: Int
        /// Calls the runtime baseline adds beyond the workload's.
        public var runtime: [String]
        /// What a learned filter allows: used, runtime, widened to families.
        public var allowed: [String]
    }

    public struct Granted: Codable, Sendable, Equatable {
        /// "none", "filter" or "unknown".
        public var seccomp: String
        /// Calls the granted filter allows, when known.
        public var seccompAllowed: Int?
        public var privileged: Bool
        public var hostMounts: [String]
        public var hostNamespaces: [String]
    }

    public var subject: Subject
    public var window: Window
    public var losses: [Loss]
    public var capabilities: Capabilities
    public var syscalls: [Syscalls]
    /// "runc 1.1.5": where `Syscalls.runtime` came from.
    public var runtimeBaseline: String?
    public var granted: Granted
    public var filesWritten: [String]
    public var directoriesWritten: [String]
    public var networkFamilies: [String]
    public var connected: [String]
    public var bound: [String]
    public var execs: [String]
    /// Whether a file was opened for writing (read-only root or not).
    public var wroteFiles: Bool
    public var notes: [String]

    public init(_ p: UsageProfile) {
        switch p.subject {
        case let .container(id, name, runtime):
            subject = Subject(kind: .container, label: p.subject.reportLabel, id: id, name: name, runtime: runtime)
        case let .exe(path):
            subject = Subject(kind: .exe, label: p.subject.reportLabel, path: path)
        case let .cgroup(path):
            subject = Subject(kind: .cgroup, label: p.subject.reportLabel, path: path)
        }
        window = Window(start: Self.iso8601(p.window.startMs), end: Self.iso8601(p.window.endMs),
                        durationMs: max(0, p.window.endMs - p.window.startMs), runs: p.window.runs,
                        execs: p.window.execs, binaries: p.window.binaries)
        losses = p.window.losses.map { Loss(kind: $0.kind, time: Self.iso8601($0.timeMs), count: $0.count, detail: $0.detail) }

        let use = { (u: UsageProfile.CapabilityUse) in
            CapabilityUse(capability: CapabilityNames.canonical(u.capability), syscalls: u.syscalls, checks: u.checks)
        }
        let rank = { (u: CapabilityUse) in CapabilityNames.number(u.capability) ?? Int.max }
        let used = p.capabilitiesUsed.map(use).sorted { (rank($0), $0.capability) < (rank($1), $1.capability) }
        let usedNames = Set(used.map(\.capability))
        let granted = p.granted.capabilities.map { CapabilityNames.ordered($0) }
        capabilities = Capabilities(granted: granted, used: used,
                                    drop: granted.map { $0.filter { !usedNames.contains($0) } },
                                    denied: p.capabilitiesDenied.map(use))

        let allowed = p.allowedSyscalls
        syscalls = Set(p.syscalls.keys).union(p.runtimeSyscalls.keys).union(allowed.keys).sorted().map { arch in
            let own = p.syscalls[arch] ?? []
            return Syscalls(arch: arch, used: own.sorted(), of: SyscallNames.all(arch: arch).count,
                            runtime: (p.runtimeSyscalls[arch] ?? []).subtracting(own).sorted(),
                            allowed: allowed[arch] ?? [])
        }
        runtimeBaseline = p.runtimeBaseline
        self.granted = Granted(seccomp: p.granted.seccomp, seccompAllowed: p.granted.seccompAllowed,
                               privileged: p.granted.privileged, hostMounts: p.granted.hostMounts,
                               hostNamespaces: p.granted.hostNamespaces)
        filesWritten = p.filesWritten.sorted()
        directoriesWritten = p.directoriesWritten.sorted()
        networkFamilies = p.networkFamilies.sorted()
        connected = p.connected.sorted()
        bound = p.bound.sorted()
        execs = p.execs.sorted()
        wroteFiles = !p.wroteNothing
        notes = p.notes
    }

    // MARK: text

    /// Lists longer than this are cut in the text report (never in JSON).
    static let listLimit = 20

    public func text() -> String {
        var lines = [subject.label]
        lines.append("watched \(window.start) to \(window.end) (\(Self.duration(window.durationMs))): "
            + "\(Self.count(window.runs, "run")), \(Self.count(window.execs, "exec")), "
            + "\(Self.count(window.binaries.count, "distinct binary", "distinct binaries"))")
        for loss in losses {
            lines.append("lost: \(loss.count) (\(loss.kind)) at \(loss.time)" + (loss.detail.isEmpty ? "" : ": \(loss.detail)"))
        }
        if !losses.isEmpty {
            lines.append("warning: learned across \(Self.count(losses.count, "loss", "losses")): "
                + "the profile may lack what the lost events would have shown")
        }

        var grants: [String] = []
        if granted.privileged { grants.append("privileged") }
        if !granted.hostMounts.isEmpty { grants.append("host mounts " + granted.hostMounts.joined(separator: ", ")) }
        if !granted.hostNamespaces.isEmpty { grants.append("host namespaces " + granted.hostNamespaces.joined(separator: ", ")) }
        if !grants.isEmpty { lines.append("granted: " + grants.joined(separator: "; ")) }

        lines.append(capabilityLine())
        if !capabilities.denied.isEmpty {
            lines.append("capabilities denied: " + capabilities.denied.map { Self.describe($0, checks: true) }.joined(separator: ", "))
        }
        for s in syscalls { lines.append(syscallLine(s)) }
        lines.append("seccomp granted: " + seccompGranted())

        lines.append(wroteFiles ? "files: written" + (filesWritten.isEmpty && directoriesWritten.isEmpty ? " (no audit rule named them)" : "")
                                : "files: none written (the root file system can be read-only)")
        lines += list("files written", filesWritten)
        lines += list("directories written", directoriesWritten)
        if !networkFamilies.isEmpty { lines.append("network: " + networkFamilies.joined(separator: ", ")) }
        lines += list("connected", connected)
        lines += list("bound", bound)
        lines += list("execs", execs)
        lines += notes.map { "note: " + $0 }
        return lines.joined(separator: "\n") + "\n"
    }

    private func capabilityLine() -> String {
        let used = capabilities.used.isEmpty
            ? "used 0"
            : "used \(capabilities.used.count) (" + capabilities.used.map { Self.describe($0, checks: false) }.joined(separator: ", ") + ")"
        guard let granted = capabilities.granted, let drop = capabilities.drop else {
            return "capabilities: granted: unknown; \(used)"
        }
        return "capabilities: granted \(granted.count), \(used): "
            + (drop.isEmpty ? "nothing to drop" : "drop " + drop.joined(separator: ", "))
    }

    private func syscallLine(_ s: Syscalls) -> String {
        var notes: [String] = []
        if !s.runtime.isEmpty {
            notes.append("+ \(s.runtime.count) for \(runtimeBaseline ?? "the runtime") after its filter is installed")
        }
        notes.append("\(s.allowed.count) allowed after widening families")
        return "syscalls: \(s.used.count) of \(s.of) used on \(s.arch.rawValue) (" + notes.joined(separator: "; ") + ")"
    }

    private func seccompGranted() -> String {
        switch granted.seccomp {
        case "none": "none (every syscall allowed)"
        case "filter": granted.seccompAllowed.map { "filter allowing \($0)" } ?? "filter"
        default: granted.seccomp
        }
    }

    /// "files written (3):" and one indented line each, cut at `listLimit`.
    private func list(_ title: String, _ items: [String]) -> [String] {
        guard !items.isEmpty else { return [] }
        var out = ["\(title) (\(items.count)):"] + items.prefix(Self.listLimit).map { "  " + $0 }
        if items.count > Self.listLimit { out.append("  … and \(items.count - Self.listLimit) more") }
        return out
    }

    private static func describe(_ u: CapabilityUse, checks: Bool) -> String {
        var s = u.capability
        if !u.syscalls.isEmpty { s += " in " + u.syscalls.joined(separator: ", ") }
        if checks { s += " (\(count(u.checks, "check")))" }
        return s
    }

    private static func count(_ n: some BinaryInteger, _ one: String, _ many: String? = nil) -> String {
        "\(n) " + (n == 1 ? one : many ?? one + "s")
    }

    /// "2h 5m 3s"; "850ms" under a second.
    static func duration(_ ms: Int64) -> String {
        if ms < 1000 { return "\(ms)ms" }
        let s = ms / 1000
        let parts: [(Int64, String)] = [(s / 86400, "d"), (s / 3600 % 24, "h"), (s / 60 % 60, "m"), (s % 60, "s")]
        let shown = parts.drop { $0.0 == 0 }
        return shown.map { "\($0.0)\($0.1)" }.joined(separator: " ")
    }

    static func iso8601(_ ms: Int64) -> String {
        Date(timeIntervalSince1970: Double(ms) / 1000)
            .formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!))
    }

    // MARK: JSON

    /// Pretty, key-sorted JSON of this summary.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Strings, numbers and lists only: encoding cannot fail.
        let data = try! encoder.encode(self)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// `ProfileSummary(profile).text()`.
    public static func text(_ profile: UsageProfile) -> String { ProfileSummary(profile).text() }

    /// `ProfileSummary(profile).json()`.
    public static func json(_ profile: UsageProfile) -> String { ProfileSummary(profile).json() }
}

extension UsageProfile.Subject {
    /// How the reports name the subject: "container web (3f2a9c1b7d2e,
    /// docker)", "program /usr/bin/foo", "cgroup system.slice/x.service".
    public var reportLabel: String {
        switch self {
        case let .container(id, name, runtime):
            let short = String(id.prefix(12))
            return name.map { "container \($0) (\(short), \(runtime))" } ?? "container \(short) (\(runtime))"
        case let .exe(path): return "program \(path)"
        case let .cgroup(path): return "cgroup \(path)"
        }
    }

    /// A name usable in a profile or file name ("web", "nginx",
    /// "x.service"): letters, digits, ".", "_" and "-" only.
    public var profileName: String {
        let raw: String
        switch self {
        // Docker reports names with a leading "/".
        case let .container(id, name, _): raw = name.map { String($0.drop { $0 == "/" }) } ?? String(id.prefix(12))
        case let .exe(path), let .cgroup(path): raw = path.split(separator: "/").last.map(String.init) ?? "root"
        }
        let cleaned = String(raw.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
        return cleaned.isEmpty ? "unnamed" : cleaned
    }
}
