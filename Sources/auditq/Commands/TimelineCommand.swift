import ArgumentParser
import AuditCLI
import AuditContainers
import AuditQuery
import AuditStore
import Foundation

struct TimelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timeline",
        abstract: "Every event of one process or login session, from audit and the BPF sensor, in time order.",
        discussion: """
        --pid takes the process's events (the programs it exec'd keep its pid); --session those of an \
        audit session (ses), whichever source recorded them. One line per event: #id, time, source \
        (audit, lsm, tracepoint), what it did (syscall and outcome, or the hook), pid, comm and exe, the \
        object (path, address:port, target pid and signal, …) and who saw it: 'both #ID…' when a sensor \
        event and an audit event record the same action (same pid and object within 2 s; #ID names the \
        other side), else 'audit only', 'lsm only' or 'tracepoint only'. A line '-- in container RUNTIME ID \
        (NAME) --' or '-- out of container … --' marks where the events cross into or out of a container; \
        JSON lines carry the container. Exit status 1 when nothing is stored.
        """)

    @OptionGroup var storeOptions: StoreOptions

    @Option(name: [.customShort("p"), .long], help: ArgumentHelp("Process ID.", valueName: "pid"))
    var pid: Int64?

    @Option(name: .customLong("session"), help: ArgumentHelp("Login session ID (ses).", valueName: "ses"))
    var session: Int64?

    @OptionGroup var time: TimeOptions

    @Option(name: .long, help: ArgumentHelp("Output: text or json (one object per line).", valueName: "format"))
    var format: TimelineFormat = .text

    enum TimelineFormat: String, ExpressibleByArgument { case text, json }

    func validate() throws {
        switch (pid, session) {
        case (nil, nil): throw ValidationError("give --pid or --session")
        case (.some, .some): throw ValidationError("--pid and --session exclude each other")
        default: break
        }
    }

    func run() throws {
        let subject: Timeline.Subject = pid.map { .pid($0) } ?? .session(session!)
        let sink = OutputSink()
        do {
            var range = EventFilter()
            try time.apply(to: &range)
            let store = try storeOptions.open(.read)
            let entries = try Timeline(subject: subject, startMs: range.startMs, endMs: range.endMs).entries(store)
            guard !entries.isEmpty else {
                let what = pid.map { "pid \($0)" } ?? "session \(session!)"
                throw Failure.exit("no events of \(what) are stored", code: .failed)
            }
            let marks = ContainerMarks(index: try store.pool.read(ContainerIndex.load))
            let lines = format == .json ? entries.map { TimelineJSON.line($0, marks: marks) } : TimelineText.render(entries, marks: marks)
            for line in lines {
                guard !sink.closed else { break }
                sink.write(line + "\n")
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

/// `#id  time  source  what  pid P  (comm) exe  object  seen`, in columns
/// as wide as the widest entry's (program and object at most 48).
enum TimelineText {
    static func render(_ entries: [Timeline.Entry], marks: ContainerMarks = ContainerMarks()) -> [String] {
        let rows = entries.map(columns)
        var widths = [Int](repeating: 0, count: 7)
        for row in rows { for i in 0..<7 { widths[i] = max(widths[i], min(row[i].count, i >= 5 ? 48 : .max)) } }
        var lines: [String] = []
        var current: Container?
        for (entry, row) in zip(entries, rows) {
            // A line of its own where the events cross into or out of a container.
            if !marks.index.entries.isEmpty {
                let here = marks.container(of: entry.event)
                if here != current {
                    if let here { lines.append("-- in container \(ContainerMarks.name(here)) --") }
                    else if let current { lines.append("-- out of container \(ContainerMarks.name(current)) --") }
                    current = here
                }
            }
            lines.append(zip(row.indices, row).map { i, cell in i < 7 ? pad(cell, widths[i]) : cell }.joined(separator: "  "))
        }
        return lines
    }

    /// id, time, source, what, pid, program, object ("-" when none), seen
    static func columns(_ entry: Timeline.Entry) -> [String] {
        let e = entry.event
        var program = e.comm.map { "(\(ShellQuote.quote($0)))" } ?? "(?)"
        if let exe = e.exe { program += " " + ShellQuote.quote(exe) }
        var row = ["#\(e.id)", TreeText.time(e.timeMs), entry.source.rawValue, entry.what,
                   "pid " + (e.pid.map(String.init) ?? "?"), program]
        // A control character in a path must not break the line.
        let object = entry.object ?? "-"
        row.append(object.unicodeScalars.contains(where: ShellQuote.isHidden) ? ShellQuote.quote(object) : object)
        row.append(seen(entry))
        return row
    }

    static func seen(_ entry: Timeline.Entry) -> String {
        if entry.partners.isEmpty { return entry.source.rawValue + " only" }
        return "both " + entry.partners.map { "#\($0.id)" }.joined(separator: ",")
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}

/// One JSON object per event: the search JSON's identity fields plus
/// source, what, object, seen_by and paired_with.
enum TimelineJSON {
    static func line(_ entry: Timeline.Entry, marks: ContainerMarks = ContainerMarks()) -> String {
        let e = entry.event
        var o = "{\"id\":\(e.id)"
        func str(_ name: String, _ v: String?) { if let v { o += ",\"\(name)\":" + JSONText.quoted(v) } }
        func int(_ name: String, _ v: Int64?) { if let v { o += ",\"\(name)\":\(v)" } }
        str("node", e.node.isEmpty ? nil : e.node)
        str("time", EventFormatter.iso(e.timeMs))
        int("time_ms", e.timeMs)
        int("serial", e.serial)
        o += ",\"types\":" + JSONText.array(e.types)
        str("source", entry.source.rawValue)
        str("what", entry.what)
        int("pid", e.pid); int("ppid", e.ppid); int("uid", e.uid); int("euid", e.euid)
        int("auid", e.auid); int("ses", e.ses)
        str("comm", e.comm); str("exe", e.exe)
        str("object", entry.object)
        o += ",\"seen_by\":" + JSONText.array(entry.seenBy.map(\.rawValue))
        o += ",\"paired_with\":[" + entry.partners.map { String($0.id) }.joined(separator: ",") + "]"
        if let c = marks.container(of: e) { o += ",\"container\":" + ContainerMarks.json(c) }
        return o + "}"
    }
}
