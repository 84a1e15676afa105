import ArgumentParser
import AuditStore
import Foundation

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the store's hash chain and report the first batch that does not match.",
        discussion: "Exit status 0 when every batch verifies, 1 when the chain is broken.")

    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        let report: ChainVerifier.Report
        do {
            let store = try EventStore(path: storeOptions.path, access: .read)
            report = try ChainVerifier.verify(store)
        } catch {
            throw Failure.exit(error)
        }
        if let problem = report.problem {
            throw Failure.exit("verify FAILED: \(problem)", code: Failure.noMatch)
        }
        let head = report.head.map { $0.map { String(format: "%02x", $0) }.joined() } ?? "none"
        print("chain ok: \(report.batches) batch(es), \(report.events) event(s), head \(head)")
        if let note = report.note { print("note: \(note)") }
    }
}
