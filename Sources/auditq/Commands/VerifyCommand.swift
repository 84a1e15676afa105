import ArgumentParser
import AuditCLI
import AuditStore
import Foundation

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the store's hash chain and report the first batch that does not match.",
        discussion: """
        Every signed checkpoint in the store is checked too: its signature, and that the batch and hash it \
        names are in the chain. Given FILE, an evidence export ('auditq export --evidence'), verify checks \
        it alone, without the store: each batch's hash from its rows, the links between batches, the \
        checkpoint's signature and head, and each event's raw text. A FILE that is a SQLite store is \
        verified as --store. Exit status 0 when everything verifies, 1 when something does not.
        """)

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: ArgumentHelp("An evidence export to check (or a store).", valueName: "file"))
    var file: String?

    @Option(name: .long, help: ArgumentHelp("Require checkpoints signed by this public key (KEYFILE.pub).", valueName: "pubfile"))
    var key: String?

    func run() throws {
        var requiredKey: Data?
        if let key {
            do { requiredKey = try SigningKey.publicKey(at: key) } catch {
                throw Failure.exit("\(error)", code: .noInput)
            }
        }
        var storePath = storeOptions.path
        if let file {
            guard let handle = FileHandle(forReadingAtPath: file) else {
                throw Failure.exit("\(file): cannot read", code: .noInput)
            }
            let prefix = handle.readData(ofLength: 16)
            try? handle.close()
            if EvidenceExport.looksLikeExport(prefix) {
                try verifyExport(file, requiredKey: requiredKey)
                return
            }
            storePath = file
        }
        let report: ChainVerifier.Report
        do {
            let store = try EventStore(path: storePath, access: .read)
            report = try ChainVerifier.verify(store, requiredKey: requiredKey)
        } catch {
            throw Failure.exit(error)
        }
        if let problem = report.problem {
            throw Failure.exit("verify FAILED: \(problem)", code: .failed)
        }
        let head = report.head.map { $0.map { String(format: "%02x", $0) }.joined() } ?? "none"
        var line = "chain ok: \(report.batches) batch(es), \(report.events) event(s), head \(head)"
        if let latest = report.checkpoints.latest {
            line += "; \(report.checkpoints.count) checkpoint(s), latest of batch \(latest.batch) signed \(latest.signedAt) by \(latest.keyFingerprint)"
        }
        // Integrity is the chain's; who else can reach the files is said too
        // (a store anyone may write cannot be trusted past this run).
        let exposed = StoreFiles.exposed(storePath)
        if let writable = exposed.first(where: \.writable) {
            throw Failure.exit("verify FAILED: \(writable.line)", code: .failed)
        }
        print(line)
        if let note = report.note { print("note: \(note)") }
        for file in exposed { print("warning: \(file.line) (chmod o-rwx)") }
    }

    private func verifyExport(_ path: String, requiredKey: Data?) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure.exit("\(path): cannot read", code: .noInput)
        }
        let verdict = EvidenceExport.verify(data, requiredKey: requiredKey)
        if let problem = verdict.problem {
            throw Failure.exit("verify FAILED: \(path): \(problem)", code: .failed)
        }
        print(verdict.summary)
    }
}
