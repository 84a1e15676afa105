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
    public var virtEvents = 0
    public var keys = 0
    public var processIDs = 0
    public var syscalls = 0
    public var recordsByType: [(type: String, records: Int)] = []
    public var eventsByKey: [(key: String, events: Int)] = []
    public var gapRanges = 0
    public var gapSerials: Int64 = 0
    public var imports = 0
    public var batches = 0

    /// What aureport counts per event, by record type number (libaudit.h).
    static let macRange: ClosedRange<Int32> = 1403...1416          // MAC_POLICY_LOAD … MAC_UNLBL_STCDEL
    static let accountRange: ClosedRange<Int32> = 1114...1117      // ADD_USER … DEL_GROUP
    static let roleRange: ClosedRange<Int32> = 2301...2302         // ROLE_ASSIGN … ROLE_REMOVE

    /// The figures as `aureport --summary` defines them (aureport-scan.c,
    /// do_summary_total): users are login uids, host names come from
    /// hostname= (or addr= when it is "?") and inet socket addresses, files
    /// are PATH names and user-record cwd= values, and some type counters
    /// add once per matching record family.
    public static func compute(_ store: EventStore, filter: EventFilter = EventFilter()) throws -> StoreSummary {
        var s = StoreSummary()
        let (clause, args) = filter.sql()
        let from = "FROM event e \(clause)"
        try store.pool.read { db in
            func int(_ sql: String, _ arguments: StatementArguments? = nil) throws -> Int {
                try Int.fetchOne(db, sql: sql, arguments: arguments ?? args) ?? 0
            }
            if let row = try Row.fetchOne(db, sql: "SELECT count(*), min(time_ms), max(time_ms) \(from)", arguments: args) {
                s.events = row[0]; s.firstMs = row[1]; s.lastMs = row[2]
            }
            s.users = try int("SELECT count(DISTINCT e.auid) \(from)")
            s.terminals = try int("""
                SELECT count(DISTINCT coalesce(json_extract(e.fields, '$.terminal'), tt.value))
                FROM event e LEFT JOIN text tt ON tt.id = e.tty \(clause)
                """)
            s.hostNames = try int("""
                SELECT count(DISTINCT coalesce(
                  CASE json_extract(e.fields, '$.hostname') WHEN '?' THEN coalesce(json_extract(e.fields, '$.addr'), '?')
                       ELSE json_extract(e.fields, '$.hostname') END,
                  CASE WHEN e.sock_family IN (2, 10) THEN e.sock_addr END)) \(from)
                """)
            s.executables = try int("SELECT count(DISTINCT e.exe) \(from)")
            s.commands = try int("SELECT count(DISTINCT e.comm) \(from)")
            s.processIDs = try int("SELECT count(DISTINCT e.pid) \(from)")
            s.syscalls = try int("SELECT count(DISTINCT e.syscall) \(from)")
            s.files = try int("""
                SELECT count(DISTINCT name) FROM (
                  SELECT t.value AS name FROM path p JOIN text t ON t.id = p.name WHERE p.event_id IN (SELECT e.id \(from))
                  UNION ALL
                  SELECT json_extract(e.fields, '$.cwd') FROM event e \(clause))
                """, args + args)
            s.failedSyscalls = try int("SELECT count(*) \(from) \(clause.isEmpty ? "WHERE" : "AND") e.success = 0 AND e.syscall > 0")
            var keys = Set<String>()
            for value in try String.fetchAll(db, sql: "SELECT DISTINCT t.value FROM event e JOIN text t ON t.id = e.key \(clause)", arguments: args) {
                for key in value.split(separator: "\u{01}") where key != "(null)" { keys.insert(String(key)) }
            }
            s.keys = keys.count

            var byType: [String: Int] = [:]
            let rows = try Row.fetchAll(db, sql: """
                SELECT t.value, count(*), sum(e.success = 1), sum(e.success = 0) FROM event e JOIN text t ON t.id = e.types
                \(clause) GROUP BY e.types
                """, arguments: args)
            for row in rows {
                let names = (row[0] as String).split(separator: " ").map(String.init)
                let n: Int = row[1]
                let succeeded: Int = row[2] ?? 0
                let failed: Int = row[3] ?? 0
                for t in names { byType[t, default: 0] += n }
                let types = Set(names.compactMap(AuditNames.recordType(named:)))
                func has(_ t: Int32) -> Bool { types.contains(t) }
                func any(_ r: ClosedRange<Int32>) -> Bool { types.contains(where: r.contains) }
                func count(_ conditions: Bool...) -> Int { conditions.filter { $0 }.count * n }
                s.configChanges += count(has(1305), has(1203), has(1111), any(macRange))  // CONFIG_CHANGE, DAEMON_CONFIG, USYS_CONFIG
                // USER_CHAUTHTOK, ADD/DEL_USER/GROUP, CHGRP_ID, ROLE_*, USER_MGMT, GRP_MGMT, GRP_CHAUTHTOK
                s.accountChanges += count(has(1108), any(accountRange), has(1119), any(roleRange), has(1102), has(1132), has(1133))
                s.cryptoEvents += count(any(1600...1699), any(2400...2499))
                if has(1112) { s.logins += succeeded; s.failedLogins += failed }                   // USER_LOGIN
                if has(1100) { s.authentications += succeeded; s.failedAuthentications += failed } // USER_AUTH
                else if has(1101) { s.failedAuthentications += failed }                           // USER_ACCT: failures only
                else if has(1126) { s.authentications += succeeded; s.failedAuthentications += failed } // GRP_AUTH
                s.avcs += count(has(1400) || has(1107))                                           // AVC, USER_AVC
                s.macEvents += count(any(macRange), any(2300...2399))
                s.anomalies += count(any(2100...2199), any(1700...1799))
                s.responses += count(any(2200...2299))
                s.integrityEvents += count(any(1800...1899))
                s.virtEvents += count(any(2500...2599))
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
                WHERE c.kind = ? AND c.first_serial IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM event e JOIN text n ON n.id = e.node
                                WHERE e.serial BETWEEN c.first_serial AND c.last_serial
                                AND e.time_ms BETWEEN c.first_time_ms AND c.last_time_ms AND n.value = coalesce(c.node, ''))
                GROUP BY c.first_serial, c.last_serial, c.node
                """, arguments: [Ledger.Kind.serialGap.rawValue])
            s.gapRanges = gaps.count
            s.gapSerials = gaps.reduce(0) { $0 + ($1[2] as Int64? ?? 0) }
            s.imports = try Int.fetchOne(db, sql: "SELECT count(*) FROM coverage WHERE kind = ?",
                                         arguments: [Ledger.Kind.import.rawValue]) ?? 0
            s.batches = try Int.fetchOne(db, sql: "SELECT count(*) FROM batch") ?? 0
        }
        return s
    }

    public func render() -> String {
        func t(_ ms: Int64?) -> String { ms.map(Self.localTime) ?? "none" }
        var out = """
        Summary Report
        ======================
        Range of time in logs: \(t(firstMs)) - \(t(lastMs))
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
        Number of virt events: \(virtEvents)
        Number of keys: \(keys)
        Number of process IDs: \(processIDs)
        Number of events: \(events)
        Number of distinct syscalls: \(syscalls)

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

    /// aureport's summary layout: strftime "%x %T" in local time, then .mmm.
    static func localTime(_ ms: Int64) -> String {
        AureportText.localTime(ms) + String(format: ".%03d", Int(ms % 1000))
    }
}
