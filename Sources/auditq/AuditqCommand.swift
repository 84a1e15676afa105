import ArgumentParser

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
        subcommands: [ImportCommand.self, SearchCommand.self, SummaryCommand.self, VerifyCommand.self])
}

enum AuditqVersion {
    static let string = "0.1.0"
}
