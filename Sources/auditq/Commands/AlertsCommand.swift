import ArgumentParser
import AuditCLI
import AuditQuery
import AuditStore
import Foundation

struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "List the alerts stored by auditq detect and auditqd.",
        discussion: """
        One line per alert, oldest first: when its evidence ended, severity, detector, CVE and ATT&CK \
        ids, the signature that matched (audit, sensor, audit+sensor), what happened and who did it, \
        then the 'auditq search' command that prints its evidence. -ts/-te select by the evidence's \
        time. Exit status 1 when no alert matches.
        """)

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var time: TimeOptions

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("Only this detector (repeat for more).", valueName: "name"))
    var detector: [String] = []

    @Option(name: .long, help: ArgumentHelp("Only alerts at least this severe: low, medium, high or critical.", valueName: "severity"))
    var severity: Detector.Severity?

    @Option(name: .long, help: ArgumentHelp("Output: text or json (one alert per line).", valueName: "format"))
    var format: DetectCommand.Format = .text

    func run() throws {
        let sink = OutputSink()
        do {
            var range = EventFilter()
            try time.apply(to: &range)
            let store = try storeOptions.open(.read)
            var alerts = try store.pool.read { try AlertLog.stored($0, from: range.startMs, to: range.endMs) }
            if !detector.isEmpty { alerts = alerts.filter { detector.contains($0.alert.detector) } }
            if let severity {
                alerts = alerts.filter { (Detector.Severity(rawValue: $0.alert.severity) ?? .low) >= severity }
            }
            guard !alerts.isEmpty else { throw Failure.exit("no alerts are stored\(range.startMs != nil || range.endMs != nil ? " in that time" : "")", code: .failed) }
            for s in alerts {
                guard !sink.closed else { break }
                let t = s.row.lastTimeMs ?? s.row.timeMs
                sink.write((format == .json ? AlertLog.jsonLine(s.alert, timeMs: t) : AlertLog.textLine(s.alert, timeMs: t)) + "\n")
            }
            sink.flush()
        } catch let code as ExitCode {
            sink.flush()
            throw code
        } catch {
            sink.flush()
            throw Failure.exit(error)
        }
    }
}

extension Detector.Severity: ExpressibleByArgument {}
