import Foundation

/// The operator's exceptions: findings that are expected here (a root shell
/// using nsenter on the host, a config tool editing sudoers). A JSON list of
/// rules; a rule suppresses a finding when every field it gives matches the
/// finding's last event:
///     [{"detector": "setns-from-container", "exe": ["/usr/bin/nsenter"], "auid": 0, "host": true,
///       "note": "operators enter containers from root shells"}]
public struct AllowRules: Sendable {
    public struct Rule: Codable, Sendable {
        /// A detector name, or "*" for any.
        public var detector: String
        /// Shell globs of the exe; any matches.
        public var exe: [String]?
        public var comm: [String]?
        public var uid: Int64?
        public var auid: Int64?
        /// true: only on the host (no container); false: only in a container.
        public var host: Bool?
        /// Container ids or names; any matches.
        public var containers: [String]?
        /// Why it is allowed (printed with the suppressed count).
        public var note: String
    }

    public var rules: [Rule]
    public init(rules: [Rule] = []) { self.rules = rules }

    public static func load(_ path: String) throws -> AllowRules {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DetectorError(file: path, why: "cannot read the allow file")
        }
        do {
            return AllowRules(rules: try JSONDecoder().decode([Rule].self, from: data))
        } catch let e as DecodingError {
            throw DetectorError(file: path, why: "not an allow list: " + Detector.describe(e))
        }
    }

    /// The rule that allows the finding, if one does.
    public func allowing(_ f: DetectionEngine.Finding, containers: ContainerIndex?) -> Rule? {
        let last = f.last
        let container = last.container.flatMap { i in containers.map { $0.entries[i].container } }
        return rules.first { r in
            if r.detector != "*", r.detector != f.detector.detector { return false }
            if let exe = r.exe, !exe.contains(where: { Detector.Condition.glob($0, last.exe ?? "") }) { return false }
            if let comm = r.comm, !comm.contains(where: { Detector.Condition.glob($0, last.comm ?? "") }) { return false }
            if let uid = r.uid, last.uid != uid { return false }
            if let auid = r.auid, last.auid != auid { return false }
            if let host = r.host, host != (last.container == nil) { return false }
            if let names = r.containers {
                guard let c = container, names.contains(where: { $0 == c.id || $0 == c.name || c.id.hasPrefix($0) }) else { return false }
            }
            return true
        }
    }
}
