import AuditContainers
import AuditQuery
import AuditStore

/// Where `auditq tree` and `auditq timeline` show a process crossing into or
/// out of a container: the container of a process (at its start) or of an
/// event, by the store's ContainerIndex.
struct ContainerMarks {
    var index = ContainerIndex()

    func container(of p: ProcessTree.Instance) -> Container? {
        index.container(pid: p.pid, atMs: p.startMs).map { index.entries[$0].container }
    }

    func container(of e: StoredEvent) -> Container? {
        index.container(of: e).map { index.entries[$0].container }
    }

    /// "  [enters container …]" when `p` is in another container than its
    /// parent, "  [leaves container …]" when its parent was in one and it
    /// is not; empty otherwise.
    func text(_ p: ProcessTree.Instance, parent: ProcessTree.Instance?) -> String {
        guard !index.entries.isEmpty else { return "" }
        let mine = container(of: p), theirs = parent.flatMap(container(of:))
        if let mine, mine != theirs { return "  [enters container \(Self.name(mine))]" }
        if mine == nil, let theirs { return "  [leaves container \(Self.name(theirs))]" }
        return ""
    }

    /// "docker 0123456789ab (web)"
    static func name(_ c: Container) -> String {
        "\(c.runtime.rawValue) \(c.id.prefix(12))" + (c.name.map { " (\($0))" } ?? "")
    }

    static func json(_ c: Container) -> String {
        var o = "{\"id\":" + JSONText.quoted(c.id) + ",\"runtime\":" + JSONText.quoted(c.runtime.rawValue)
        if let name = c.name { o += ",\"name\":" + JSONText.quoted(name) }
        if let image = c.image { o += ",\"image\":" + JSONText.quoted(image) }
        return o + "}"
    }
}
