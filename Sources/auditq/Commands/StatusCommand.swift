import ArgumentParser
import AuditCLI
import AuditKernel
import AuditQuery
import AuditStore
import Foundation

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the collector's mode, rules, events stored, losses and coverage.",
        discussion: """
        Reads the store's ledger: each collector run (mode, start, stop or crash), the rule set loaded, \
        events stored and the last event's time, and every loss recorded (kernel lost counter rises, \
        socket overruns, missing audit serials, time no collector ran). Prints "complete from T1 to T2" \
        when there is none, else the list of gaps. As root it also shows the kernel's audit status. \
        Exit status 0, or 1 when the ledger shows loss.
        """)

    @OptionGroup var storeOptions: StoreOptions

    @Option(name: .long, help: ArgumentHelp("text or json.", valueName: "format"))
    var format: Format = .text

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    func run() throws {
        let status: CollectionStatus
        let chainShort: Bool
        do {
            let store = try storeOptions.open(.read)
            status = try CollectionStatus.read(store)
            chainShort = store.headProblem != nil
        } catch {
            throw Failure.exit(error)
        }
        let kernel = geteuid() == 0 ? (try? KernelAuditControl().status()) : nil
        switch format {
        case .text: print(StatusText.render(status, kernel: kernel, store: storeOptions.path), terminator: "")
        case .json: print(StatusJSON.render(status, kernel: kernel, store: storeOptions.path))
        }
        if !status.complete || chainShort { throw ExitStatus.failed.exitCode }
    }
}

/// The status as aligned lines a person reads at a glance.
enum StatusText {
    static func time(_ ms: Int64?) -> String {
        guard let ms else { return "an unknown time" }
        return EventFormatter.iso(ms)
    }

    static func render(_ s: CollectionStatus, kernel: KernelAuditStatus?, store: String) -> String {
        var out = ""
        func line(_ label: String, _ text: String) { out += label.padding(toLength: 11, withPad: " ", startingAt: 0) + text + "\n" }
        line("store", store)
        if let run = s.current {
            let who = "auditqd \(run.start?.version ?? "?"), pid \(run.start?.pid ?? 0), \(run.start?.mode ?? "?") mode, source \(run.source)"
            if run.end == .running {
                line("collector", "running since \(time(run.startedMs)) (\(who))")
            } else if run.end == .crashed {
                line("collector", "not running: started \(time(run.startedMs)) and ended without a stop row (\(who))")
            } else if let ended = run.endedMs {
                line("collector", "stopped at \(time(ended)) (\(run.stop?.reason ?? "stopped"); \(who))")
            } else {
                line("collector", "not running: started \(time(run.startedMs)), no stop row yet (\(who))")
            }
            if let start = run.start { line("", "kernel \(start.kernel), boot \(start.bootID)") }
            line("runs", "\(s.runs.count) collector run(s)\(s.imports > 0 ? ", \(s.imports) file import(s)" : "")")
        } else {
            line("collector", "never ran on this store\(s.imports > 0 ? " (\(s.imports) file import(s))" : "")")
        }
        if let rules = s.rules {
            let files = (rules.set?.files ?? []).map { ($0 as NSString).lastPathComponent }
            line("rules", "\(rules.count) rule(s) loaded \(time(rules.loadedMs)), sha256 \((rules.set?.sha256 ?? "").prefix(16))…")
            if !files.isEmpty { line("", files.joined(separator: " ")) }
        } else {
            line("rules", "none loaded by auditqd")
        }
        if let sensor = s.sensor {
            switch sensor.mode {
            case "lsm": line("sensor", "lsm: \(sensor.programs.count) BPF-LSM program(s), \(sensor.watchedPaths) watched path(s)")
            case "tracepoint": line("sensor", "tracepoint fallback: \(sensor.programs.count) program(s); BPF-LSM unavailable: \(sensor.reason)")
            default: line("sensor", "audit only: \(sensor.reason)")
            }
            for p in sensor.programs { line("", "id \(p.id)  \(p.section)  \(p.name)") }
            if sensor.mode != "audit only", let cgroups = sensor.cgroups {
                line("cgroups", cgroups == "reported" ? "every cgroup made is reported with its path (containers: auditq containers)"
                     : "found by walks only (\(cgroups)): a container that lives between two walks may go unnamed")
            }
            if let learning = sensor.learning {
                let full = s.learnFull > 0 ? "; its maps were full: \(s.learnFull) not kept" : ""
                line("learning", learning + full + (learning.hasPrefix("off") ? "" : "; auditq profile reads it"))
            } else if sensor.mode != "audit only" {
                line("learning", "off (auditqd --learn keeps the syscalls and capabilities each workload uses)")
            }
        }
        line("events", "\(s.events) stored" + (s.lastEventMs.map { "; last event \(time($0))" } ?? ""))
        line("lost", "\(s.missingSerials) missing serial(s), kernel lost counter +\(s.kernelLost), \(s.overruns) socket overrun(s)")
        if let span = s.span {
            if s.complete {
                line("coverage", "complete from \(time(span.from)) to \(time(span.to))")
            } else {
                line("coverage", "\(s.gaps.count) gap(s) between \(time(span.from)) and \(time(span.to)):")
                for gap in s.gaps { line("", "- " + describe(gap)) }
            }
        }
        if let k = kernel {
            line("kernel", "enabled \(k.enabled), audit pid \(k.pid), backlog \(k.backlog)/\(k.backlogLimit), wait \(k.backlogWaitTime) ms, lost \(k.lost), failure \(k.failure)")
        }
        return out
    }

