import Foundation

/// A compliance report: the policy's controls evaluated over one store and
/// period, with the coverage the store can vouch for. Field names are the
/// JSON report's (README, "Compliance reports").
public struct ComplianceReport: Codable, Sendable {
    public var policy: String
    public var title: String
    public var generated: String
    public var store: String
    public var period: Period
    public var coverage: Coverage
    public var summary: Summary
    public var controls: [ControlResult]

    public struct Period: Codable, Sendable {
        public var from: String?
        public var to: String?
        public var fromMs: Int64?
        public var toMs: Int64?
        enum CodingKeys: String, CodingKey { case from, to, fromMs = "from_ms", toMs = "to_ms" }
    }

    public struct Coverage: Codable, Sendable {
        public var events: Int
        public var firstEvent: String?
        public var lastEvent: String?
        /// No gap of any kind within the period.
        public var complete: Bool
        public var gaps: [Gap]
        public var runs: [Run]
        public var chain: Chain
        /// The latest `checkpoint` ledger row, or nil ("none").
        public var checkpoint: Checkpoint?
        enum CodingKeys: String, CodingKey {
            case events, firstEvent = "first_event", lastEvent = "last_event", complete, gaps, runs, chain, checkpoint
        }
    }

    public struct Gap: Codable, Sendable {
        public var kind: String
        public var from: String?
        public var to: String?
        public var fromMs: Int64?
        public var toMs: Int64?
        public var count: Int64?
        public var detail: String?
        enum CodingKeys: String, CodingKey { case kind, from, to, fromMs = "from_ms", toMs = "to_ms", count, detail }
    }

    /// One collector run: when, how it ended, and the sensor and rule set in force.
    public struct Run: Codable, Sendable {
        public var source: String
        public var mode: String?
        public var bootID: String?
        public var started: String
        public var startedMs: Int64
        public var ended: String?
        public var endedMs: Int64?
        /// stopped, crashed, running, or open (no end row, not running).
        public var end: String
        public var rulesSHA256: String?
        public var rules: Int64?
        /// lsm, tracepoint, audit-only, or off (no sensor row: --no-sensor, imports).
        public var sensor: String
        public var sensorReason: String?
        public var backlogLimit: UInt32?
        enum CodingKeys: String, CodingKey {
            case source, mode, bootID = "boot_id", started, startedMs = "started_ms", ended, endedMs = "ended_ms", end
            case rulesSHA256 = "rules_sha256", rules, sensor, sensorReason = "sensor_reason", backlogLimit = "backlog_limit"
        }
    }

    public struct Chain: Codable, Sendable {
        public var ok: Bool
        public var batches: Int
        public var events: Int64
        public var head: String?
        public var problem: String?
        public var firstBadBatch: Int64?
        enum CodingKeys: String, CodingKey { case ok, batches, events, head, problem, firstBadBatch = "first_bad_batch" }
    }

    public struct Checkpoint: Codable, Sendable {
        public var recorded: String
        public var recordedMs: Int64
        public var detail: String?
        enum CodingKeys: String, CodingKey { case recorded, recordedMs = "recorded_ms", detail }
    }

    public struct Summary: Codable, Sendable {
        public var pass = 0
        public var fail = 0
        public var noEvidence = 0
        enum CodingKeys: String, CodingKey { case pass, fail, noEvidence = "no_evidence" }
    }

    public enum Status: String, Codable, Sendable {
        case pass, fail, noEvidence = "no_evidence"
        public var label: String {
            switch self { case .pass: "PASS"; case .fail: "FAIL"; case .noEvidence: "NO EVIDENCE" }
        }
    }

    public struct ControlResult: Codable, Sendable {
        public var id: String
        public var title: String
        public var check: String
        public var status: Status
        public var reason: String
        public var ruleKeys: [String]
        public var missingRuleKeys: [String]
        public var evidenceCount: Int
        public var searches: [Search]
        public var examples: [Example]
        public var perDay: [DayCount]
        public var note: String?
        enum CodingKeys: String, CodingKey {
            case id, title, check, status, reason, ruleKeys = "rule_keys", missingRuleKeys = "missing_rule_keys"
            case evidenceCount = "evidence_count", searches, examples, perDay = "per_day", note
        }
    }

    /// One evidence query: the command that lists its events, and how many it lists.
    public struct Search: Codable, Sendable {
        public var command: String
        public var count: Int
        public var withoutRules: Bool
        /// Of `count`, the CONFIG_CHANGE records of rule loads and removals,
        /// which carry the key but are not evidence.
        public var ruleChanges: Int
        enum CodingKeys: String, CodingKey { case command, count, withoutRules = "without_rules", ruleChanges = "rule_changes" }
    }

    public struct Example: Codable, Sendable {
        public var id: Int64
        public var time: String
        public var timeMs: Int64
        public var serial: Int64
        public var types: [String]
        public var pid: Int64?
        public var auid: Int64?
        public var uid: Int64?
        public var exe: String?
        public var key: [String]
        public var success: Bool?
        public var raw: String
        enum CodingKeys: String, CodingKey {
            case id, time, timeMs = "time_ms", serial, types, pid, auid, uid, exe, key, success, raw
        }
    }

    public struct DayCount: Codable, Sendable {
        public var day: String
        public var count: Int
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self) + "\n"
    }

    static func iso(_ ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}
