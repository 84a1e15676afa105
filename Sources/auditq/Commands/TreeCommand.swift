import ArgumentParser
import AuditCLI
import AuditQuery
import AuditStore
import Foundation

struct TreeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tree",
        abstract: "Ancestry and descendants of a process, from the stored exec, fork/clone and exit events.",
        discussion: """
        A pid names many processes over time: the tree is that of the process PID was at --at (default: its \
        latest one), from the fork that made it to its exit. Each line: pid, exe, argv, start (the fork; \
        'seen' when only later calls are stored) and 'exit TIME', '?' (no exit stored, but the pid was used \
        again, so it had ended) or 'running' (no exit stored: still running when the log ends, killed by a \
        signal, which makes no exit call, or exits not audited). *PID marks the process asked for; [thread] \
        a clone with CLONE_THREAD. Reads audit's execve, clone/fork and exit_group events (rules that \
        capture them: see audit_rules/) and the BPF sensor's exec, fork and exit events; an action both \
        recorded is shown once. '[enters container RUNTIME ID (NAME)]' marks a process in another container \
        than its parent, '[leaves container …]' one on the host under a containerized parent (see auditq \
        containers); JSON gives each process its container. Exit status 1 when nothing about PID is stored.
        """)

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: ArgumentHelp("The process ID.", valueName: "pid"))
    var pid: Int64

    @Option(name: .long, help: ArgumentHelp("The process PID was at this time, in -ts's forms (quote two words: --at 'today 10:00').", valueName: "when"))
    var at: String?

    @Option(name: [.customShort("n"), .long], help: ArgumentHelp("Node name, when the store holds several machines.", valueName: "node"))
    var node: String?

    @Option(name: .long, help: ArgumentHelp("Output: text or json.", valueName: "format"))
    var format: TreeFormat = .text

    enum TreeFormat: String, ExpressibleByArgument { case text, json }

    func validate() throws {
        guard pid > 0 else { throw ValidationError("pid must be a positive number") }
        if let at { _ = try atMs(at) }
    }

    private func atMs(_ text: String) throws -> Int64 {
        let words = text.split(whereSeparator: \.isWhitespace).map(String.init)
        do { return try TimeSpec.resolve(words, edge: .start) } catch { throw ValidationError("--at: \(error)") }
    }

    func run() throws {
        do {
            let path = storeOptions.path
            var store = try storeOptions.open(.read)
            if try !store.pool.read(ProcessTree.hasFacts) {
                // A store last written before process facts existed: adding
                // them is the migration every writer applies on opening.
                guard access(path, W_OK) == 0 else {
                    throw Failure.exit("\(path): the store predates the sensor's process facts (0003_sensor_process_facts.sql) and is read-only here; the next import or the collector adds them", code: .dataError)
                }
                FileHandle.standardError.write(Data("auditq: adding process facts to \(path)\n".utf8))
                store = try EventStore(path: path, access: .write)
            }
            let when = try at.map(atMs)
            switch try ProcessTree(store.pool).lookup(pid: pid, atMs: when, node: node) {
            case .notStored:
                let scope = node.map { " on node \($0)" } ?? ""
                throw Failure.exit("no exec, fork or exit of pid \(pid)\(scope) is stored; tree needs rules that capture execve and clone/fork (see audit_rules/) or auditqd's BPF sensor", code: .failed)
            case .onlyLater(let first):
                throw Failure.exit("pid \(pid) is not stored at or before \(TreeText.time(when!)); its first stored process starts \(TreeText.time(first))", code: .failed)
            case .found(let result):
                if !result.aliveAtRequest, let when {
                    FileHandle.standardError.write(Data("auditq: pid \(pid) was not running at \(TreeText.time(when)); showing the process it was before\n".utf8))
                }
                let containers = try store.pool.read(ContainerIndex.load)
                let marks = ContainerMarks(index: containers)
                let out = format == .json ? TreeJSON.render(result, pid: pid, atMs: when, marks: marks)
                    : TreeText.render(result, atMs: when, marks: marks)
                FileHandle.standardOutput.write(Data(out.utf8))
            }
        } catch let code as ExitCode {
            throw code
        } catch {
            throw Failure.exit(error)
        }
    }
}

