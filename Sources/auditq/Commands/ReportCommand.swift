import ArgumentParser
import AuditCLI
import AuditQuery
import AuditStore

/// `auditq report`: aureport's reports over the store, same figures.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "aureport-style reports over the store: the same rows and totals aureport prints for the same events.",
        discussion: """
        Each list report prints one numbered row per event, as the aureport option in brackets does; \
        --summary prints the counted totals instead (aureport OPTION --summary).
        """,
        subcommands: [
            SummaryReport.self,
            AuthReport.self, LoginReport.self, UserReport.self, ExecutableReport.self, FileReport.self,
            SyscallReport.self, KeyReport.self, AnomalyReport.self, ModsReport.self, ConfigReport.self,
            ComplianceCommand.self,
        ])
}

enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// What every list report takes.
struct ReportOptions: ParsableArguments {
    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var time: TimeOptions
    @OptionGroup var containerOptions: ContainerOptions

    @Flag(name: .long, help: "The counted totals of the report's object instead of one row per event (aureport --summary).")
    var summary = false

    @Flag(name: .long, help: "Only events that failed (aureport --failed).")
    var failed = false

    @Flag(name: .long, help: "Only events that succeeded (aureport --success).")
    var success = false

    @Option(name: .long, help: ArgumentHelp("Output format: text (aureport's layout) or json.", valueName: "format"))
    var format: ReportFormat = .text

    func validate() throws {
        if failed && success { throw ValidationError("--failed and --success exclude each other") }
    }

    func run(_ kind: AureportKind) throws {
        do {
            let store = try storeOptions.open(.read)
            var filter = EventFilter()
            try time.apply(to: &filter)
            try containerOptions.apply(to: &filter, index: try store.pool.read(ContainerIndex.load))
            let outcome: ReportOutcome = failed ? .failed : success ? .success : .any
            let query = AureportQuery(kind: kind, filter: filter, outcome: outcome)
            let text: String
            switch (summary, format) {
            case (false, .text): text = AureportText.list(kind, outcome: outcome, rows: try query.rows(store))
            case (false, .json): text = AureportText.listJSON(kind, outcome: outcome, rows: try query.rows(store))
            case (true, .text): text = AureportText.summary(kind, outcome: outcome, totals: try query.totals(store))
            case (true, .json): text = AureportText.summaryJSON(kind, outcome: outcome, totals: try query.totals(store))
            }
            print(text, terminator: "")
        } catch {
            throw Failure.exit(error)
        }
    }
}

/// One list report: its kind decides the rows.
protocol ListReport: ParsableCommand {
    static var kind: AureportKind { get }
    var options: ReportOptions { get }
}

extension ListReport {
    func run() throws { try options.run(Self.kind) }

}

extension CommandConfiguration {
    /// A list report's name is its kind; its abstract names the aureport option.
    static func report(_ kind: AureportKind, _ abstract: String) -> CommandConfiguration {
        CommandConfiguration(commandName: kind.rawValue, abstract: "\(abstract) (aureport \(kind.aureportFlag)).")
    }
}

struct AuthReport: ListReport {
    static let kind = AureportKind.auth
    static let configuration = CommandConfiguration.report(.auth, "Authentication attempts: USER_AUTH events, and USER_ACCT events that failed")
    @OptionGroup var options: ReportOptions
}

struct LoginReport: ListReport {
    static let kind = AureportKind.login
    static let configuration = CommandConfiguration.report(.login, "Logins: USER_LOGIN events")
    @OptionGroup var options: ReportOptions
}

struct UserReport: ListReport {
    static let kind = AureportKind.user
    static let configuration = CommandConfiguration.report(.user, "Events by login uid: every event with a uid")
    @OptionGroup var options: ReportOptions
}

struct ExecutableReport: ListReport {
    static let kind = AureportKind.executable
    static let configuration = CommandConfiguration.report(.executable, "Executables: every event with an exe")
    @OptionGroup var options: ReportOptions
}

