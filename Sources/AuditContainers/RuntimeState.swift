import Foundation

/// The state directories runc and crun keep for each container they run.
/// A container started with plain runc or crun has whatever cgroup path its
/// caller chose, so no `CgroupLayout` rule can name it: its state file is
/// where its id, bundle and cgroup are written down.
///
/// runc writes `<root>/<id>/state.json`: "id", "init_process_pid",
/// "config" { "labels": ["bundle=<dir>", …], "cgroups": { "path", or with
/// the systemd driver "parent", "scope_prefix", "name" } }, and
/// "cgroup_paths" { "": v2 mount path, "<controller>": v1 mount path }.
/// crun writes `<root>/<id>/status` (the id is the directory's name):
/// "pid", "cgroup-path" (relative to the hierarchy root), "bundle",
/// "systemd-cgroup", "scope"; beside it a copy of the bundle's config.json.
public struct RuntimeState {
    /// A runtime's state root: one directory per container below it.
    public struct Root: Sendable, Equatable {
        /// The root directory. A component that is exactly "*" stands for
        /// every directory at that level (containerd's namespaces, the
        /// uids under /run/user).
        public var directory: String
        /// `.runc` or `.crun`: which state file the entries hold.
        public var runtime: ContainerRuntime

        public init(directory: String, runtime: ContainerRuntime) {
            self.directory = directory; self.runtime = runtime
        }

        /// Where runc and crun keep state when run by hand, by docker
        /// (runc's root "moby" under docker's own run dir), by containerd's
        /// shim (one directory per containerd namespace), and rootless (in
        /// $XDG_RUNTIME_DIR).
        public static let defaults: [Root] = [
            Root(directory: "/run/runc", runtime: .runc),
            Root(directory: "/run/crun", runtime: .crun),
            Root(directory: "/run/docker/runtime-runc/moby", runtime: .runc),
            Root(directory: "/run/containerd/runc/*", runtime: .runc),
            Root(directory: "/run/user/*/runc", runtime: .runc),
            Root(directory: "/run/user/*/crun", runtime: .crun),
        ]
    }

    /// One container in a state root.
    public struct Entry: Sendable, Equatable {
        public var runtime: ContainerRuntime
        /// The id the container was created with (runc's "id", crun's directory name).
        public var id: String
        /// The bundle directory (its config.json is the container's OCI spec).
        public var bundle: String?
        /// The container's cgroups as v2 paths relative to the hierarchy root
        /// ("/auditq-test/x1"); on a hybrid host, v1 controllers' paths too
        /// when they differ.
        public var cgroupPaths: [String]
        /// The state file this entry was read from.
        public var stateFile: String
        /// The container's init process, as the runtime recorded it.
        public var initPid: Int32?

        public init(runtime: ContainerRuntime, id: String, bundle: String?, cgroupPaths: [String], stateFile: String, initPid: Int32?) {
            self.runtime = runtime; self.id = id; self.bundle = bundle; self.cgroupPaths = cgroupPaths
            self.stateFile = stateFile; self.initPid = initPid
        }
    }

    /// Every container with a readable state file under `roots`. Missing
    /// roots and malformed or half-written state files are skipped: the
    /// runtimes create and delete these while we read.
    public static func scan(roots: [Root] = Root.defaults) -> [Entry] {
        roots.flatMap { root in
            expand(root.directory).flatMap { directory in
                subdirectories(of: directory).compactMap { id in
                    switch root.runtime {
                    case .crun: crunEntry(directory: directory + "/" + id)
                    default: runcEntry(directory: directory + "/" + id)
                    }
                }
            }
        }
    }

    /// The container whose state is in `directory` (a root's `<id>`
    /// directory), or nil when its state file is missing or not complete.
    public static func entry(directory: String, runtime: ContainerRuntime) -> Entry? {
        runtime == .crun ? crunEntry(directory: directory) : runcEntry(directory: directory)
    }

