import Foundation

/// A detector as shipped in audit_rules/detectors/NAME.json: the technique
/// it names (CVE and MITRE ATT&CK ids), how bad a hit is, and one signature
/// per source — what kernel audit records and what the BPF sensor records
/// of the same technique — each either one event or a sequence of events
/// tied by process, session or container within a time.
public struct Detector: Codable, Sendable {
    public var detector: String
    public var title: String
    public var severity: Severity
    public var cve: [String]?
    public var attack: [String]
    /// Why it matters and what a responder looks at next.
    public var description: String
    /// Keys of audit_rules/ rules the audit signature needs loaded (any of
    /// each inner list: several packs may record the same event).
    public var ruleKeys: [[String]]
    public var audit: Signature?
    public var sensor: Signature?
    /// Where the technique's description comes from (credited, not copied).
    public var references: [String]?
    /// One alert per process (pid) and this many seconds: the
    /// signature matches every syscall of the process, not one action.
    public var oncePerProcessS: Int?

    enum CodingKeys: String, CodingKey {
        case detector, title, severity, cve, attack, description, ruleKeys = "rule_keys", audit, sensor, references
        case oncePerProcessS = "once_per_process_s"
    }

    public enum Severity: String, Codable, Sendable, Comparable, CaseIterable {
        case low, medium, high, critical
        var rank: Int { Self.allCases.firstIndex(of: self)! }
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    /// One source's signature: a single event (`match`), or `sequence`:
    /// each step's event after the previous one, by the `same` process (or
    /// a child of it), session or container, the last within `within_s` of
    /// the first.
    public struct Signature: Codable, Sendable {
        public var match: Step?
        public var sequence: [Step]?
        public var same: Correlation?
        public var withinS: Int?
        /// Sensor signatures: the sensor modes that record its events.
        public var modes: [String]?
        /// What the signature cannot see (said in --coverage).
        public var limits: String?

        enum CodingKeys: String, CodingKey { case match, sequence, same, withinS = "within_s", modes, limits }

        public var steps: [Step] { sequence ?? (match.map { [$0] } ?? []) }
    }

    public enum Correlation: String, Codable, Sendable { case process, session, container }

    /// One event's test. `types`, `keys`, `exe` and `paths` select candidate
    /// events in SQL (any of each list); on each candidate every `when`
    /// must hold, at least one of `any` (when given), and no `unless`.
    public struct Step: Codable, Sendable {
        public var types: [String]
        public var keys: [String]?
        public var exe: [String]?
        public var paths: [String]?
        public var when: [Condition]?
        public var any: [Condition]?
        public var unless: [Condition]?
        /// What the step's event means, for the alert's summary ("wrote core_pattern").
        public var says: String
    }

    /// `field op value`. Fields: an event column (uid, euid, auid, pid,
    /// ppid, ses, success, exit, syscall, exe, comm, cwd, path, key), argc,
    /// argv (any argument), argv0, paths (any PATH name), container (true
    /// when the event's process is in a known container), write (true for
    /// an open that may write, a rename, truncate or unlink), `fields.NAME`
    /// (the sensor's fields and audit's interpreted fields), `TYPE.NAME` (a
    /// field of the event's TYPE record as logged, e.g. SYSCALL.a0, OBJ_PID.ouid).
    public struct Condition: Codable, Sendable {
        public var field: String
        public var op: Op
        /// A string, number, boolean, or a list of them (for in, glob, …).
        public var value: Value?
        /// Compare with another field of the same event (eq, ne).
        public var otherField: String?

        enum CodingKeys: String, CodingKey { case field, op, value, otherField = "other_field" }
    }

    public enum Op: String, Codable, Sendable {
        case eq, ne, `in`, notIn = "not_in", glob, notGlob = "not_glob", endsWith = "ends_with"
        case contains, present, absent, lt, gt, maskAll = "mask_all", maskAny = "mask_any"
    }