struct FileReport: ListReport {
    static let kind = AureportKind.file
    static let configuration = CommandConfiguration.report(.file, "Files: every event that names a file")
    @OptionGroup var options: ReportOptions
}

struct SyscallReport: ListReport {
    static let kind = AureportKind.syscall
    static let configuration = CommandConfiguration.report(.syscall, "System calls: every syscall event")
    @OptionGroup var options: ReportOptions
}

struct KeyReport: ListReport {
    static let kind = AureportKind.key
    static let configuration = CommandConfiguration.report(.key, "Rule keys: every event with a key")
    @OptionGroup var options: ReportOptions
}

struct AnomalyReport: ListReport {
    static let kind = AureportKind.anomaly
    static let configuration = CommandConfiguration.report(.anomaly, "Anomalies: ANOM_* events from the kernel and user space")
    @OptionGroup var options: ReportOptions
}

struct ModsReport: ListReport {
    static let kind = AureportKind.mods
    static let configuration = CommandConfiguration.report(.mods, "Changes to accounts, groups and roles: USER_CHAUTHTOK, ADD/DEL_USER/GROUP, CHGRP_ID, ROLE_*")
    @OptionGroup var options: ReportOptions
}

struct ConfigReport: ListReport {
    static let kind = AureportKind.config
    static let configuration = CommandConfiguration.report(.config, "Configuration changes: CONFIG_CHANGE, DAEMON_CONFIG, USYS_CONFIG, MAC policy")
    @OptionGroup var options: ReportOptions
}

/// `auditq report summary`: the aureport summary report, as `auditq summary` prints it.
struct SummaryReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "The figures aureport prints with no report option (same as 'auditq summary').")

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var time: TimeOptions
    @OptionGroup var containerOptions: ContainerOptions

    @Option(name: .long, help: ArgumentHelp("Output format: text (aureport's layout) or json.", valueName: "format"))
    var format: ReportFormat = .text

    func run() throws {
        do {
            let store = try storeOptions.open(.read)
            var filter = EventFilter()
            try time.apply(to: &filter)
            try containerOptions.apply(to: &filter, index: try store.pool.read(ContainerIndex.load))
            let s = try StoreSummary.compute(store, filter: filter)
            switch format {
            case .text: print(s.render(), terminator: "")
            case .json: print(Self.json(s))
            }
        } catch {
            throw Failure.exit(error)
        }
    }

    static func json(_ s: StoreSummary) -> String {
        let figures: [(String, Int)] = [
            ("config_changes", s.configChanges), ("account_changes", s.accountChanges),
            ("logins", s.logins), ("failed_logins", s.failedLogins),
            ("authentications", s.authentications), ("failed_authentications", s.failedAuthentications),
            ("users", s.users), ("terminals", s.terminals), ("host_names", s.hostNames),
            ("executables", s.executables), ("commands", s.commands), ("files", s.files),
            ("avcs", s.avcs), ("mac_events", s.macEvents), ("failed_syscalls", s.failedSyscalls),
            ("anomalies", s.anomalies), ("anomaly_responses", s.responses), ("crypto_events", s.cryptoEvents),
            ("integrity_events", s.integrityEvents), ("virt_events", s.virtEvents), ("keys", s.keys),
            ("process_ids", s.processIDs), ("events", s.events), ("syscalls", s.syscalls),
        ]
        var out = "{\"report\":\"summary\""
        out += ",\"first_ms\":" + (s.firstMs.map(String.init) ?? "null")
        out += ",\"last_ms\":" + (s.lastMs.map(String.init) ?? "null")
        for (name, n) in figures { out += ",\"\(name)\":\(n)" }
        out += ",\"records_by_type\":{" + s.recordsByType.map { JSONText.quoted($0.type) + ":\($0.records)" }.joined(separator: ",") + "}"
        out += ",\"events_by_key\":{" + s.eventsByKey.map { JSONText.quoted($0.key) + ":\($0.events)" }.joined(separator: ",") + "}"
        return out + "}"
    }
}
