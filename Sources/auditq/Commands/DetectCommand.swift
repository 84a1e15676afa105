import ArgumentParser
import AuditCLI
import AuditQuery
import AuditStore
import Foundation

struct DetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Run the detectors (container escapes, privilege escalation CVEs) over the store.",
        discussion: """
        Each detector (audit_rules/detectors/NAME.json, built in) names a technique (CVE and MITRE \
        ATT&CK ids), its audit signature and its sensor signature; a signature is one event or a \
        sequence of events by the same process, session or container within a time. Every match is an \
        alert: detector, severity, the signature that matched (audit, sensor or audit+sensor), what the \
        evidence shows, and the 'auditq search --id …' command that prints the evidence events. New \
        alerts are committed to the store as chained ledger rows of kind alert ('auditq alerts' lists \
        them; --no-record only prints). auditqd runs the same detectors on every batch it commits. \
        --allow FILE reads the operator's exceptions (a JSON list of {detector, exe, comm, uid, auid, \
        host, containers, note}); what they suppress is counted, not hidden. --coverage says, per \
        detector, whether audit (its rule keys loaded), the sensor (its mode recorded) or both can see \
        it, or that neither can. Exit status: 0 nothing found (or everything covered), 1 alerts found \
        (or a detector not covered).
        """)

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var time: TimeOptions

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("Only this detector (repeat for more).", valueName: "name"))
    var detector: [String] = []

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("Only alerts in this container (id, id prefix or name; repeat for more).", valueName: "container"))
    var container: [String] = []

    @Option(name: .long, help: ArgumentHelp("Output: text or json (one alert per line).", valueName: "format"))
    var format: Format = .text

    @Option(name: .long, help: ArgumentHelp("The operator's allow rules (JSON).", valueName: "file"))
    var allow: String?

    @Option(name: .customLong("detectors"), help: ArgumentHelp("Read detectors from this directory instead of the built-in ones.", valueName: "dir"))
    var directory: String?

    @Flag(name: .customLong("no-record"), help: "Print alerts without committing them to the store.")
    var noRecord = false

    @Flag(name: .long, help: "Say per detector whether audit, the sensor, both or neither can see it.")
    var coverage = false

    enum Format: String, ExpressibleByArgument { case text, json }

    func run() throws {
        let sink = OutputSink()
        do {
            var detectors = try Detector.load(directory: directory)
            if !detector.isEmpty {
                let unknown = detector.filter { name in !detectors.contains { $0.detector == name } }
                guard unknown.isEmpty else {
                    throw Failure.exit("no detector named \(unknown.joined(separator: ", ")) (known: \(detectors.map(\.detector).joined(separator: ", ")))", code: .usage)
                }
                detectors = detectors.filter { detector.contains($0.detector) }
            }
            if coverage {
                let store = try storeOptions.open(.read)
                let report = try store.pool.read { try DetectCoverage.evaluate(detectors, $0) }
                printCoverage(report, sink)
                sink.flush()
                if report.entries.contains(where: { $0.coveredBy == "not covered" }) { throw ExitCode(ExitStatus.failed.rawValue) }
                return
            }
            let allowRules = try allow.map(AllowRules.load) ?? AllowRules()
            var range = EventFilter()
            try time.apply(to: &range)
            let store = try storeOptions.open(noRecord ? .read : .write)
            let detection = Detection(store: store, detectors: detectors, allow: allowRules)
            let outcome = try detection.run(DetectionEngine.Window(startMs: range.startMs, endMs: range.endMs),
                                            containers: container, record: !noRecord, source: "auditq detect")
            for a in outcome.alerts {
                guard !sink.closed else { break }
                sink.write((format == .json ? AlertLog.jsonLine(a.alert, timeMs: a.lastMs) : AlertLog.textLine(a.alert, timeMs: a.lastMs)) + "\n")
            }
            if format == .text {
                let fresh = outcome.alerts.filter(\.new).count
                var tail = "\(outcome.alerts.count) alert\(outcome.alerts.count == 1 ? "" : "s") from \(detectors.count) detectors"
                if !outcome.alerts.isEmpty {
                    tail += noRecord ? " (\(fresh) not in the store; --no-record)" : " (\(fresh) new, committed to the store)"
                }
                sink.write(tail + "\n")
                for (why, n) in outcome.suppressed.sorted(by: { $0.key < $1.key }) {
                    sink.write("suppressed by an allow rule: \(n) × \(why)\n")
                }
            }
            sink.flush()
            if !outcome.alerts.isEmpty { throw ExitCode(ExitStatus.failed.rawValue) }
        } catch let code as ExitCode {
            sink.flush()
            throw code
        } catch let e as DetectorError {
            sink.flush()
            throw Failure.exit(e.description, code: .dataError)
        } catch {
            sink.flush()
            throw Failure.exit(error)
        }
    }

    private func printCoverage(_ report: DetectCoverage, _ sink: OutputSink) {
        if format == .json {
            for e in report.entries { sink.write(Ledger.encode(e) + "\n") }
            return
        }
        sink.write("rules: \(report.rules); sensor: \(report.sensorMode)\n")
        let width = report.entries.map(\.detector.count).max() ?? 0
        for e in report.entries {
            let name = e.detector.padding(toLength: width, withPad: " ", startingAt: 0)
            sink.write("\(name)  \(e.coveredBy.padding(toLength: 12, withPad: " ", startingAt: 0))  \(e.severity)\n")
            sink.write("    audit: \(e.audit)\n    sensor: \(e.sensor)\n")
        }
        let counts = Dictionary(grouping: report.entries, by: \.coveredBy).mapValues(\.count)
        sink.write(["audit+sensor", "audit", "sensor", "not covered"].map { "\($0) \(counts[$0] ?? 0)" }.joined(separator: ", ") + "\n")
    }
}
