import AuditStore
import Foundation
import GRDB

/// Evaluates a policy over a store and a period: evidence from the events,
/// rule coverage from the `rules_loaded` ledger rows, protection from the
/// schema, the chain and the file modes, loss from the ledger. Reads only.
public struct ComplianceEvaluator {
    public let store: EventStore
    public let policy: Policy
    public var startMs: Int64?
    public var endMs: Int64?
    /// The store path as the user named it, for the `auditq search` commands.
    public var storeArgument: String?
    public var now: Date
    /// --container, --pod, --image, --host-only: evidence from those events
    /// only, and the words that chose them (repeated in the search commands).
    public var containers: ContainerScope?
    public var containerArguments: [String] = []
    public static let exampleLimit = 10

    public init(store: EventStore, policy: Policy, startMs: Int64? = nil, endMs: Int64? = nil,
                storeArgument: String? = nil, now: Date = Date()) {
        self.store = store; self.policy = policy; self.startMs = startMs; self.endMs = endMs
        self.storeArgument = storeArgument; self.now = now
    }

    /// What the ledger says about the rules in force over the period.
    struct RuleCoverage {
        /// rules_loaded rows in force during the period, oldest first.
        var sets: [(ms: Int64, keys: Set<String>, immutable: Bool, backlog: Int?)] = []
        var keys: Set<String> { sets.reduce(into: Set()) { $0.formUnion($1.keys) } }
        var last: (ms: Int64, keys: Set<String>, immutable: Bool, backlog: Int?)? { sets.last }
    }

    public func evaluate() throws -> ComplianceReport {
        let status = try CollectionStatus.read(store)
        let chain = try ChainVerifier.verify(store)
        let (runs, rules, checkpoint) = try store.pool.read { db in try ledger(db) }
        var controls: [ComplianceReport.ControlResult] = []
        try store.pool.read { db in
            for control in policy.controls {
                controls.append(try evaluate(control, db: db, rules: rules, status: status, chain: chain, runs: runs,
                                             done: controls))
            }
        }
        var summary = ComplianceReport.Summary()
        for c in controls {
            switch c.status { case .pass: summary.pass += 1; case .fail: summary.fail += 1; case .noEvidence: summary.noEvidence += 1 }
        }
        let gaps = status.gaps.filter(inPeriod).map {
            ComplianceReport.Gap(kind: $0.kind.rawValue, from: $0.fromMs.map(ComplianceReport.iso),
                                 to: $0.toMs.map(ComplianceReport.iso), fromMs: $0.fromMs, toMs: $0.toMs,
                                 count: $0.count, detail: $0.detail)
        }
        let span = status.span
        let from = startMs ?? status.firstEventMs ?? span?.from
        let to = endMs ?? status.lastEventMs ?? span?.to
        let coverage = ComplianceReport.Coverage(
            events: try countEvents(), firstEvent: status.firstEventMs.map(ComplianceReport.iso),
            lastEvent: status.lastEventMs.map(ComplianceReport.iso), complete: gaps.isEmpty, gaps: gaps, runs: runs,
            chain: .init(ok: chain.ok, batches: chain.batches, events: chain.events,
                         head: chain.head.map { $0.map { String(format: "%02x", $0) }.joined() },
                         problem: chain.problem, firstBadBatch: chain.firstBadBatch),
            checkpoint: checkpoint)
        return ComplianceReport(
            policy: policy.policy, title: policy.title,
            generated: ComplianceReport.iso(Int64(now.timeIntervalSince1970 * 1000)), store: store.path,
            period: .init(from: from.map(ComplianceReport.iso), to: to.map(ComplianceReport.iso), fromMs: from, toMs: to),
            coverage: coverage, summary: summary, controls: controls)
    }

    private func inPeriod(_ gap: CollectionStatus.Gap) -> Bool {
        if let startMs, let to = gap.toMs ?? gap.fromMs, to < startMs { return false }
        if let endMs, let from = gap.fromMs ?? gap.toMs, from > endMs { return false }
        return true
    }

    private func countEvents() throws -> Int {
        var f = EventFilter(); f.startMs = startMs; f.endMs = endMs; f.containers = containers
        let (clause, args) = f.sql()
        return try store.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM event e \(clause)", arguments: args) ?? 0 }
    }

    // MARK: the ledger: runs, rule sets, checkpoint