    static func describe(_ gap: CollectionStatus.Gap) -> String {
        switch gap.kind {
        case .serials:
            let range = gap.firstSerial == gap.lastSerial ? "serial \(gap.firstSerial ?? 0)" : "serials \(gap.firstSerial ?? 0)–\(gap.lastSerial ?? 0)"
            return "\(range) missing (\(gap.count ?? 0)) before \(time(gap.toMs))"
        case .kernelLost:
            return "kernel lost \(gap.count ?? 0) record(s) at \(time(gap.fromMs))"
        case .overrun:
            return "socket overrun (\(gap.count ?? 0)) at \(time(gap.fromMs)): records dropped for the collector"
        case .unreadLog:
            return "log text not read at \(time(gap.fromMs)): \(gap.detail ?? "")"
        case .skippedLine:
            return "a line that is not an audit record passed over at \(time(gap.fromMs)): \(gap.detail ?? "")"
        case .sensorDrop:
            return "BPF ring buffer full at \(time(gap.fromMs)): \(gap.count ?? 0) sensor event(s) dropped"
        case .notCollecting:
            let why = gap.detail.map { " (\($0))" } ?? ""
            guard gap.toMs != nil else { return "not collecting since \(time(gap.fromMs))\(why)" }
            return "not collecting from \(time(gap.fromMs)) to \(time(gap.toMs))\(why)"
        case .storeFull:
            return "store's disk full from \(time(gap.fromMs)) to \(time(gap.toMs)): the collector waited (\(gap.detail ?? ""))"
        }
    }
}

/// The same facts as one JSON object.
enum StatusJSON {
    static func render(_ s: CollectionStatus, kernel: KernelAuditStatus?, store: String) -> String {
        var o: [String: Any] = ["store": store, "events": s.events, "complete": s.complete,
                                "missing_serials": s.missingSerials, "kernel_lost": s.kernelLost, "socket_overruns": s.overruns,
                                "imports": s.imports]
        o["last_event"] = s.lastEventMs.map(EventFormatter.iso)
        if let span = s.span { o["from"] = EventFormatter.iso(span.from); o["to"] = EventFormatter.iso(span.to) }
        o["runs"] = s.runs.map { r -> [String: Any] in
            var run: [String: Any] = ["source": r.source, "started": EventFormatter.iso(r.startedMs),
                                      "running": r.end == .running, "crashed": r.end == .crashed]
            run["ended"] = r.endedMs.map(EventFormatter.iso)
            run["mode"] = r.start?.mode
            run["pid"] = r.start?.pid
            run["version"] = r.start?.version
            run["boot_id"] = r.start?.bootID
            run["kernel"] = r.start?.kernel
            run["stop_reason"] = r.stop?.reason
            return run
        }
        if let rules = s.rules {
            o["rules"] = ["count": rules.count, "sha256": rules.set?.sha256 ?? "", "files": rules.set?.files ?? [],
                          "loaded": EventFormatter.iso(rules.loadedMs)] as [String: Any]
        }
        o["gaps"] = s.gaps.map { g -> [String: Any] in
            var gap: [String: Any] = ["kind": g.kind.rawValue, "description": StatusText.describe(g)]
            gap["from"] = g.fromMs.map(EventFormatter.iso)
            gap["to"] = g.toMs.map(EventFormatter.iso)
            gap["count"] = g.count
            gap["first_serial"] = g.firstSerial
            gap["last_serial"] = g.lastSerial
            return gap
        }
        if let sensor = s.sensor {
            o["sensor"] = ["mode": sensor.mode, "reason": sensor.reason, "boot_id": sensor.bootID, "watched_paths": sensor.watchedPaths,
                           "cgroups": sensor.cgroups ?? NSNull(), "learning": sensor.learning ?? NSNull(),
                           "programs": sensor.programs.map { ["name": $0.name, "section": $0.section, "id": $0.id] as [String: Any] }] as [String: Any]
            o["sensor_drops"] = s.sensorDrops
            o["learn_full"] = s.learnFull
        }
        if let k = kernel {
            o["kernel_status"] = ["enabled": k.enabled, "pid": k.pid, "backlog": k.backlog, "backlog_limit": k.backlogLimit,
                                  "backlog_wait_time": k.backlogWaitTime, "lost": k.lost, "failure": k.failure]
        }
        let data = (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