/// The tree as text: the ancestry from the oldest known ancestor down to
/// the process asked for, then its descendants, drawn as pstree draws.
enum TreeText {
    static func render(_ r: ProcessTree.Result, atMs: Int64?, marks: ContainerMarks = ContainerMarks()) -> String {
        var out = ""
        var depth = 0
        var above: ProcessTree.Instance?
        for (i, a) in r.ancestors.enumerated() {
            let prefix = depth == 0 ? "" : String(repeating: "   ", count: depth - 1) + "└─ "
            switch a {
            case .unknown(let pid):
                out += prefix + "\(pid)  ?  (nothing stored)\n"
                above = nil
            case .process(let p):
                // Its program when it made the next one down.
                let childStart = i + 1 < r.ancestors.count ? start(r.ancestors[i + 1]) : r.process.startMs
                out += prefix + line(p, at: childStart, subject: false) + marks.text(p, parent: above) + "\n"
                above = p
            }
            depth += 1
        }
        let indent = depth == 0 ? "" : String(repeating: "   ", count: depth - 1)
        out += (depth == 0 ? "" : indent + "└─ ") + line(r.process, at: atMs, subject: true) + marks.text(r.process, parent: above) + "\n"
        let under = depth == 0 ? "" : indent + "   "
        draw(r.children, parent: r.process, prefix: under, marks: marks, into: &out)
        return out
    }

    private static func start(_ a: ProcessTree.Ancestor) -> Int64? {
        if case .process(let p) = a { return p.startMs }
        return nil
    }

    private static func draw(_ nodes: [ProcessTree.Node], parent: ProcessTree.Instance, prefix: String,
                             marks: ContainerMarks, into out: inout String) {
        for (i, n) in nodes.enumerated() {
            let lastOne = i == nodes.count - 1
            out += prefix + (lastOne ? "└─ " : "├─ ") + line(n.instance, at: nil, subject: false) + marks.text(n.instance, parent: parent) + "\n"
            draw(n.children, parent: n.instance, prefix: prefix + (lastOne ? "   " : "│  "), marks: marks, into: &out)
        }
    }

    static func line(_ p: ProcessTree.Instance, at: Int64?, subject: Bool) -> String {
        var s = (subject ? "*" : "") + "\(p.pid)"
        if p.isThread == true { s += " [thread]" }
        let program = p.program(at: at)
        s += "  " + (program.exe.map(ShellQuote.quote) ?? program.comm.map { "(\(ShellQuote.quote($0)))" } ?? "?")
        if let argv = program.argv {
            s += "  " + ShellQuote.argv(argv)
        } else if p.isThread != true {
            s += "  (no exec stored)"
        }
        s += "  " + (p.startKnown ? "start " : "seen ") + time(p.startMs)
        switch p.end {
        case .exit(let t): s += "  exit " + time(t, since: p.startMs)
        case .endedBefore: s += "  ?"
        case .running: s += p.isThread == true ? "  ?" : "  running"
        }
        return s
    }

    /// Local time with milliseconds; the date is left out when it is that of `since`.
    static func time(_ ms: Int64, since: Int64? = nil) -> String {
        func parts(_ ms: Int64) -> tm {
            var t = time_t(ms / 1000)
            var v = tm()
            localtime_r(&t, &v)
            return v
        }
        let v = parts(ms)
        let clock = String(format: "%02d:%02d:%02d.%03d", v.tm_hour, v.tm_min, v.tm_sec, Int(ms % 1000))
        if let since {
            let w = parts(since)
            if w.tm_year == v.tm_year && w.tm_yday == v.tm_yday { return clock }
        }
        return String(format: "%04d-%02d-%02d ", v.tm_year + 1900, v.tm_mon + 1, v.tm_mday) + clock
    }
}

/// argv as a shell would take it back, kept to one readable line.
enum ShellQuote {
    static let maxArgument = 64
    static let maxLine = 160

    static func argv(_ argv: [String]) -> String {
        var out = ""
        for (i, arg) in argv.enumerated() {
            let word = quote(arg.count > maxArgument ? String(arg.prefix(maxArgument - 1)) + "…" : arg)
            if !out.isEmpty && out.count + 1 + word.count > maxLine {
                out += " … (+\(argv.count - i) more)"
                break
            }
            out += (out.isEmpty ? "" : " ") + word
        }
        return out
    }

