import AuditRecords
import AuditStore
import Foundation
import GRDB

/// `auditq summary`: the figures `aureport --summary` prints, computed with
/// SQL over the store, plus records by type, events by key, and what the
/// loss ledger says about coverage.
public struct StoreSummary: Sendable {
    public var events = 0
    public var firstMs: Int64?
    public var lastMs: Int64?
    public var configChanges = 0
    public var accountChanges = 0
    public var logins = 0
    public var failedLogins = 0
    public var authentications = 0
    public var failedAuthentications = 0
    public var users = 0
    public var terminals = 0
    public var hostNames = 0
    public var executables = 0
    public var commands = 0
    public var files = 0
    public var avcs = 0
    public var macEvents = 0
    public var failedSyscalls = 0
    public var anomalies = 0
    public var responses = 0
    public var cryptoEvents = 0
    public var integrityEvents = 0
    public var keys = 0
    public var processIDs = 0
    public var syscalls = 0
    public var recordsByType: [(type: String, records: Int)] = []
    public var eventsByKey: [(key: String, events: Int)] = []
    public var gapRanges = 0
    public var gapSerials: Int64 = 0
    public var imports = 0
    public var batches = 0

    static let configTypes: Set<String> = ["CONFIG_CHANGE", "DAEMON_CONFIG", "USYS_CONFIG", "NETFILTER_CFG",
                                           "FEATURE_CHANGE", "MAC_CONFIG_CHANGE", "DAEMON_RECONFIG"]
    static let accountTypes: Set<String> = ["ADD_USER", "DEL_USER", "ADD_GROUP", "DEL_GROUP", "USER_CHAUTHTOK",
                                            "USER_MGMT", "GRP_MGMT", "ROLE_ASSIGN", "ROLE_REMOVE", "ACCT_LOCK",
                                            "ACCT_UNLOCK", "GRP_CHAUTHTOK", "ROLE_MODIFY"]

