/// The ledger's alerts: a detector (audit_rules/detectors/) matched stored
/// events. Chained like every ledger row, so an alert cannot be removed or
/// edited after the fact without `auditq verify` saying so.
extension Ledger {
    public struct Alert: LedgerPayload, Equatable {
        public static let kind = Kind.alert

        public var detector: String
        public var title: String
        /// low, medium, high or critical.
        public var severity: String
        public var cve: [String]
        /// MITRE ATT&CK technique ids.
        public var attack: [String]
        /// The signature that matched: audit, sensor, or audit+sensor when
        /// both sources saw the same action.
        public var source: String
        /// Store event ids of the evidence, oldest first.
        public var evidence: [Int64]
        /// One line: what the evidence shows.
        public var summary: String
        /// The `auditq search` command that prints the evidence.
        public var search: String
        public var pid: Int64?
        public var uid: Int64?
        public var auid: Int64?
        public var exe: String?
        public var comm: String?
        /// The container of the last evidence event (id and name), if any.
        public var container: String?
        public var containerName: String?

        public init(detector: String, title: String, severity: String, cve: [String], attack: [String], source: String,
                    evidence: [Int64], summary: String, search: String, pid: Int64? = nil, uid: Int64? = nil,
                    auid: Int64? = nil, exe: String? = nil, comm: String? = nil, container: String? = nil,
                    containerName: String? = nil) {
            self.detector = detector; self.title = title; self.severity = severity; self.cve = cve
            self.attack = attack; self.source = source; self.evidence = evidence; self.summary = summary
            self.search = search; self.pid = pid; self.uid = uid; self.auid = auid; self.exe = exe
            self.comm = comm; self.container = container; self.containerName = containerName
        }

        /// What makes two alerts the same: the detector and its evidence.
        public var identity: String { detector + ":" + evidence.map(String.init).joined(separator: ",") }
    }
}
