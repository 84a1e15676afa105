import ArgumentParser
import AuditCLI
import AuditQuery
import AuditStore
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write an evidence file that proves events are in the signed hash chain.",
        discussion: """
        --evidence FILE writes one JSON object: the report given with --report (embedded as is), the \
        events it cites (every \"event_id\" number in it) and those the filters select (raw text and \
        decoded fields), every batch from the earliest cited event's through the latest checkpoint's with \
        all their rows, the latest signed checkpoint and its public key. 'auditq verify FILE' checks it \
        on any machine, without the store. The store must hold a checkpoint ('auditq checkpoint --sign').
        """)

    @OptionGroup var storeOptions: StoreOptions

    @Option(name: .long, help: ArgumentHelp("The evidence file to write.", valueName: "file"))
    var evidence: String

    @Option(name: .long, help: ArgumentHelp("A JSON report to embed; the events it cites by event_id are exported.", valueName: "report.json"))
    var report: String?

    @Option(name: [.customShort("k"), .long], help: ArgumentHelp("Events with this key (the rule's -k).", valueName: "key"))
    var key: String?
    @Option(name: [.customShort("a"), .customLong("event")], help: ArgumentHelp("Events with this audit serial number.", valueName: "serial"))
    var serial: Int64?
    @Option(name: [.customShort("m"), .long], help: ArgumentHelp("Record type(s), comma-separated.", valueName: "types"))
    var message: String?
    @OptionGroup var time: TimeOptions

    var hasFilter: Bool { key != nil || serial != nil || message != nil || !time.start.isEmpty || !time.end.isEmpty }

    func validate() throws {
        if report == nil && !hasFilter { throw ValidationError("give --report FILE or a filter (-k, -a, -m, -ts, -te) to choose the events") }
    }

    func run() throws {
        var embedded: JSONValue?
        var cited: [Int64] = []
        if let report {
            guard let data = FileManager.default.contents(atPath: report) else {
                throw Failure.exit("\(report): cannot read the report", code: .noInput)
            }
            do { embedded = try JSONDecoder().decode(JSONValue.self, from: data) } catch {
                throw Failure.exit("\(report): not JSON", code: .dataError)
            }
            Self.eventIDs(in: embedded!, into: &cited)
        }
        do {
            let store = try storeOptions.open(.read)
            var ids = Set(cited)
            if hasFilter {
                var filter = EventFilter()
                filter.key = key
                filter.serial = serial
                filter.messageTypes = message.map { $0.split(separator: ",").map { $0.uppercased() } } ?? []
                try time.apply(to: &filter)
                try EventReader(store: store).forEach(filter) { event, _ in ids.insert(event.id) }
            }
            if ids.isEmpty && report == nil { throw Failure.exit("<no matches>", code: .failed) }
            let events = try EvidenceExport.events(store, ids: ids.sorted())
            let file = try EvidenceExport.build(store, events: events, report: embedded)
            let data = try EvidenceExport.encode(file)
            guard FileManager.default.createFile(atPath: evidence, contents: data) else {
                throw Failure.exit("\(evidence): cannot create the evidence file", code: .cannotCreate)
            }
            let signed = file.events.filter { $0.batch <= file.checkpoint.batch }.count
            print("wrote \(evidence): \(file.events.count) event(s), batches \(file.batches.first?.id ?? 0)–\(file.batches.last?.id ?? 0), checkpoint of batch \(file.checkpoint.batch) by \(file.checkpoint.keyFingerprint)")
            if signed < file.events.count {
                print("note: \(file.events.count - signed) event(s) are newer than the checkpoint; run 'auditq checkpoint --sign' and export again to sign them")
            }
        } catch let code as ExitCode {
            throw code
        } catch let e as EvidenceExport.ExportError {
            throw Failure.exit(e.description, code: .dataError)
        } catch {
            throw Failure.exit(error)
        }
    }

    /// Every integer "event_id" anywhere in the report.
    /// Every `event_id`, and the `id` of each entry of an `examples` array
    /// (the compliance report's cited events), anywhere in the report.
    static func eventIDs(in value: JSONValue, into ids: inout [Int64], inExamples: Bool = false) {
        switch value {
        case .object(let o):
            for (k, v) in o {
                if k == "event_id" || (inExamples && k == "id"), case .integer(let id) = v {
                    ids.append(id)
                } else {
                    eventIDs(in: v, into: &ids, inExamples: k == "examples")
                }
            }
        case .array(let a): for v in a { eventIDs(in: v, into: &ids, inExamples: inExamples) }
        default: break
        }
    }
}
