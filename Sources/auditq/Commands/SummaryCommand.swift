import ArgumentParser
import AuditCLI
import AuditQuery
import AuditStore

struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "The figures aureport --summary prints, plus records by type, events by key and coverage.")

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var time: TimeOptions
    @OptionGroup var containerOptions: ContainerOptions

    func run() throws {
        do {
            let store = try storeOptions.open(.read)
            var filter = EventFilter()
            try time.apply(to: &filter)
            try containerOptions.apply(to: &filter, index: try store.pool.read(ContainerIndex.load))
            print(try StoreSummary.compute(store, filter: filter).render(), terminator: "")
        } catch {
            throw Failure.exit(error)
        }
    }
}

/// -ts/-te, as ausearch and aureport take them.
struct TimeOptions: ParsableArguments {
    @Option(name: [.customLong("ts", withSingleDash: true), .customLong("start")], parsing: .upToNextOption,
            help: ArgumentHelp("Events at or after this time: [date] [time], or now, recent, this-hour, boot, today, yesterday, this-week, week-ago, this-month, this-year.", valueName: "when"))
    var start: [String] = []

    @Option(name: [.customLong("te", withSingleDash: true), .customLong("end")], parsing: .upToNextOption,
            help: ArgumentHelp("Events at or before this time (same forms as -ts).", valueName: "when"))
    var end: [String] = []

    func apply(to filter: inout EventFilter) throws {
        if !start.isEmpty { filter.startMs = try TimeSpec.resolve(start, edge: .start) }
        if !end.isEmpty { filter.endMs = try TimeSpec.resolve(end, edge: .end) }
    }

    func validate() throws {
        for words in [start, end] where !words.isEmpty {
            do { _ = try TimeSpec.resolve(words, edge: .start) } catch { throw ValidationError("\(error)") }
        }
    }
}