    /// The directories `root` names now (its "*" components expanded).
    public static func directories(of root: Root) -> [String] {
        expand(root.directory)
    }

    /// The container whose cgroup holds `path` (a v2 path relative to the
    /// hierarchy root), or nil. A sub-cgroup of a container's cgroup is
    /// that container's; when several match, the deepest cgroup wins.
    public static func entry(forCgroup path: String, roots: [Root] = Root.defaults) -> Entry? {
        var best: (entry: Entry, depth: Int)?
        for entry in scan(roots: roots) {
            for cgroup in entry.cgroupPaths where cgroup != "/" && (path == cgroup || path.hasPrefix(cgroup + "/")) {
                if cgroup.count > best?.depth ?? -1 { best = (entry, cgroup.count) }
            }
        }
        return best?.entry
    }

    // MARK: - State files

    private struct RuncStateFile: Decodable {
        var id: String?
        var initProcessPid: Int32?
        var rootless: Bool?
        var config: Config?
        var cgroupPaths: [String: String]?
        enum CodingKeys: String, CodingKey {
            case id, rootless, config
            case initProcessPid = "init_process_pid", cgroupPaths = "cgroup_paths"
        }

        struct Config: Decodable {
            var labels: [String]?
            var cgroups: Cgroups?
        }

        struct Cgroups: Decodable {
            var path: String?
            var parent: String?
            var name: String?
            var scopePrefix: String?
            var systemd: Bool?
            enum CodingKeys: String, CodingKey {
                case path, parent, name
                case scopePrefix = "scope_prefix", systemd = "Systemd"
            }
        }
    }

    private struct CrunStatusFile: Decodable {
        var pid: Int32?
        var cgroupPath: String?
        var bundle: String?
        enum CodingKeys: String, CodingKey {
            case pid, bundle
            case cgroupPath = "cgroup-path"
        }
    }

    private static func runcEntry(directory: String) -> Entry? {
        let stateFile = directory + "/state.json"
        guard let data = FileManager.default.contents(atPath: stateFile),
              let state = try? JSONDecoder().decode(RuncStateFile.self, from: data) else { return nil }
        // runc keeps the bundle only as a label, "bundle=<dir>", beside the
        // spec's annotations (which it stores as "key=value" labels too).
        let bundle = state.config?.labels?.last { $0.hasPrefix("bundle=") }.map { String($0.dropFirst("bundle=".count)) }

        // cgroup_paths holds where runc really put the container; the
        // configured path is the fallback (older runc, or a state written
        // before the cgroup was made).
        var paths: [String] = []
        for (controller, mounted) in (state.cgroupPaths ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let path = cgroupPath(mountedAt: mounted, controller: controller), !paths.contains(path) {
                paths.append(path)
            }
        }
        if paths.isEmpty, let cgroups = state.config?.cgroups {
            if let name = cgroups.name, cgroups.systemd == true || cgroups.parent != nil || cgroups.scopePrefix?.isEmpty == false {
                let parent = cgroups.parent ?? (state.rootless == true ? "user.slice" : "system.slice")
                if let path = cgroupPath(fromCgroupsPath: "\(parent):\(cgroups.scopePrefix ?? ""):\(name)") { paths.append(path) }
            } else if let configured = cgroups.path, let path = cgroupPath(fromCgroupsPath: configured) {
                paths.append(path)
            }
        }
        let id = state.id ?? (directory as NSString).lastPathComponent
        return Entry(runtime: .runc, id: id, bundle: bundle, cgroupPaths: paths, stateFile: stateFile, initPid: state.initProcessPid)
    }

    private static func crunEntry(directory: String) -> Entry? {
        let stateFile = directory + "/status"
        guard let data = FileManager.default.contents(atPath: stateFile),
              let status = try? JSONDecoder().decode(CrunStatusFile.self, from: data) else { return nil }
        let paths = status.cgroupPath.flatMap { $0.isEmpty ? nil : cgroupPath(fromCgroupsPath: $0) }.map { [$0] } ?? []
        return Entry(runtime: .crun, id: (directory as NSString).lastPathComponent, bundle: status.bundle,
                     cgroupPaths: paths, stateFile: stateFile, initPid: status.pid)
    }

