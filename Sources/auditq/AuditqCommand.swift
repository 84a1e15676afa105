import ArgumentParser
import AuditCLI

@main
struct AuditqCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auditq",
        abstract: "Query, import and verify an auditq store of Linux audit events.",
        discussion: """
        The store is an append-only SQLite file with a hash chain. Choose it with --store PATH or \
        AUDITQ_STORE; the default is /var/lib/auditq/auditq.db for root and ./auditq.db otherwise.
        """,
        version: AuditqVersion.string,
        subcommands: [ImportCommand.self, SearchCommand.self, SummaryCommand.self, TreeCommand.self, TimelineCommand.self, VerifyCommand.self, CheckpointCommand.self, ExportCommand.self, StatusCommand.self, RulesCommand.self, ReportCommand.self, ContainersCommand.self, ProfileCommand.self, DetectCommand.self, AlertsCommand.self])

    static func main() { mainWithOneLineErrors() }
}
