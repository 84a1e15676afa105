import ArgumentParser
import AuditCLI
import AuditRecords
import AuditStore
import Foundation

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import audit.log files (raw or enriched, rotated, gzip-compressed) or stdin into the store.",
        discussion: """
        Events already in the store (same node, time, serial and record types) are skipped, so re-importing a file or an \
        overlapping rotated file adds only what is new. Rotated files are read oldest first. Gaps in the \
        audit serial sequence are recorded as possible loss. On malformed input auditq names the file and \
        line, keeps every whole event read before it, and exits with status 65.
        """)

    @OptionGroup var storeOptions: StoreOptions

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    @Argument(help: ArgumentHelp("Audit log files; '-' reads standard input.", valueName: "file"))
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one log file, or '-' for standard input") }
    }

    func run() throws {
        let progress = ImportProgress(enabled: !quiet && isatty(2) != 0)
        do {
            // Every input must be readable before a store is created for it.
            for file in files where file != "-" && access(file, R_OK) != 0 {
                throw LogInputError(source: file, message: String(cString: strerror(errno)))
            }
            let store = try storeOptions.open(.write)
            let importer = LogImporter(writer: EventWriter(store: store))
            let summary: LogImporter.Summary
            do {
                defer { store.checkpointWAL() }
                summary = try importer.run(paths: files, progress: progress.update)
            }
            progress.clear()
            if !quiet { print(Self.describe(summary, store: store.path)) }
        } catch let failure as ImportFailure {
            progress.clear()
            throw Failure.exit(failure)
        } catch {
            progress.clear()
            throw Failure.exit(error)
        }
    }

    static func describe(_ s: LogImporter.Summary, store: String) -> String {
        let rate = s.seconds > 0 ? Int(Double(s.events) / s.seconds) : 0
        return "imported \(s.inserted) new event(s) from \(s.files) file(s) into \(store) "
            + "(\(s.events) read, \(s.duplicates) already stored, \(s.records) records, "
            + "\(s.gaps) serial gap(s)\(s.unstamped > 0 ? ", \(s.unstamped) unstamped record(s) passed over" : ""); "
            + "\(String(format: "%.2f", s.seconds)) s, \(rate) events/s)"
    }
}

/// A one-line progress display on a terminal: file, percent of bytes,
/// events and events/s. Silent when stderr is not a terminal.
final class ImportProgress {
    let enabled: Bool
    private let started = Date()
    private var lastDraw = Date.distantPast

    init(enabled: Bool) { self.enabled = enabled }

    func update(file: String, done: Int64, total: Int64?, events: Int) {
        guard enabled, Date().timeIntervalSince(lastDraw) >= 0.2 else { return }
        lastDraw = Date()
        let pct = total.map { $0 > 0 ? " \(min(100, done * 100 / $0))%" : "" } ?? ""
        let rate = Int(Double(events) / max(0.001, Date().timeIntervalSince(started)))
        let line = "\r\u{1B}[Kimporting \((file as NSString).lastPathComponent)\(pct)  \(events) events  \(rate) events/s"
        FileHandle.standardError.write(Data(line.utf8))
    }

    func clear() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