    // MARK: - Cgroup paths

    /// A cgroup path as a runtime was given or recorded it, as a path
    /// relative to the hierarchy root. Takes the three forms runtimes use:
    /// a path already relative to the root ("/a/b"), a mounted path
    /// ("/sys/fs/cgroup/a/b", "/sys/fs/cgroup/unified/a/b" on a hybrid
    /// host), and the systemd driver's "slice:prefix:name", which systemd
    /// turns into "/<expanded slice>/<prefix>-<name>.scope".
    static func cgroupPath(fromCgroupsPath given: String) -> String? {
        if !given.hasPrefix("/") {
            let parts = given.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            if parts.count == 3 {
                guard let slice = expandSlice(parts[0].isEmpty ? "system.slice" : parts[0]), !parts[2].isEmpty else { return nil }
                // runc's unit name: a name that is itself a slice is used as
                // is; anything else becomes a scope, prefix and name joined
                // by a dash.
                let unit = parts[2].hasSuffix(".slice") ? parts[2] : "\(parts[1])-\(parts[2]).scope"
                return slice + "/" + unit
            }
            // The OCI spec leaves a relative cgroupsPath's anchor to the
            // runtime; runc and crun anchor it at the hierarchy root.
            return trimmed("/" + given)
        }
        if given == "/sys/fs/cgroup" || given.hasPrefix("/sys/fs/cgroup/") {
            return cgroupPath(mountedAt: given, controller: "")
        }
        return trimmed(given)
    }

    /// A path under a cgroup mount, relative to that hierarchy's root:
    /// `controller` is "" for the v2 hierarchy (at /sys/fs/cgroup, or
    /// /sys/fs/cgroup/unified on a hybrid host) and a v1 controller's name
    /// otherwise (its hierarchy is the first directory under /sys/fs/cgroup).
    static func cgroupPath(mountedAt mounted: String, controller: String) -> String? {
        var components = mounted.split(separator: "/").map(String.init)
        guard components.starts(with: ["sys", "fs", "cgroup"]) else { return nil }
        components.removeFirst(3)
        if controller.isEmpty {
            if components.first == "unified" { components.removeFirst() }
        } else {
            guard !components.isEmpty else { return nil }
            components.removeFirst()
        }
        return "/" + components.joined(separator: "/")
    }

    /// systemd's slice naming: each dash in a slice's name is one level, so
    /// "kubepods-besteffort.slice" is "/kubepods.slice/kubepods-besteffort.slice";
    /// "-.slice" is the root. Nil for what systemd would refuse.
    static func expandSlice(_ slice: String) -> String? {
        guard slice.hasSuffix(".slice"), !slice.contains("/") else { return nil }
        let name = slice.dropLast(".slice".count)
        if name == "-" { return "" }
        guard !name.isEmpty, !name.hasPrefix("-"), !name.hasSuffix("-"), !name.contains("--") else { return nil }
        var path = "", prefix = ""
        for part in name.split(separator: "-") {
            prefix = prefix.isEmpty ? String(part) : prefix + "-" + part
            path += "/" + prefix + ".slice"
        }
        return path
    }

    private static func trimmed(_ path: String) -> String {
        var path = path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }

    // MARK: - Directories

    /// The directories a root names, each "*" component expanded one level.
    private static func expand(_ pattern: String) -> [String] {
        var found = [""]
        for component in pattern.split(separator: "/") {
            found = found.flatMap { prefix in
                component == "*" ? subdirectories(of: prefix.isEmpty ? "/" : prefix).map { prefix + "/" + $0 }
                                 : [prefix + "/" + component]
            }
        }
        return found.filter { isDirectory($0) }
    }

    private static func subdirectories(of directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.sorted().filter { isDirectory(directory + "/" + $0) }
    }

    private static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }
}