    /// A condition's value: text, a number (decimal or 0x hex), a boolean, or a list.
    public enum Value: Codable, Sendable {
        case string(String), int(Int64), bool(Bool), list([String])

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .bool(b); return }
            if let i = try? c.decode(Int64.self) { self = .int(i); return }
            if let s = try? c.decode(String.self) { self = .string(s); return }
            if let l = try? c.decode([String].self) { self = .list(l); return }
            if let l = try? c.decode([Int64].self) { self = .list(l.map(String.init)); return }
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "a value is a string, number, boolean or list")
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .string(let s): try c.encode(s)
            case .int(let i): try c.encode(i)
            case .bool(let b): try c.encode(b)
            case .list(let l): try c.encode(l)
            }
        }

        var strings: [String] {
            switch self {
            case .string(let s): return [s]
            case .int(let i): return [String(i)]
            case .bool(let b): return [b ? "true" : "false"]
            case .list(let l): return l
            }
        }
    }
}

/// A detector file that cannot be used: which file, and what is wrong.
public struct DetectorError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var why: String
    public var description: String { "\(file): \(why)" }
    public init(file: String, why: String) { self.file = file; self.why = why }
}

extension Detector {
    /// The detector files built into the binary (audit_rules/detectors/*.json): name and JSON.
    public static var embeddedFiles: [(name: String, json: String)] { EmbeddedDetectors.all }

    /// The built-in detectors, or those of `directory` (every *.json in it).
    public static func load(directory: String? = nil) throws -> [Detector] {
        guard let directory else {
            return try EmbeddedDetectors.all.map { try decode(Data($0.json.utf8), file: $0.name) }
        }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw DetectorError(file: directory, why: "cannot read the directory")
        }
        let files = names.filter { $0.hasSuffix(".json") }.sorted()
        guard !files.isEmpty else { throw DetectorError(file: directory, why: "no detector files (*.json)") }
        var seen = Set<String>()
        return try files.map { name in
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw DetectorError(file: path, why: "cannot read the file")
            }
            let d = try decode(data, file: path)
            guard seen.insert(d.detector).inserted else { throw DetectorError(file: path, why: "detector \(d.detector) is defined twice") }
            return d
        }
    }

    public static func decode(_ data: Data, file: String) throws -> Detector {
        let d: Detector
        do { d = try JSONDecoder().decode(Detector.self, from: data) } catch let e as DecodingError {
            throw DetectorError(file: file, why: Self.describe(e))
        }
        try d.validate(file: file)
        return d
    }

    func validate(file: String) throws {
        func fail(_ why: String) -> DetectorError { DetectorError(file: file, why: "detector \(detector): \(why)") }
        guard detector.range(of: "^[a-z0-9][a-z0-9-]*$", options: .regularExpression) != nil else {
            throw fail("the name is lowercase letters, digits and dashes")
        }
        guard audit != nil || sensor != nil else { throw fail("needs an audit or a sensor signature") }
        for (source, signature) in [("audit", audit), ("sensor", sensor)] {
            guard let signature else { continue }
            let steps = signature.steps
            guard !steps.isEmpty, (signature.match == nil) != (signature.sequence == nil) else {
                throw fail("\(source): give either match or sequence")
            }
            if signature.sequence != nil {
                guard steps.count >= 2, signature.same != nil, (signature.withinS ?? 0) > 0 else {
                    throw fail("\(source): a sequence has two steps or more, same and within_s")
                }
            }
            for step in steps {
                guard !step.types.isEmpty else { throw fail("\(source): a step names its record types") }
                for c in (step.when ?? []) + (step.any ?? []) + (step.unless ?? []) {
                    guard EventFields.isKnown(c.field), c.otherField.map(EventFields.isKnown) ?? true else {
                        throw fail("\(source): unknown field \(c.field)")
                    }
                    let needsValue = ![.present, .absent].contains(c.op) && c.otherField == nil
                    guard !needsValue || c.value != nil else { throw fail("\(source): \(c.field) \(c.op.rawValue) needs a value") }
                }
            }
        }
    }

    static func describe(_ e: DecodingError) -> String {
        func path(_ c: DecodingError.Context) -> String {
            let p = c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return p.isEmpty ? "" : " at \(p)"
        }
        switch e {
        case .keyNotFound(let key, let c): return "missing \(key.stringValue)\(path(c))"
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return "wrong type\(path(c)): \(c.debugDescription)"
        case .dataCorrupted(let c): return "not valid\(path(c)): \(c.debugDescription)"
        @unknown default: return "not a detector"
        }
    }
}
