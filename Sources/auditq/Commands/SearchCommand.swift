import ArgumentParser
import AuditCLI
import AuditQuery
import AuditRecords
import AuditStore
import Foundation

struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find events with ausearch's options; print them as text, raw records, JSON lines or CSV.",
        discussion: """
        Filters combine with AND. String filters (-k, -x, -c, -f) match substrings, as ausearch does; -w \
        makes them match whole values. --source and --hook select events by where they come from: the \
        kernel audit subsystem, the BPF-LSM sensor or its tracepoint fallback. JSON lines carry seen_by: \
        the sources that saw the same action (same pid and object within 2 s). --container, --pod, --image \
        and --host-only select events by the container they belong to; text, JSON and CSV name it. Exit \
        status 1 and '<no matches>' on stderr when nothing matches.
        """)

    @OptionGroup var storeOptions: StoreOptions

    @Option(name: [.customShort("k"), .long], help: ArgumentHelp("Key (the rule's -k).", valueName: "key"))
    var key: String?
    @Option(name: [.customShort("p"), .long], help: ArgumentHelp("Process ID.", valueName: "pid"))
    var pid: Int64?
    @Option(name: [.customLong("pp", withSingleDash: true), .long], help: ArgumentHelp("Parent process ID.", valueName: "pid"))
    var ppid: Int64?
    @Option(name: [.customLong("ui", withSingleDash: true), .long], help: ArgumentHelp("User ID (number or name).", valueName: "user"))
    var uid: String?
    @Option(name: [.customLong("ue", withSingleDash: true), .long], help: ArgumentHelp("Effective user ID (number or name).", valueName: "user"))
    var euid: String?
    @Option(name: [.customLong("ul", withSingleDash: true), .long], help: ArgumentHelp("Login user ID, auid (number or name).", valueName: "user"))
    var loginuid: String?
    @Option(name: [.customLong("ua", withSingleDash: true), .customLong("uid-all")], help: ArgumentHelp("User ID, effective user ID or login user ID (number or name).", valueName: "user"))
    var uidAll: String?
    @Option(name: [.customLong("gi", withSingleDash: true), .long], help: ArgumentHelp("Group ID.", valueName: "gid"))
    var gid: Int64?
    @Option(name: [.customShort("x"), .long], help: ArgumentHelp("Executable (exe).", valueName: "path"))
    var executable: String?
    @Option(name: [.customShort("c"), .long], help: ArgumentHelp("Command name (comm).", valueName: "comm"))
    var comm: String?
    @Option(name: [.customShort("f"), .long], help: ArgumentHelp("File name (PATH records, else the working directory).", valueName: "path"))
    var file: String?
    @Option(name: [.customShort("m"), .long], help: ArgumentHelp("Record type(s), comma-separated (SYSCALL, USER_LOGIN, …).", valueName: "types"))
    var message: String?
    @Option(name: [.customLong("sc", withSingleDash: true), .long], help: ArgumentHelp("System call, by name or number.", valueName: "syscall"))
    var syscall: String?
    @Option(name: [.customLong("sv", withSingleDash: true), .long], help: ArgumentHelp("Success: yes or no.", valueName: "yes|no"))
    var success: String?
    @Option(name: [.customShort("e"), .long], parsing: .unconditional, help: ArgumentHelp("Exit value (errno as a number, e.g. -13).", valueName: "exit"))
    var exit: Int64?
    @Option(name: .customLong("session"), help: ArgumentHelp("Login session ID (ses).", valueName: "ses"))
    var session: Int64?
    @Option(name: [.customShort("a"), .customLong("event")], help: ArgumentHelp("Audit serial number.", valueName: "serial"))
    var serial: Int64?
    @Option(name: [.customShort("n"), .long], help: ArgumentHelp("Node name.", valueName: "node"))
    var node: String?
    @Option(name: .customLong("id"), help: ArgumentHelp("Store event id(s), comma-separated (as alerts and timelines name them: #ID).", valueName: "ids"))
    var ids: String?
    @Option(name: .long, help: ArgumentHelp("Source(s): audit, lsm or tracepoint; repeat or comma-separate.", valueName: "source"))
    var source: [String] = []
    @Option(name: .long, help: ArgumentHelp("Sensor hook or tracepoint (bprm_check_security, file_open, sys_enter, …) or its record type (LSM_EXEC, …); repeat or comma-separate.", valueName: "hook"))
    var hook: [String] = []
    @OptionGroup var time: TimeOptions
    @OptionGroup var containerOptions: ContainerOptions
    @Flag(name: [.customShort("w"), .customLong("word")], help: "String filters match whole values only.")
    var word = false

    @Flag(name: [.customShort("i"), .long], help: "Interpret numeric values (names for uids, syscalls, …), as ausearch -i.")
    var interpret = false
    @Flag(name: [.customShort("r"), .long], help: "Print the stored records exactly (same as --format raw).")
    var raw = false
    @Option(name: .long, help: ArgumentHelp("Output: text, raw, json or csv.", valueName: "format"))
    var format: OutputFormat = .text
    @Option(name: .long, help: ArgumentHelp("Print at most this many events.", valueName: "n"))
    var limit: Int?

    func validate() throws {
        if let success, !["yes", "no"].contains(success) { throw ValidationError("-sv takes yes or no") }
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
        if let syscall, Int64(syscall) == nil, AuditNames.syscallNumber(syscall) == nil {
            throw ValidationError("unknown system call '\(syscall)'")
        }
        if let message {
            for t in message.split(separator: ",") where AuditNames.recordType(named: String(t)) == nil {
                throw ValidationError("unknown record type '\(t)'")
            }
        }
        for name in Self.list(source) where EventSource(rawValue: name.lowercased()) == nil {
            throw ValidationError("--source: unknown source '\(name)' (audit, lsm or tracepoint)")
        }
        for name in Self.list(hook) where SensorKinds.kinds(matching: name).isEmpty {
            throw ValidationError("--hook: unknown hook '\(name)' (\(Self.hookNames))")
        }
        for (flag, v) in [("-ui", uid), ("-ue", euid), ("-ul", loginuid), ("-ua", uidAll)] {
            if let v, Self.userID(v) == nil { throw ValidationError("\(flag): unknown user '\(v)'") }
        }
    }

    func run() throws {
        var filter = EventFilter()
        filter.key = key
        filter.pid = pid
        filter.ppid = ppid
        filter.uid = uid.flatMap(Self.userID)
        filter.euid = euid.flatMap(Self.userID)
        filter.loginuid = loginuid.flatMap(Self.userID)
        filter.anyUid = uidAll.flatMap(Self.userID)
        filter.gid = gid
        filter.executable = executable
        filter.comm = comm
        filter.file = file
        filter.messageTypes = message.map { $0.split(separator: ",").map { $0.uppercased() } } ?? []
        filter.syscall = syscall.flatMap { Int64($0) ?? AuditNames.syscallNumber($0) }
        filter.success = success.map { $0 == "yes" }
        filter.exit = exit
        filter.session = session
        filter.serial = serial
        if let ids {
            let list = ids.split(separator: ",").map { Int64($0.trimmingCharacters(in: CharacterSet(charactersIn: " #"))) }
            guard !list.isEmpty, list.allSatisfy({ $0 != nil && $0! > 0 }) else {
                throw ValidationError("--id takes store event ids (positive numbers), comma-separated")
            }
            filter.ids = list.map { $0! }
        }
        filter.node = node
        filter.exact = word
        filter.sources = Set(Self.list(source).compactMap { EventSource(rawValue: $0.lowercased()) })
        filter.hooks = Self.list(hook).flatMap(SensorKinds.kinds(matching:))
        let sink = OutputSink()
        var matched = 0
        do {
            try time.apply(to: &filter)
            let store = try storeOptions.open(.read)
            let containers = try store.pool.read(ContainerIndex.load)
            try containerOptions.apply(to: &filter, index: containers)
            let reader = EventReader(store: store)
            let formatter = EventFormatter(format: raw ? .raw : format, interpret: interpret, sink: sink, reader: reader)
            formatter.containers = containers
            formatter.begin()
            do {
                if formatter.format == .raw {
                    // Only each event's place in its block is read.
                    try reader.forEachRaw(filter, limit: limit) { records in
                        sink.write(records)
                        matched += 1
                        if sink.closed { throw OutputClosed() }
                    }
                } else {
                    try reader.forEach(filter, limit: limit, paths: formatter.needsPaths) { event, db in
                        try formatter.write(event, db)
                        matched += 1
                    }
                }
            } catch is OutputClosed {
                // The reader of our output went away (`| head`): stop quietly.
            }
            sink.flush()
        } catch {
            sink.flush()
            throw Failure.exit(error)
        }
        if matched == 0 { throw Failure.exit("<no matches>", code: .failed) }
    }

    /// Values of a repeatable option that also takes comma lists.
    static func list(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
    }

    static var hookNames: String {
        var seen: [String] = []
        for kind in SensorKinds.all where !seen.contains(kind.hook) { seen.append(kind.hook) }
        return seen.joined(separator: ", ")
    }

    /// A number, or a user name from the passwd database, as ausearch takes them.
    static func userID(_ s: String) -> Int64? {
        if let n = Int64(s) { return n }
        guard let pw = getpwnam(s) else { return nil }
        return Int64(pw.pointee.pw_uid)
    }
}

extension OutputFormat: ExpressibleByArgument {}