    public static func compute(_ store: EventStore, filter: EventFilter = EventFilter()) throws -> StoreSummary {
        var s = StoreSummary()
        let (clause, args) = filter.sql()
        let from = "FROM event e \(clause)"
        let and = clause.isEmpty ? "WHERE" : "AND"
        try store.pool.read { db in
            func int(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql, arguments: args) ?? 0 }
            if let row = try Row.fetchOne(db, sql: "SELECT count(*), min(time_ms), max(time_ms) \(from)", arguments: args) {
                s.events = row[0]; s.firstMs = row[1]; s.lastMs = row[2]
            }
            s.users = try int("SELECT count(DISTINCT e.uid) \(from)")
            s.terminals = try int("SELECT count(DISTINCT e.tty) \(from)")
            s.executables = try int("SELECT count(DISTINCT e.exe) \(from)")
            s.commands = try int("SELECT count(DISTINCT e.comm) \(from)")
            s.keys = try int("SELECT count(DISTINCT e.key) \(from)")
            s.processIDs = try int("SELECT count(DISTINCT e.pid) \(from)")
            s.syscalls = try int("SELECT count(DISTINCT e.syscall) \(from)")
            s.files = try int("SELECT count(DISTINCT p.name) FROM path p WHERE p.event_id IN (SELECT e.id \(from))")
            s.hostNames = try int("""
                SELECT count(DISTINCT json_extract(e.fields, '$.hostname')) \(from) \(and) e.fields IS NOT NULL
                AND json_extract(e.fields, '$.hostname') NOT IN ('?', '')
                """)
            var byType: [String: Int] = [:]
            let rows = try Row.fetchAll(db, sql: """
                SELECT t.value, count(*), sum(e.success = 0) FROM event e JOIN text t ON t.id = e.types
                \(clause) GROUP BY e.types
                """, arguments: args)
            for row in rows {
                let types = (row[0] as String).split(separator: " ").map(String.init)
                let n: Int = row[1]
                let failed: Int = row[2] ?? 0
                for t in types { byType[t, default: 0] += n }
                let set = Set(types)
                func has(_ t: String) -> Bool { set.contains(t) }
                func inRange(_ r: ClosedRange<Int32>) -> Bool {
                    set.contains { AuditNames.recordType(named: $0).map(r.contains) ?? false }
                }
                if !set.isDisjoint(with: configTypes) { s.configChanges += n }
                if !set.isDisjoint(with: accountTypes) { s.accountChanges += n }
                if has("USER_LOGIN") { s.logins += n; s.failedLogins += failed }
                if has("USER_AUTH") { s.authentications += n; s.failedAuthentications += failed }
                if has("AVC") { s.avcs += n }
                if inRange(1400...1499) && !has("AVC") { s.macEvents += n }
                if has("SYSCALL") { s.failedSyscalls += failed }
                if inRange(1700...1799) || inRange(2100...2199) { s.anomalies += n }
                if inRange(2200...2299) { s.responses += n }
                if inRange(2400...2499) { s.cryptoEvents += n }
                if inRange(1800...1899) { s.integrityEvents += n }
            }
            s.recordsByType = byType.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .map { ($0.key, $0.value) }
            s.eventsByKey = try Row.fetchAll(db, sql: """
                SELECT t.value, count(*) AS n FROM event e JOIN text t ON t.id = e.key \(clause)
                GROUP BY e.key ORDER BY n DESC, t.value
                """, arguments: args).map { ($0[0], $0[1]) }
            // Gaps later filled by another import are no longer loss.
            let gaps = try Row.fetchAll(db, sql: """
                SELECT c.first_serial, c.last_serial, c.count, coalesce(c.node, '') AS node FROM coverage c
                WHERE c.kind = 'serial_gap' AND c.first_serial IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM event e JOIN text n ON n.id = e.node
                                WHERE e.serial BETWEEN c.first_serial AND c.last_serial
                                AND e.time_ms BETWEEN c.first_time_ms AND c.last_time_ms AND n.value = coalesce(c.node, ''))
                GROUP BY c.first_serial, c.last_serial, c.node
                """)
            s.gapRanges = gaps.count
            s.gapSerials = gaps.reduce(0) { $0 + ($1[2] as Int64? ?? 0) }
            s.imports = try Int.fetchOne(db, sql: "SELECT count(*) FROM coverage WHERE kind = 'import'") ?? 0
            s.batches = try Int.fetchOne(db, sql: "SELECT count(*) FROM batch") ?? 0
        }
        return s
    }

    public func render() -> String {
        func t(_ ms: Int64?) -> String { ms.map(Self.localTime) ?? "none" }
        var out = """
        Summary Report
        ======================
        Range of time in store: \(t(firstMs)) - \(t(lastMs))
        Number of changes in configuration: \(configChanges)
        Number of changes to accounts, groups, or roles: \(accountChanges)
        Number of logins: \(logins)
        Number of failed logins: \(failedLogins)
        Number of authentications: \(authentications)
        Number of failed authentications: \(failedAuthentications)
        Number of users: \(users)
        Number of terminals: \(terminals)
        Number of host names: \(hostNames)
        Number of executables: \(executables)
        Number of commands: \(commands)
        Number of files: \(files)
        Number of AVC's: \(avcs)
        Number of MAC events: \(macEvents)
        Number of failed syscalls: \(failedSyscalls)
        Number of anomaly events: \(anomalies)
        Number of responses to anomaly events: \(responses)
        Number of crypto events: \(cryptoEvents)
        Number of integrity events: \(integrityEvents)
        Number of keys: \(keys)
        Number of process IDs: \(processIDs)
        Number of syscalls: \(syscalls)
        Number of events: \(events)

        Records by type
        ===============

        """
        let width = max(8, recordsByType.map(\.type.count).max() ?? 0)
        for (type, n) in recordsByType { out += type.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(n)\n" }
        out += "\nEvents by key\n=============\n"
        if eventsByKey.isEmpty { out += "(no keyed events)\n" }
        let kw = max(8, eventsByKey.map { $0.key.count }.max() ?? 0)
        for (key, n) in eventsByKey {
            let shown = key.replacingOccurrences(of: "\u{01}", with: ",")
            out += shown.padding(toLength: max(kw, shown.count), withPad: " ", startingAt: 0) + "  \(n)\n"
        }
        out += "\nCoverage\n========\n"
        out += "Imports recorded: \(imports)\n"
        out += "Possible loss (audit serial gaps): \(gapRanges) range(s), \(gapSerials) serial(s)\n"
        out += "Hash chain: \(batches) batch(es); run 'auditq verify' to check it\n"
        return out
    }

    /// aureport's layout: MM/DD/YYYY HH:MM:SS.mmm, local time.
    static func localTime(_ ms: Int64) -> String {
        var t = time_t(ms / 1000)
        var tmv = tm()
        localtime_r(&t, &tmv)
        return String(format: "%02d/%02d/%04d %02d:%02d:%02d.%03d", tmv.tm_mon + 1, tmv.tm_mday, tmv.tm_year + 1900,
                      tmv.tm_hour, tmv.tm_min, tmv.tm_sec, Int(ms % 1000))
    }
}
