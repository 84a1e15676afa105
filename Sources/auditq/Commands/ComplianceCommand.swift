import ArgumentParser
import AuditCLI
import AuditQuery
import AuditStore
import Foundation

/// `auditq report compliance`: a policy's controls evaluated over the store,
/// each with its status, evidence and why, under the store's own coverage.
struct ComplianceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compliance",
        abstract: "Policy compliance report: per control pass, fail or no evidence, with the events behind it and the store's coverage.",
        discussion: """
        Policies are the JSON files of audit_rules/policies/ (carried in the binary; --policy-dir reads \
        another copy). Exit status: 0 when no control fails (no evidence is not a failure), 1 when any control fails.
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, html }

    @Option(name: .long, help: ArgumentHelp("The policy: pci-dss-v4, cis or stig.", valueName: "name"))
    var policy: String

    @OptionGroup var time: TimeOptions

    @Option(name: .long, help: ArgumentHelp("Output format: text, json or html (one self-contained page).", valueName: "format"))
    var format: Format = .text

    @Option(name: .long, help: ArgumentHelp("Write the report to this file instead of standard output.", valueName: "file"))
    var out: String?

    @Option(name: .long, help: ArgumentHelp("Read NAME.json from this directory instead of the policies carried in the binary.", valueName: "dir"))
    var policyDir: String?

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var containerOptions: ContainerOptions

    func validate() throws {
        if policyDir == nil, !Policy.embeddedNames.contains(policy) {
            throw ValidationError("unknown policy '\(policy)': use \(Policy.embeddedNames.joined(separator: ", "))")
        }
    }

    func run() throws {
        let report: ComplianceReport
        do {
            let loaded = try Policy.load(policy, directory: policyDir)
            let store = try storeOptions.open(.read)
            var filter = EventFilter()
            try time.apply(to: &filter)
            try containerOptions.apply(to: &filter, index: try store.pool.read(ContainerIndex.load))
            var evaluator = ComplianceEvaluator(store: store, policy: loaded, startMs: filter.startMs, endMs: filter.endMs,
                                                storeArgument: storeOptions.store)
            evaluator.containers = filter.containers
            evaluator.containerArguments = containerOptions.arguments
            report = try evaluator.evaluate()
        } catch let e as Policy.LoadError {
            switch e {
            case .unknown: throw Failure.exit(e.description, code: .noInput)
            case .malformed: throw Failure.exit(e.description, code: .dataError)
            }
        } catch {
            throw Failure.exit(error)
        }
        let text: String
        switch format {
        case .text: text = report.text()
        case .json: text = report.json()
        case .html: text = report.html()
        }
        if let out {
            do { try Data(text.utf8).write(to: URL(fileURLWithPath: out), options: .atomic) } catch {
                throw Failure.exit("cannot write \(out): \(error.localizedDescription)", code: .cannotCreate)
            }
        } else {
            print(text, terminator: "")
        }
        if report.summary.fail > 0 { throw ExitStatus.failed.exitCode }
    }
}
