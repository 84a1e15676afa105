import Foundation

/// How a learned filter treats the calls it does not list.
public enum SeccompMode: String, Sendable, CaseIterable, Codable {
    /// Refuse them with EPERM.
    case enforce
    /// Let them run and log each one: a trial run of the profile.
    case log
}

/// A seccomp action as the OCI runtime spec spells it.
public enum SeccompAction: String, Sendable, CaseIterable, Codable {
    case kill = "SCMP_ACT_KILL"
    case killProcess = "SCMP_ACT_KILL_PROCESS"
    case killThread = "SCMP_ACT_KILL_THREAD"
    case trap = "SCMP_ACT_TRAP"
    case errno = "SCMP_ACT_ERRNO"
    case trace = "SCMP_ACT_TRACE"
    case allow = "SCMP_ACT_ALLOW"
    case log = "SCMP_ACT_LOG"
    case notify = "SCMP_ACT_NOTIFY"

    /// The call goes ahead (LOG only adds a record).
    public var letsCallRun: Bool { self == .allow || self == .log }
}

/// The OCI runtime spec's `linux.seccomp` object: what runc, crun and podman
/// read, and the file docker's `--security-opt seccomp=FILE` takes. One type
/// for the profiles auditq writes and the ones `--check` reads.
public struct SeccompProfile: Codable, Sendable, Equatable {
    /// One `syscalls` entry. Argument filters and docker's includes/excludes
    /// are not read: a listed name counts as listed.
    public struct Rule: Codable, Sendable, Equatable {
        public var names: [String]
        public var action: SeccompAction

        public init(names: [String], action: SeccompAction) {
            self.names = names; self.action = action
        }