    private func ledger(_ db: Database) throws -> ([ComplianceReport.Run], RuleCoverage, ComplianceReport.Checkpoint?) {
        let history = try Ledger.history(db)
        let runs = history.runs.map { run in
            ComplianceReport.Run(
                source: run.source, mode: run.start?.mode, bootID: run.start?.bootID,
                started: ComplianceReport.iso(run.startedMs), startedMs: run.startedMs,
                ended: run.endedMs.map(ComplianceReport.iso), endedMs: run.endedMs, end: run.end.rawValue,
                rulesSHA256: run.ruleLoads.last?.set?.sha256, rules: run.ruleLoads.last?.count,
                sensor: run.sensor?.mode ?? "off", sensorReason: run.sensor?.reason, backlogLimit: run.start?.backlogLimit)
        }
        let allSets = history.ruleLoads.map(Self.ruleSet)
        // In force during the period: the last set loaded at or before its
        // start, and every set loaded within it.
        var coverage = RuleCoverage()
        let before = allSets.lastIndex { startMs == nil || $0.ms <= startMs! }
        for (i, set) in allSets.enumerated() {
            if let endMs, set.ms > endMs { continue }
            if let startMs, set.ms < startMs, i != before { continue }
            coverage.sets.append(set)
        }
        let checkpoint = try Ledger.rows(db, kinds: [.checkpoint]).last.map {
            ComplianceReport.Checkpoint(recorded: ComplianceReport.iso($0.timeMs), recordedMs: $0.timeMs, detail: $0.detail)
        }
        return (runs, coverage, checkpoint)
    }

    /// What a loaded set carries: as recorded at load time, or, in rows
    /// written before the ledger recorded it, as its rule text says.
    static func ruleSet(_ load: Ledger.RuleLoad) -> (ms: Int64, keys: Set<String>, immutable: Bool, backlog: Int?) {
        if let set = load.set, let keys = set.keys, let immutable = set.immutable {
            return (load.loadedMs, Set(keys), immutable, set.backlogLimit.map(Int.init))
        }
        let parsed = parseRules(load.set?.text ?? "")
        return (load.loadedMs, parsed.keys, parsed.immutable, parsed.backlog)
    }

