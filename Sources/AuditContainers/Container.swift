/// What auditq knows about one container: who runs it (from its cgroup
/// path), and what the runtime left on disk about it (name, image, pod,
/// labels, and what its bundle grants). Stored as the JSON of a ledger row,
/// so the property names are a stored format: they never change.
public struct Container: Codable, Sendable, Equatable {
    /// The runtime's own id: 64 hex for docker, containerd, CRI-O and
    /// podman; the container name for runc/crun, nspawn and LXC.
    public var id: String
    public var runtime: ContainerRuntime
    public var name: String?
    public var image: String?
    public var pod: Pod?
    public var labels: [String: String]?
    /// What the bundle grants beyond a default container (nil: not read).
    public var grants: Grants?
    /// The files the metadata came from, in the order read.
    public var sources: [String]
    /// What could not be read, and why (missing or malformed files).
    public var notes: [String]

    public init(id: String, runtime: ContainerRuntime, name: String? = nil, image: String? = nil, pod: Pod? = nil,
                labels: [String: String]? = nil, grants: Grants? = nil, sources: [String] = [], notes: [String] = []) {
        self.id = id; self.runtime = runtime; self.name = name; self.image = image; self.pod = pod
        self.labels = labels; self.grants = grants; self.sources = sources; self.notes = notes
    }

    /// A Kubernetes pod, from CRI annotations (containerd, CRI-O) or the
    /// kubepods cgroup path (uid only).
    public struct Pod: Codable, Sendable, Equatable {
        public var name: String?
        public var namespace: String?
        public var uid: String?
        public init(name: String? = nil, namespace: String? = nil, uid: String? = nil) {
            self.name = name; self.namespace = namespace; self.uid = uid
        }
    }

    /// The "bundle audit": what the container's configuration grants that a
    /// default container does not have.
    public struct Grants: Codable, Sendable, Equatable {
        /// Privileged (docker/podman HostConfig.Privileged, or an OCI bundle
        /// whose bounding set holds every capability).
        public var privileged: Bool
        /// Namespaces shared with the host (an OCI bundle that omits one of
        /// pid, net, ipc, uts, mount, user, cgroup, or names a host path for
        /// it; docker's PidMode/NetworkMode/IpcMode/UTSMode "host").
        public var hostNamespaces: [String]
        /// Capabilities beyond docker's default 14 (CAP_ names, sorted).
        public var addedCapabilities: [String]
        /// Host paths bind-mounted in, with the container path: "/src:/dst" (":ro" when read-only).
        public var hostMounts: [String]
        /// No seccomp filter (OCI linux.seccomp absent, or docker
        /// SecurityOpt "seccomp=unconfined").
        public var seccompOff: Bool
        /// Runs as uid 0 inside (process.user.uid 0 / docker Config.User empty or "root"/"0").
        public var runsAsRoot: Bool?
        /// Every capability of the bounding set (CAP_ names, sorted); nil in
        /// rows written before it was recorded.
        public var capabilities: [String]?
        /// How many syscall names the seccomp filter allows (nil: no filter,
        /// or a default action that allows, or not recorded).
        public var seccompAllowed: Int?

        public init(privileged: Bool = false, hostNamespaces: [String] = [], addedCapabilities: [String] = [],
                    hostMounts: [String] = [], seccompOff: Bool = false, runsAsRoot: Bool? = nil,
                    capabilities: [String]? = nil, seccompAllowed: Int? = nil) {
            self.privileged = privileged; self.hostNamespaces = hostNamespaces; self.addedCapabilities = addedCapabilities
            self.hostMounts = hostMounts; self.seccompOff = seccompOff; self.runsAsRoot = runsAsRoot
            self.capabilities = capabilities; self.seccompAllowed = seccompAllowed
        }

        /// Nothing beyond a default container.
        public var isDefault: Bool {
            !privileged && hostNamespaces.isEmpty && addedCapabilities.isEmpty && hostMounts.isEmpty && !seccompOff
        }
    }
}

/// The runtimes whose cgroup layouts auditq knows (`CgroupLayout`).
public enum ContainerRuntime: String, Codable, Sendable, CaseIterable {
    case docker
    /// containerd's CRI plugin (Kubernetes), or containerd with its own clients.
    case containerd
    case crio = "cri-o"
    case podman
    case runc
    case crun
    /// systemd-nspawn (and machinectl): the id is the machine name.
    case nspawn = "systemd-nspawn"
    case lxc
}

/// What a cgroup path says by itself: whose container it holds, or that it
/// is a runtime's monitor (conmon), which is not the container.
public struct CgroupIdentity: Sendable, Equatable {
    public enum Role: String, Sendable, Equatable { case container, monitor }
    public var runtime: ContainerRuntime
    /// Full id (64 hex) or name, as the runtime names the container.
    public var id: String
    public var role: Role
    /// A rootless runtime (under user@UID.service).
    public var rootless: Bool
    /// The Kubernetes pod uid the path names (kubepods), if any.
    public var podUID: String?

    public init(runtime: ContainerRuntime, id: String, role: Role = .container, rootless: Bool = false, podUID: String? = nil) {
        self.runtime = runtime; self.id = id; self.role = role; self.rootless = rootless; self.podUID = podUID
    }
}
