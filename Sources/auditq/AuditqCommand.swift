import ArgumentParser
import Foundation

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
        subcommands: [ImportCommand.self, SearchCommand.self, SummaryCommand.self, TreeCommand.self, TimelineCommand.self, VerifyCommand.self, CheckpointCommand.self, ExportCommand.self, StatusCommand.self, RulesCommand.self, ReportCommand.self])

    /// Like ArgumentParser's main, but a usage error is one line on stderr
    /// (the commands print their own one-line failures and throw ExitCode).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Self.exit(withError: code)
        } catch {
            let code = exitCode(for: error)
            guard code != .success else { Self.exit(withError: error) }
            let message = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            let trimmed = message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message
            FileHandle.standardError.write(Data("auditq: \(trimmed) (see 'auditq --help')\n".utf8))
            Self.exit(withError: ExitCode(code.rawValue))
        }
    }
}

enum AuditqVersion {
    static let string = "0.2.0"
}
