import ArgumentParser
import AuditCLI
import AuditContainers
import AuditQuery
import AuditStore
import Foundation

struct ContainersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "containers",
        abstract: "List the containers seen: runtime, image, first and last event, events, and what their bundle grants.",
        discussion: """
        A container is known from its cgroup (the sensor stamps every event with its cgroup id; the collector \
        records each cgroup's path and names the runtime from it) and from what its runtime left on disk (the \
        OCI bundle's config.json, docker's config.v2.json and hostconfig.json, /run/systemd/machines). GRANTS \
        is the bundle audit: privileged, host namespaces, capabilities beyond docker's default 14, host paths \
        mounted in, seccomp off. Audit events carry no cgroup: they are tied to a container through the \
        sensor's facts about their process, so a store of imported audit.log files has no containers. \
        With -ts/-te, only containers with events in the window.
        """)

    @OptionGroup var storeOptions: StoreOptions
    @OptionGroup var time: TimeOptions

    @Option(name: .long, help: ArgumentHelp("text or json.", valueName: "format"))
    var format: Format = .text
    @Flag(name: .long, help: "Full container ids in text (JSON always has them).")
    var noTrunc = false

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    func run() throws {
        let report: ContainerReport
        do {
            let store = try storeOptions.open(.read)
            var filter = EventFilter()
            try time.apply(to: &filter)
            report = try ContainerReport.compute(store, filter: filter)
        } catch {
            throw Failure.exit(error)
        }
        switch format {
        case .text: print(text(report), terminator: "")
        case .json: print(json(report))
        }
    }

    private func text(_ r: ContainerReport) -> String {
        var out = ""
        if r.sensorEvents == 0 {
            out += "No sensor events\(time.start.isEmpty && time.end.isEmpty ? "" : " in this window"): audit records carry no cgroup, so no event here can be tied to a container"
            out += r.importedFiles > 0 ? " (imported audit.log files never can).\n" : ".\n"
        } else if r.importedFiles > 0 {
            out += "Events imported from audit.log files (\(r.importedFiles) imports) carry no cgroup and are not tied to containers.\n"
        }
        guard !r.rows.isEmpty else {
            return out + "No containers seen.\n"
        }
        let header = ["CONTAINER ID", "RUNTIME", "NAME", "IMAGE", "POD", "FIRST EVENT", "LAST EVENT", "EVENTS", "AUDIT", "STATE", "GRANTS"]
        var table = [header]
        for row in r.rows {
            let c = row.container
            let pod = c.pod.map { p in [p.namespace, p.name].compactMap { $0 }.joined(separator: "/") } ?? ""
            table.append([
                noTrunc ? c.id : String(c.id.prefix(12)), c.runtime.rawValue, c.name ?? "-", c.image ?? "-", pod.isEmpty ? "-" : pod,
                row.firstEventMs.map(EventFormatter.iso) ?? "-", row.lastEventMs.map(EventFormatter.iso) ?? "-",
                String(row.events), String(row.auditEvents),
                row.removedMs.map { "gone " + EventFormatter.iso($0) } ?? "seen",
                c.grants.map { $0.summary.joined(separator: "; ") } ?? "not read",
            ])
        }
        let widths = header.indices.map { i in table.map { $0[i].count }.max() ?? 0 }
        for line in table {
            out += line.enumerated().map { i, v in i == line.count - 1 ? v : v.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ") + "\n"
        }
        let notes = r.rows.flatMap { row in row.container.notes.map { "\(row.container.id.prefix(12)): \($0)" } }
        if !notes.isEmpty { out += "\nNotes:\n" + notes.map { "  \($0)\n" }.joined() }
        return out
    }

    private func json(_ r: ContainerReport) -> String {
        struct Out: Encodable {
            var container: Container
            var cgroups: [String]
            var firstSeen: String
            var removed: String?
            var events: Int64
            var auditEvents: Int64
            var firstEvent: String?
            var lastEvent: String?
            enum CodingKeys: String, CodingKey {
                case container, cgroups, firstSeen = "first_seen", removed, events, auditEvents = "audit_events"
                case firstEvent = "first_event", lastEvent = "last_event"
            }
        }
        struct Report: Encodable {
            var containers: [Out]
            var sensorEvents: Int64
            var importedFiles: Int
            enum CodingKeys: String, CodingKey { case containers, sensorEvents = "sensor_events", importedFiles = "imports" }
        }
        let report = Report(containers: r.rows.map { row in
            Out(container: row.container, cgroups: row.cgroups.map(\.path), firstSeen: EventFormatter.iso(row.firstSeenMs),
                removed: row.removedMs.map(EventFormatter.iso), events: row.events, auditEvents: row.auditEvents,
                firstEvent: row.firstEventMs.map(EventFormatter.iso), lastEvent: row.lastEventMs.map(EventFormatter.iso))
        }, sensorEvents: r.sensorEvents, importedFiles: r.importedFiles)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(report)) ?? Data(), as: UTF8.self)
    }
}
