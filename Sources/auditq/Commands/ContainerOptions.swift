import ArgumentParser
import AuditCLI
import AuditQuery
import AuditStore

/// --container, --pod, --image, --host-only: the events of some containers,
/// or of the host alone. Shared by search, report, compliance and summary.
struct ContainerOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Events of a container: its full id, a unique id prefix (docker's 12 characters), or its name.", valueName: "id|name"))
    var container: String?
    @Option(name: .long, help: ArgumentHelp("Events of a Kubernetes pod's containers: its name, namespace/name, or uid.", valueName: "pod"))
    var pod: String?
    @Option(name: .long, help: ArgumentHelp("Events of containers of an image (name, or name without its tag).", valueName: "image"))
    var image: String?
    @Flag(name: .long, help: "Events not tied to any container.")
    var hostOnly = false

    /// The options as given, for commands a report prints.
    var arguments: [String] {
        var out: [String] = []
        for (flag, v) in [("--container", container), ("--pod", pod), ("--image", image)] {
            if let v { out += [flag, v] }
        }
        if hostOnly { out.append("--host-only") }
        return out
    }

    var isSet: Bool { container != nil || pod != nil || image != nil || hostOnly }

    func validate() throws {
        if hostOnly && (container != nil || pod != nil || image != nil) {
            throw ValidationError("--host-only excludes --container, --pod and --image")
        }
    }

    /// Narrows `filter` to the containers named; throws when a word names
    /// none (a clear line, exit 1, as ausearch's "<no matches>").
    func apply(to filter: inout EventFilter, index: ContainerIndex) throws {
        guard isSet else { return }
        if hostOnly {
            filter.containers = index.scope([], negated: true)
            return
        }
        var chosen = Set(index.entries.indices)
        for (flag, word, match) in [("--container", container, index.matching(_:)),
                                    ("--pod", pod, index.matching(pod:)),
                                    ("--image", image, index.matching(image:))] {
            guard let word else { continue }
            let found = match(word)
            if found.isEmpty {
                let why = index.entries.isEmpty ? " (the store knows no containers: see `auditq containers`)" : ""
                throw Failure.exit("\(flag) \(word): no such container\(why)", code: .failed)
            }
            chosen.formIntersection(found)
        }
        filter.containers = index.scope(chosen.sorted())
    }
}
