import Foundation

/// A compliance policy as shipped in audit_rules/policies/NAME.json: its
/// controls, each with the rule keys it needs, the queries whose events are
/// its evidence, and the check that decides its status.
public struct Policy: Codable, Sendable {
    public var policy: String
    public var title: String
    public var controls: [Control]

    public struct Control: Codable, Sendable {
        public var id: String
        public var title: String
        /// Keys of the audit_rules/ rules this control needs loaded.
        public var ruleKeys: [String]?
        public var check: Check
        /// Any-of: each query is one `auditq search` command.
        public var evidence: [EvidenceQuery]?
        public var note: String?
        /// event_fields: the fields each evidence event must carry, and whose evidence.
        public var fields: [String]?
        public var ofControls: [String]?
        /// retention: days of history kept, and days immediately available.
        public var retainDays: Int?
        public var availableDays: Int?
        /// backlog_limit: the least acceptable limit.
        public var minimum: Int?

        enum CodingKeys: String, CodingKey {
            case id, title, ruleKeys = "rule_keys", check, evidence, note, fields, ofControls = "of_controls"
            case retainDays = "retain_days", availableDays = "available_days", minimum
        }
    }

    /// How a control's status is decided.
    public enum Check: String, Codable, Sendable {
        /// pass: evidence and the rule keys loaded; no evidence otherwise.
        case evidence
        /// 10.2.2: every evidence event of `of_controls` carries `fields`.
        case eventFields = "event_fields"
        /// 10.3: append-only triggers, chain verified, store not world-readable.
        case storeProtection = "store_protection"
        /// 10.5.1: the oldest event against retain_days.
        case retention
        /// 10.7: the loss ledger exists and records no loss.
        case lossLedger = "loss_ledger"
        /// CIS/STIG: a loaded rule carries each of rule_keys.
        case rulePresent = "rule_present"
        /// CIS: the backlog limit the collector set.
        case backlogLimit = "backlog_limit"
        /// CIS: -e 2 among the loaded rules.
        case immutable
    }

    /// An `auditq search`-style filter. Within one query the filters AND.
    public struct EvidenceQuery: Codable, Sendable {
        public var key: String?
        /// -m: any of these record types.
        public var types: [String]?
        public var success: Bool?
        /// Records the kernel or PAM writes with no rule loaded (CONFIG_CHANGE,
        /// USER_LOGIN…): they match without the control's rules.
        public var withoutRules: Bool?

        enum CodingKeys: String, CodingKey { case key, types, success, withoutRules = "without_rules" }

        /// Loading or removing a rule writes a CONFIG_CHANGE record carrying
        /// the rule's key: `-k KEY` lists it, but it is not an event the rule
        /// recorded, so a key query does not count it as evidence.
        public var excludesRuleChanges: Bool { key != nil && !(types ?? []).contains("CONFIG_CHANGE") }

        public func filter(startMs: Int64?, endMs: Int64?) -> EventFilter {
            var f = EventFilter()
            f.key = key
            f.messageTypes = types ?? []
            f.success = success
            f.startMs = startMs
            f.endMs = endMs
            return f
        }

        /// The `auditq search` command that lists this query's events.
        public func searchCommand(startMs: Int64?, endMs: Int64?, store: String?) -> String {
            var words = ["auditq", "search"]
            if let key { words += ["-k", key] }
            if let types, !types.isEmpty { words += ["-m", types.joined(separator: ",")] }
            if let success { words += ["-sv", success ? "yes" : "no"] }
            if let startMs { words += ["-ts", "@\(Self.seconds(startMs, roundUp: false))"] }
            if let endMs { words += ["-te", "@\(Self.seconds(endMs, roundUp: true))"] }
            if let store { words += ["--store", ShellQuote.word(store)] }
            return words.joined(separator: " ")
        }

        static func seconds(_ ms: Int64, roundUp: Bool) -> Int64 {
            let s = ms / 1000
            return roundUp && ms % 1000 != 0 ? s + 1 : s
        }
    }

    public enum LoadError: Error, CustomStringConvertible {
        case unknown(String, known: [String])
        case malformed(String, reason: String)
        public var description: String {
            switch self {
            case let .unknown(name, known): "no policy \(name) (known: \(known.joined(separator: ", ")))"
            case let .malformed(file, reason): "\(file): not a policy: \(reason)"
            }
        }
    }

    /// The policy files carried in the binary (tools/embed-policies), by file name.
    public static var embedded: [(name: String, json: String)] { EmbeddedPolicies.all }

    public static var embeddedNames: [String] { embedded.map { String($0.name.dropLast(5)) } }

    public static func decode(_ data: Data, file: String) throws -> Policy {
        do { return try JSONDecoder().decode(Policy.self, from: data) } catch {
            throw LoadError.malformed(file, reason: "\(error)")
        }
    }

    /// NAME from `directory` (NAME.json) when given, else the embedded copy.
    public static func load(_ name: String, directory: String? = nil) throws -> Policy {
        if let directory {
            let path = URL(fileURLWithPath: directory).appendingPathComponent("\(name).json").path
            guard let data = FileManager.default.contents(atPath: path) else {
                throw LoadError.unknown(name, known: (try? FileManager.default.contentsOfDirectory(atPath: directory))?
                    .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted() ?? [])
            }
            return try decode(data, file: path)
        }
        guard let entry = embedded.first(where: { $0.name == "\(name).json" }) else {
            throw LoadError.unknown(name, known: embeddedNames)
        }
        return try decode(Data(entry.json.utf8), file: entry.name)
    }
}

enum ShellQuote {
    /// A word the shell reads back unchanged.
    static func word(_ s: String) -> String {
        let safe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./@:,=+")
        if !s.isEmpty, s.unicodeScalars.allSatisfy(safe.contains) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