    static func quote(_ s: String) -> String {
        if s.isEmpty { return "''" }
        let plain = s.unicodeScalars.allSatisfy {
            ($0.value >= 0x80) || CharacterSet.alphanumerics.contains($0) || "@%+=:,./_-…".unicodeScalars.contains($0)
        }
        let hidden = s.unicodeScalars.contains(where: isHidden)
        if plain && !hidden { return s }
        if !hidden { return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        var out = "$'"
        for u in s.unicodeScalars {
            switch u {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            default:
                if u.value < 0x80 && isHidden(u) {
                    out += String(format: "\\x%02x", u.value)
                } else if isHidden(u) {
                    out += String(format: "\\u%04x", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "'"
    }

    /// Characters that would not show as themselves on a terminal: C0 and C1
    /// controls, and the bidirectional overrides that reorder what follows.
    static func isHidden(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0..<0x20, 0x7F...0x9F, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }
}

/// The tree as one JSON object: the process, its ancestors (oldest first)
/// and its descendants (each with its children).
enum TreeJSON {
    static func render(_ r: ProcessTree.Result, pid: Int64, atMs: Int64?, marks: ContainerMarks = ContainerMarks()) -> String {
        var o = "{\"pid\":\(pid)"
        if let atMs { o += ",\"at\":" + JSONText.quoted(EventFormatter.iso(atMs)) + ",\"at_ms\":\(atMs)" }
        o += ",\"alive_at\":\(r.aliveAtRequest)"
        o += ",\"process\":" + process(r.process, at: atMs, children: nil, marks: marks)
        o += ",\"ancestors\":["
        for (i, a) in r.ancestors.enumerated() {
            if i > 0 { o += "," }
            switch a {
            case .unknown(let pid): o += "{\"pid\":\(pid),\"stored\":false}"
            case .process(let p):
                let next: Int64
                if i + 1 < r.ancestors.count, case .process(let c) = r.ancestors[i + 1] { next = c.startMs } else { next = r.process.startMs }
                o += process(p, at: next, children: nil, marks: marks)
            }
        }
        o += "],\"descendants\":" + nodes(r.children, marks: marks) + "}\n"
        return o
    }

    private static func nodes(_ ns: [ProcessTree.Node], marks: ContainerMarks) -> String {
        "[" + ns.map { process($0.instance, at: nil, children: $0.children, marks: marks) }.joined(separator: ",") + "]"
    }

    private static func process(_ p: ProcessTree.Instance, at: Int64?, children: [ProcessTree.Node]?, marks: ContainerMarks) -> String {
        var o = "{\"pid\":\(p.pid)"
        func str(_ name: String, _ v: String?) { if let v { o += ",\"\(name)\":" + JSONText.quoted(v) } }
        func int(_ name: String, _ v: Int64?) { if let v { o += ",\"\(name)\":\(v)" } }
        func time(_ name: String, _ ms: Int64) { str(name, EventFormatter.iso(ms)); int(name + "_ms", ms) }
        int("ppid", p.ppid)
        str("node", p.node.isEmpty ? nil : p.node)
        if let thread = p.isThread { o += ",\"thread\":\(thread)" }
        let program = p.program(at: at)
        str("exe", program.exe)
        str("comm", program.comm)
        if let argv = program.argv { o += ",\"argv\":" + JSONText.array(argv) }
        int("uid", program.uid); int("auid", program.auid); int("ses", program.ses)
        time("start", p.startMs)
        o += ",\"start_known\":\(p.startKnown)"
        o += ",\"execs\":[" + p.execs.map { e in
            var x = "{\"time\":" + JSONText.quoted(EventFormatter.iso(e.timeMs)) + ",\"time_ms\":\(e.timeMs)"
            if let exe = e.exe { x += ",\"exe\":" + JSONText.quoted(exe) }
            if let argv = e.argv { x += ",\"argv\":" + JSONText.array(argv) }
            return x + "}"
        }.joined(separator: ",") + "]"
        switch p.end {
        case .exit(let t): str("end", "exit"); time("exit", t)
        case .endedBefore(let t): str("end", "unknown"); time("ended_before", t)
        case .running: str("end", p.isThread == true ? "unknown" : "running")
        }
        if let c = marks.container(of: p) { o += ",\"container\":" + ContainerMarks.json(c) }
        if let children { o += ",\"children\":" + nodes(children, marks: marks) }
        return o + "}"
    }
}