    /// Keys (`-k K`, `-F key=K`), `-e 2` and `-b N` of auditctl rule text.
    static func parseRules(_ text: String) -> (keys: Set<String>, immutable: Bool, backlog: Int?) {
        var keys = Set<String>(), immutable = false, backlog: Int?
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.hasPrefix("#") else { continue }
            let words = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            for (i, w) in words.enumerated() {
                let next = i + 1 < words.count ? words[i + 1] : nil
                if w == "-k", let next { keys.insert(next) }
                if w == "-F", let next, next.hasPrefix("key=") { keys.insert(String(next.dropFirst(4))) }
                if w == "-e", next == "2" { immutable = true }
                if w == "-b", let next, let n = Int(next) { backlog = n }
            }
        }
        return (keys, immutable, backlog)
    }

    // MARK: controls

    private func evaluate(_ control: Policy.Control, db: Database, rules: RuleCoverage, status: CollectionStatus,
                          chain: ChainVerifier.Report, runs: [ComplianceReport.Run],
                          done: [ComplianceReport.ControlResult]) throws -> ComplianceReport.ControlResult {
        let ruleKeys = control.ruleKeys ?? []
        let loaded = rules.keys
        // A key no recorded rule set carries still counts as loaded when an
        // event in the period carries it (imported logs have no rules_loaded row).
        var missing: [String] = []
        for key in ruleKeys where !loaded.contains(key) {
            var f = EventFilter(); f.key = key; f.exact = true; f.startMs = startMs; f.endMs = endMs; f.containers = containers
            let (c, a) = f.sql()
            if try Int.fetchOne(db, sql: "SELECT 1 FROM event e \(c) LIMIT 1", arguments: a) == nil { missing.append(key) }
        }
        var result = ComplianceReport.ControlResult(
            id: control.id, title: control.title, check: control.check.rawValue, status: .noEvidence, reason: "",
            ruleKeys: ruleKeys, missingRuleKeys: missing, evidenceCount: 0, searches: [], examples: [], perDay: [],
            note: control.note)
        let queries = control.evidence ?? []
        if !queries.isEmpty { try gather(queries, into: &result, db: db) }
        let noRuleRows = rules.sets.isEmpty
            ? " (the ledger has no rules_loaded row for the period: rules loaded by auditd or auditctl are not recorded; `auditq rules diff audit_rules/` checks the kernel's)" : ""

        func set(_ s: ComplianceReport.Status, _ why: String) { result.status = s; result.reason = why }

        switch control.check {
        case .evidence:
            let ruled = result.searches.filter { !$0.withoutRules }.reduce(0) { $0 + $1.count - $1.ruleChanges }
            let changes = result.searches.reduce(0) { $0 + $1.ruleChanges }
            let changeNote = changes > 0 ? " (not counted: \(changes) CONFIG_CHANGE record(s) of the rules being loaded or removed, which carry the key)" : ""
            if !missing.isEmpty {
                var why = rules.sets.isEmpty
                    ? "no rule set is recorded for the period and no event carries key(s) \(missing.joined(separator: ", ")): the rules were not shown to be loaded, so the events they record cannot be shown\(noRuleRows)"
                    : "the rules with key(s) \(missing.joined(separator: ", ")) were not loaded during the period, so the events they record cannot be in the store"
                if result.evidenceCount > 0 {
                    why += "; \(result.evidenceCount) event(s) the kernel or PAM record without rules matched, listed below, but do not cover the control alone"
                }
                set(.noEvidence, why)
            } else if result.evidenceCount == 0 {
                set(.noEvidence, "the rules (\(ruleKeys.joined(separator: ", "))) were loaded, but no event matched in the period\(changeNote)")
            } else {
                set(.pass, "\(result.evidenceCount) event(s) matched (\(ruled) from the rules \(ruleKeys.joined(separator: ", "))), and the rules were loaded during the period\(changeNote)")
            }

        case .rulePresent:
            if rules.sets.isEmpty && missing.isEmpty {
                set(.pass, "no rule set is recorded for the period, but \(result.evidenceCount) event(s) in it carry \(ruleKeys.joined(separator: ", ")): a rule with that key was loaded")
            } else if rules.sets.isEmpty {
                set(.noEvidence, "no rule set is recorded for the period and no event carries \(missing.joined(separator: ", "))\(noRuleRows)")
            } else if !missing.isEmpty {
                set(.fail, "the rule sets in force during the period carry no rule with key(s) \(missing.joined(separator: ", "))")
            } else {
                set(.pass, "a loaded rule carries \(ruleKeys.joined(separator: ", ")); \(result.evidenceCount) event(s) recorded under it in the period")
            }

        case .immutable:
            guard let last = rules.last else { set(.noEvidence, "no rule set is recorded for the period\(noRuleRows)"); break }
            if last.immutable { set(.pass, "the last rule set loaded ends with -e 2 (immutable until reboot)") }
            else { set(.fail, "the last rule set loaded does not set -e 2: the audit configuration can be changed until reboot") }

        case .backlogLimit:
            let minimum = control.minimum ?? 8192
            let fromRuns = runs.last(where: { $0.backlogLimit != nil && (endMs == nil || $0.startedMs <= endMs!) })?.backlogLimit.map(Int.init)
            guard let limit = fromRuns ?? rules.last?.backlog else {
                set(.noEvidence, "no collector run or rule set in the period records a backlog limit"); break
            }
            let source = fromRuns != nil ? "the collector set" : "the last rule set asks for"
            if limit >= minimum { set(.pass, "backlog limit \(limit) (\(source)) ≥ \(minimum)") }
            else { set(.fail, "backlog limit \(limit) (\(source)) < \(minimum)") }

        case .eventFields:
            try eventFields(control, into: &result, db: db)

        case .storeProtection:
            try storeProtection(into: &result, db: db, chain: chain)

        case .retention:
            try retention(control, into: &result, db: db, status: status)

        case .lossLedger:
            let gaps = status.gaps.filter(inPeriod)
            if status.runs.isEmpty {
                set(.noEvidence, "no collector ran into this store (imports only): the ledger cannot show that logging failures were detected")
            } else if gaps.isEmpty {
                set(.pass, "\(status.runs.count) collector run(s) kept the loss ledger (kernel lost counter, socket overruns, serial gaps, downtime); it records no loss in the period")
            } else {
                let kinds = Dictionary(grouping: gaps, by: \.kind.rawValue).map { "\($0.value.count) \($0.key)" }.sorted()
                set(.fail, "the ledger detected \(gaps.count) logging failure(s) in the period: \(kinds.joined(separator: ", ")) (listed in the coverage section)")
            }
        }
        return result
    }

    /// Union of the queries: count, per-query commands and counts, examples, events per day.
    private func gather(_ queries: [Policy.EvidenceQuery], into result: inout ComplianceReport.ControlResult,
                        db: Database) throws {
        let (clause, args) = union(queries)
        for q in queries {
            let (c, a) = scoped(q).sql()
            let n = try Int.fetchOne(db, sql: "SELECT count(*) FROM event e \(c)", arguments: a) ?? 0
            let changes = q.excludesRuleChanges
                ? try Int.fetchOne(db, sql: "SELECT count(*) FROM event e \(c) AND NOT \(Self.notRuleChange)", arguments: a) ?? 0 : 0
            let command = ([q.searchCommand(startMs: startMs, endMs: endMs, store: storeArgument)] + containerArguments)
                .joined(separator: " ")
            result.searches.append(.init(command: command,
                                         count: n, withoutRules: q.withoutRules ?? false, ruleChanges: changes))
        }
        result.evidenceCount = try Int.fetchOne(db, sql: "SELECT count(*) FROM event e \(clause)", arguments: args) ?? 0
        let reader = EventReader(store: store)
        let rows = try Row.fetchAll(db, sql: "SELECT v.* FROM event e JOIN event_view v ON v.id = e.id \(clause) ORDER BY e.id LIMIT \(Self.exampleLimit)",
                                    arguments: args)
        for row in rows {
            let e = StoredEvent(row: row)
            let raw = String(decoding: try reader.raw(e, db), as: UTF8.self)
            let first = raw.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
            result.examples.append(.init(id: e.id, time: ComplianceReport.iso(e.timeMs), timeMs: e.timeMs, serial: e.serial,
                                         types: e.types, pid: e.pid, auid: e.auid, uid: e.uid, exe: e.exe, key: e.keys,
                                         success: e.success, raw: first))
        }
        let days = try Row.fetchAll(db, sql: "SELECT e.time_ms / 86400000 AS d, count(*) AS n FROM event e \(clause) GROUP BY d ORDER BY d",
                                    arguments: args)
        result.perDay = days.map { row in
            let d: Int64 = row["d"]
            return .init(day: String(ComplianceReport.iso(d * 86_400_000).prefix(10)), count: row["n"])
        }
    }

    private func scoped(_ q: Policy.EvidenceQuery) -> EventFilter {
        var f = q.filter(startMs: startMs, endMs: endMs)
        f.containers = containers
        return f
    }

    static let notRuleChange = "e.types NOT IN (SELECT id FROM text WHERE instr(' ' || value || ' ', ' CONFIG_CHANGE ') > 0)"

    /// `WHERE (q1) OR (q2) …` over `event e`.
    private func union(_ queries: [Policy.EvidenceQuery]) -> (String, StatementArguments) {
        var terms: [String] = [], args = StatementArguments()
        for q in queries {
            let (c, a) = scoped(q).sql()
            var term = c.isEmpty ? "1" : "(" + c.dropFirst("WHERE ".count) + ")"
            if q.excludesRuleChanges { term = "(\(term) AND \(Self.notRuleChange))" }
            terms.append(term)
            args += a
        }
        return (terms.isEmpty ? "WHERE 0" : "WHERE " + terms.joined(separator: " OR "), args)
    }

    /// PCI 10.2.2: every evidence event of the named controls carries each field.
    private func eventFields(_ control: Policy.Control, into result: inout ComplianceReport.ControlResult,
                             db: Database) throws {
        let names = Set(control.ofControls ?? [])
        let queries = policy.controls.filter { names.contains($0.id) }.flatMap { $0.evidence ?? [] }
        try gather(queries, into: &result, db: db)
        guard result.evidenceCount > 0 else {
            result.status = .noEvidence
            result.reason = "no evidence event of \(names.sorted().joined(separator: ", ")) in the period to check"
            return
        }
        let fj = "(CASE WHEN json_valid(e.fields) THEN e.fields ELSE '{}' END)"
        func has(_ f: String) -> String { "json_extract(\(fj), '$.\(f)') IS NOT NULL" }
        let present: [String: String] = [
            "user": "(e.auid IS NOT NULL OR e.uid IS NOT NULL OR \(has("acct")) OR \(has("uid")))",
            "type": "e.types <> 0",
            "time": "e.time_ms > 0",
            "success": "e.success IS NOT NULL",
            // The kernel's CONFIG_CHANGE records of the audit daemon's own
            // rule changes name no process: their origin is this host's kernel.
            "origin": "(e.pid IS NOT NULL OR e.exe IS NOT NULL OR \(has("addr")) OR \(has("hostname")) OR \(has("terminal"))"
                + " OR \(Self.notRuleChange.replacingOccurrences(of: "NOT IN", with: "IN")))",
            "resource": "(e.path IS NOT NULL OR e.syscall IS NOT NULL OR e.sock_addr IS NOT NULL OR \(has("op")) OR \(has("acct")) OR \(has("name")))",
        ]
        let (clause, args) = union(queries)
        var lacking: [String] = []
        for field in control.fields ?? [] {
            guard let test = present[field] else { lacking.append("\(field) (unknown field)"); continue }
            let scoped = clause.replacingOccurrences(of: "WHERE ", with: "WHERE NOT \(test) AND (", options: .anchored) + ")"
            let n = try Int.fetchOne(db, sql: "SELECT count(*) FROM event e \(scoped)", arguments: args) ?? 0
            if n > 0 {
                let first = try Int64.fetchOne(db, sql: "SELECT min(e.id) FROM event e \(scoped)", arguments: args) ?? 0
                lacking.append("\(n) without \(field) (first: event #\(first))")
            }
        }
        if lacking.isEmpty {
            result.status = .pass
            result.reason = "all \(result.evidenceCount) evidence event(s) carry \((control.fields ?? []).joined(separator: ", "))"
        } else {
            result.status = .fail
            result.reason = "of \(result.evidenceCount) evidence event(s): \(lacking.joined(separator: "; "))"
        }
    }

    /// PCI 10.3: append-only triggers on every table, the chain verified,
    /// store files not readable or writable by everyone.
    private func storeProtection(into result: inout ComplianceReport.ControlResult, db: Database,
                                 chain: ChainVerifier.Report) throws {
        var problems: [String] = [], facts: [String] = []
        let tables = try String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' ORDER BY name
            """)
        var unguarded: [String] = []
        for table in tables {
            let triggers = try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                                               arguments: [table]).map { $0.uppercased() }
            for op in ["UPDATE", "DELETE"] where !triggers.contains(where: { $0.contains("BEFORE \(op)") && $0.contains("RAISE(ABORT") }) {
                unguarded.append("\(table) (\(op.lowercased()))")
            }
        }
        if unguarded.isEmpty { facts.append("append-only triggers on all \(tables.count) tables") }
        else { problems.append("no append-only trigger on \(unguarded.joined(separator: ", "))") }
        if chain.ok { facts.append("hash chain verified (\(chain.batches) batches, \(chain.events) events)") }
        else { problems.append("hash chain broken: \(chain.problem ?? "?")") }
        let exposed = StoreFiles.exposed(store.path)
        problems += exposed.map(\.line)
        if exposed.isEmpty { facts.append("store files not accessible to other users") }
        result.status = problems.isEmpty ? .pass : .fail
        result.reason = (problems + (problems.isEmpty ? facts : [])).joined(separator: "; ")
    }

    /// PCI 10.5.1: how far back the store reaches, against the retention period.
    private func retention(_ control: Policy.Control, into result: inout ComplianceReport.ControlResult, db: Database,
                           status: CollectionStatus) throws {
        let retain = control.retainDays ?? 365, available = control.availableDays ?? 90
        let nowMs = Int64(now.timeIntervalSince1970 * 1000)
        guard let oldest = status.firstEventMs else {
            result.status = .noEvidence; result.reason = "the store holds no event"; return
        }
        let days = Int((nowMs - oldest) / 86_400_000)
        result.evidenceCount = status.events
        let firstRun = status.runs.first?.startedMs
        if days >= retain {
            result.status = .pass
            result.reason = "the oldest event is \(days) days old (≥ \(retain)); every stored event, the last \(available) days included, is immediately queryable"
        } else if let firstRun, (nowMs - firstRun) / 86_400_000 >= Int64(retain) {
            result.status = .fail
            result.reason = "collection began \((nowMs - firstRun) / 86_400_000) days ago but the oldest event is \(days) days old: history is missing"
        } else {
            result.status = .noEvidence
            result.reason = "the store reaches back \(days) day(s) (oldest event \(ComplianceReport.iso(oldest))): \(retain) days of retention cannot be shown yet; all of it is immediately queryable"
        }
    }
}