        private enum CodingKeys: String, CodingKey { case names, name, action }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            // Docker's older profiles name one call per entry ("name").
            if let names = try c.decodeIfPresent([String].self, forKey: .names) {
                self.names = names
            } else if let name = try c.decodeIfPresent(String.self, forKey: .name) {
                self.names = [name]
            } else {
                throw DecodingError.keyNotFound(CodingKeys.names, .init(
                    codingPath: c.codingPath, debugDescription: "an entry has neither names nor name"))
            }
            action = try c.decode(SeccompAction.self, forKey: .action)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(names, forKey: .names)
            try c.encode(action, forKey: .action)
        }
    }

    public var defaultAction: SeccompAction
    /// The errno of a SCMP_ACT_ERRNO default (EPERM when absent).
    public var defaultErrnoRet: Int?
    /// "SCMP_ARCH_X86_64", …; a call from an ABI not listed is killed.
    public var architectures: [String]
    public var flags: [String]?
    public var syscalls: [Rule]

    public init(defaultAction: SeccompAction, defaultErrnoRet: Int? = nil, architectures: [String],
                flags: [String]? = nil, syscalls: [Rule]) {
        self.defaultAction = defaultAction; self.defaultErrnoRet = defaultErrnoRet
        self.architectures = architectures; self.flags = flags; self.syscalls = syscalls
    }

    private enum CodingKeys: String, CodingKey {
        case defaultAction, defaultErrnoRet, architectures, flags, syscalls
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        defaultAction = try c.decode(SeccompAction.self, forKey: .defaultAction)
        defaultErrnoRet = try c.decodeIfPresent(Int.self, forKey: .defaultErrnoRet)
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures) ?? []
        flags = try c.decodeIfPresent([String].self, forKey: .flags)
        syscalls = try c.decodeIfPresent([Rule].self, forKey: .syscalls) ?? []
    }

    // MARK: checking

    /// Whether a call named `name` would go ahead: an entry listing it
    /// decides (any entry that lets it run wins); else the default action.
    /// Takes libaudit's spelling or the kernel's ("pread" or "pread64").
    public func allows(_ name: String) -> Bool {
        let spellings = [name, SyscallNames.seccompName(name)]
        let listing = syscalls.filter { rule in spellings.contains { rule.names.contains($0) } }
        if listing.isEmpty { return defaultAction.letsCallRun }
        return listing.contains { $0.action.letsCallRun }
    }

    /// A trial profile: calls it does not list still run, and are logged.
    public var isLogMode: Bool { defaultAction == .log }

    /// Reads the profile at `path`.
    public static func load(path: String) throws(SeccompProfileError) -> SeccompProfile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        return try parse(data, path: path)
    }

    /// Parses a profile; `path` only names it in the error.
    public static func parse(_ data: Data, path: String) throws(SeccompProfileError) -> SeccompProfile {
        do {
            return try JSONDecoder().decode(SeccompProfile.self, from: data)
        } catch let error as DecodingError {
            throw .notAProfile(path: path, reason: reason(error))
        } catch {
            throw .notAProfile(path: path, reason: "\(error)")
        }
    }

    /// DecodingError's own descriptions run over several lines of context;
    /// a user needs the place and what was wrong there.
    private static func reason(_ error: DecodingError) -> String {
        func place(_ path: [any CodingKey]) -> String {
            var out = ""
            for key in path {
                if let i = key.intValue { out += "[\(i)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
            }
            return out.isEmpty ? "the top level" : out
        }
        switch error {
        case let .keyNotFound(key, context):
            let at = place(context.codingPath)
            return "missing \"\(key.stringValue)\"" + (context.codingPath.isEmpty ? "" : " in \(at)")
        case let .typeMismatch(type, context):
            return "\(place(context.codingPath)) is not \(typeName(type))"
        case let .valueNotFound(type, context):
            return "\(place(context.codingPath)) is null, not \(typeName(type))"
        case let .dataCorrupted(context):
            if context.codingPath.isEmpty { return "not JSON" }
            if let last = context.codingPath.last, last.stringValue == "action" || last.stringValue == "defaultAction" {
                return "\(place(context.codingPath)) is not a seccomp action (SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, …)"
            }
            return "\(place(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type, is SeccompAction.Type: "a string"
        case is Int.Type: "a number"
        case is [String].Type, is [Rule].Type, is [Any].Type: "a list"
        case is [String: Any].Type: "an object"
        default: "the expected type"
        }
    }

    // MARK: writing

    /// The least-privilege filter for `profile`: every call it may make
    /// (`allowedSyscalls`: its own, the runtime's, widened to families) is
    /// allowed, the rest refused with EPERM or, in log mode, logged.
    public init(_ profile: UsageProfile, mode: SeccompMode) {
        let allowed = profile.allowedSyscalls
        // The OCI format has one name list for every ABI; a runtime skips a
        // name the ABI lacks. An ABI the workload never used is left out: a
        // call through it meets the runtime's bad-arch action, not a list
        // learned for another ABI.
        var arches = Set(allowed.keys).subtracting([.x86_64]).sorted()
        arches.insert(.x86_64, at: 0)
        let names = Set(allowed.values.joined().map(SyscallNames.seccompName)).sorted()
        switch mode {
        case .enforce:
            // SECCOMP_FILTER_FLAG_LOG: the kernel then writes an audit
            // SECCOMP record for every call the filter refuses (by default it
            // logs only kills), so a denial in production shows up in auditq
            // as the call the profile missed, not as a bare EPERM in the
            // workload's own log.
            // runc before 1.2 refuses any flag ("seccomp flags are not yet
            // supported by runc"): there an audit rule on EPERM exits
            // records the denials instead (the profile's notes say which).
            self.init(defaultAction: .errno, defaultErrnoRet: Int(EPERM), architectures: arches.map(\.seccompName),
                      flags: profile.runtimeTakesSeccompFlags ? ["SECCOMP_FILTER_FLAG_LOG"] : nil, syscalls: names.isEmpty ? [] : [Rule(names: names, action: .allow)])
        case .log:
            self.init(defaultAction: .log, architectures: arches.map(\.seccompName),
                      syscalls: names.isEmpty ? [] : [Rule(names: names, action: .allow)])
        }
    }

    /// Pretty, key-sorted JSON: stable across runs, so profiles diff cleanly.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Strings, numbers and lists only: encoding cannot fail.
        let data = try! encoder.encode(self)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// `SeccompProfile(profile, mode:).json()`.
    public static func render(_ profile: UsageProfile, mode: SeccompMode) -> String {
        SeccompProfile(profile, mode: mode).json()
    }
}

/// Why a profile given to `--check` could not be read.
public enum SeccompProfileError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case notAProfile(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): "\(path): cannot read: \(reason)"
        case let .notAProfile(path, reason): "\(path): not an OCI seccomp profile: \(reason)"
        }
    }
}
