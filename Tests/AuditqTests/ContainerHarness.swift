import Foundation

/// A runtime layout under test: where its cgroup sits and which metadata
/// files it leaves on disk.
enum ContainerLayout: CaseIterable {
    /// "/docker/<id>"; /var/lib/docker/containers/<id>/{config.v2.json,hostconfig.json}.
    case dockerCgroupfs
    /// "/system.slice/docker-<id>.scope"; the same files.
    case dockerSystemd
    /// "/kubepods.slice/…/cri-containerd-<id>.scope"; the shim's bundle with io.kubernetes.cri.* annotations.
    case containerdCRI
    /// "/kubepods.slice/…/crio-<id>.scope"; the bundle in CRI-O's run root with io.kubernetes.cri-o.* annotations.
    case crio
    /// "/machine.slice/libpod-<id>.scope"; the bundle in c/storage and its containers.json entry.
    case podman
    /// runc with a cgroup path of the caller's choosing; runc's own state in /run/runc.
    case runcPlain
    /// crun likewise; its state in /run/crun.
    case crunPlain
    /// "/machine.slice/machine-<name>.scope"; machined's /run/systemd/machines/<name>.
    case nspawn
    /// "/lxc.payload.<name>"; /var/lib/lxc/<name>/config.
    case lxc
}

/// A container the harness made: what its runtime would call it and where.
struct TestContainer {
    let layout: ContainerLayout
    /// The id the runtime uses: 64 hex digits, or the name for runc, crun,
    /// nspawn and LXC.
    let id: String
    /// The name the metadata gives (docker's Name without "/", the CRI
    /// container name, podman's name); for runc, crun, nspawn and LXC, the id.
    let name: String
    /// The image the metadata names: as given for docker, CRI, CRI-O and
    /// podman; nspawn's ROOT and LXC's lxc.rootfs.path are the rootfs
    /// directory; runc and crun record none (the given string, unwritten).
    let image: String
    /// The pod (CRI layouts only).
    let pod: (name: String, namespace: String, uid: String)?
    /// Relative to each hierarchy's root, as "0::" lines of /proc/PID/cgroup print it.
    let cgroupPath: String
    /// The id on the runtime's command line (unique per harness run).
    let runtimeName: String
    /// The files the harness wrote for it (the bundle's config.json and the runtime's own).
    let metadata: [String]
}

/// Runs real containers with runc or crun from a busybox rootfs, in the
/// cgroup paths different runtimes use, and writes each runtime's metadata
/// files where and as that runtime writes them. Everything it makes (files,
/// directories, cgroups, containers) it records, and `cleanUp()` removes
/// exactly that: a directory that existed before is never removed.
final class ContainerHarness {
    /// What the container may do beyond a default docker container (docker's
    /// default capabilities and a seccomp filter): written to hostconfig.json
    /// for docker, and for every layout into the bundle it runs from.
    struct Grants {
        var privileged = false
        var hostPID = false
        /// "NET_ADMIN" or "CAP_NET_ADMIN".
        var capAdd: [String] = []
        /// A read-write bind of a host path (source, destination).
        var hostMount: (String, String)? = nil
        var seccompUnconfined = false
        /// The exact capability set (bounding, effective, permitted) instead of docker's defaults.
        var capabilities: [String]? = nil
        /// The bundle's linux.seccomp object (a profile auditq wrote) instead of the default filter.
        var seccomp: [String: Any]? = nil
    }

    enum Failure: Error, CustomStringConvertible {
        case runtime(command: String, status: Int32, stderr: String)
        case timedOut(command: String, after: TimeInterval, out: String)
        case setup(String)

        var description: String {
            switch self {
            case let .runtime(command, status, stderr): return "\(command) exited \(status): \(stderr)"
            case let .timedOut(command, after, out): return "\(command) still running after \(Int(after)) s; its output so far: \(out)"
            case let .setup(why): return "container harness: \(why)"
            }
        }
    }

    // MARK: - Making

    /// Why containers cannot run here, or nil when they can.
    static func unavailable() -> String? {
        if geteuid() != 0 { return "running containers needs root" }
        guard TestSupport.which("runc") != nil else { return "no runc (apt-get install runc)" }
        guard TestSupport.which("crun") != nil else { return "no crun (apt-get install crun)" }
        guard FileManager.default.isExecutableFile(atPath: busybox) else { return "no \(busybox) (apt-get install busybox-static)" }
        if Cgroups.mounts().isEmpty { return "no cgroup hierarchy mounted" }
        if Cgroups.crunNeedsControllersHidden, TestSupport.which("unshare") == nil || TestSupport.which("mount") == nil {
            return "crun refuses this hybrid host unless run under unshare(1), which is missing"
        }
        return nil
    }

    private static let busybox = "/bin/busybox"
    private static let applets = ["sh", "sleep", "cat", "true", "echo", "mkdir", "ls", "touch", "chown", "rm", "head",
                                  "nslookup", "nc", "ln", "ping", "mount", "insmod", "nsenter", "arping"]

    let tag: String
    /// The harness's own directory: the shared rootfs, plain bundles, logs.
    let directory: URL
    var rootfs: String { directory.appendingPathComponent("rootfs").path }
    /// Distinguishes this harness's names and plain cgroups from any other run.
    private let nonce: String
    private let specTemplate: [String: Any]
    private let crunWrapped: Bool

    private var records: [String: Record] = [:]   // by runtimeName
    private var launched: [String] = []           // runtimeNames ever run, in order
    private var files = WrittenFiles()
    private var cgroupPaths: [String] = []
    private var cgroupAncestors: Set<String> = []  // absolute, made by our containers
    private var podmanListings: [String: Bool] = [:]  // containers.json → whether we created it

    init(tag: String) throws {
        if let why = Self.unavailable() { throw Failure.setup(why) }
        self.tag = Self.safeName(tag, limit: 12)
        nonce = Self.randomHex(bytes: 3)
        directory = TestSupport.temporaryDirectory("containers\(self.tag)")
        crunWrapped = Cgroups.crunNeedsControllersHidden
        let fm = FileManager.default
        let bin = directory.appendingPathComponent("rootfs/bin")
        try fm.createDirectory(at: bin, withIntermediateDirectories: true)
        try fm.copyItem(atPath: Self.busybox, toPath: bin.appendingPathComponent("busybox").path)
        for applet in Self.applets {
            try fm.createSymbolicLink(atPath: bin.appendingPathComponent(applet).path, withDestinationPath: "busybox")
        }
        let template = directory.appendingPathComponent("spec")
        try fm.createDirectory(at: template, withIntermediateDirectories: true)
        let spec = try TestSupport.run(TestSupport.which("runc")!, ["spec", "--bundle", template.path])
        guard spec.status == 0 else { throw Failure.runtime(command: "runc spec", status: spec.status, stderr: spec.stderr) }
        let data = try Data(contentsOf: template.appendingPathComponent("config.json"))
        guard let parsed = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Failure.setup("runc spec wrote no JSON object")
        }
        specTemplate = parsed
    }

    deinit { cleanUp() }

    /// Writes `layout`'s metadata files for a new container, as its runtime
    /// would; starts nothing.
    func make(_ layout: ContainerLayout, name: String, image: String = "busybox:1.36", grants: Grants = .init()) throws -> TestContainer {
        let plainName = "auditq-\(tag)-\(Self.safeName(name, limit: 16))-\(Self.randomHex(bytes: 3))"
        let hexID = Self.randomHex(bytes: 32)
        let id: String, cgroupPath: String, runtime: Runtime, bundle: String
        var pod: (name: String, namespace: String, uid: String)?
        switch layout {
        case .dockerCgroupfs, .dockerSystemd:
            id = hexID
            cgroupPath = layout == .dockerCgroupfs ? "/docker/\(id)" : "/system.slice/docker-\(id).scope"
            runtime = try runc(root: "/run/docker/runtime-runc/moby")
            bundle = "/run/containerd/io.containerd.runtime.v2.task/moby/\(id)"
        case .containerdCRI:
            id = hexID
            pod = Self.pod(for: name)
            let slice = "kubepods-besteffort-pod\(pod!.uid.replacingOccurrences(of: "-", with: "_")).slice"
            cgroupPath = "/kubepods.slice/kubepods-besteffort.slice/\(slice)/cri-containerd-\(id).scope"
            runtime = try runc(root: "/run/containerd/runc/k8s.io")
            bundle = "/run/containerd/io.containerd.runtime.v2.task/k8s.io/\(id)"
        case .crio:
            id = hexID
            pod = Self.pod(for: name)
            let slice = "kubepods-burstable-pod\(pod!.uid.replacingOccurrences(of: "-", with: "_")).slice"
            cgroupPath = "/kubepods.slice/kubepods-burstable.slice/\(slice)/crio-\(id).scope"
            runtime = try runc(root: "/run/runc")
            bundle = "/run/containers/storage/overlay-containers/\(id)/userdata"
        case .podman:
            id = hexID
            cgroupPath = "/machine.slice/libpod-\(id).scope"
            runtime = try runc(root: "/run/runc")
            bundle = "/var/lib/containers/storage/overlay-containers/\(id)/userdata"
        case .runcPlain, .crunPlain:
            id = plainName
            cgroupPath = "/auditq-test-\(nonce)/\(id)"
            runtime = try layout == .runcPlain ? runc(root: "/run/runc") : crun(root: "/run/crun")
            bundle = directory.appendingPathComponent("bundles/\(id)").path
        case .nspawn, .lxc:
            // Neither runs through runc for real: its runc state is kept
            // private so the host shows machined's or LXC's files only.
            id = plainName
            cgroupPath = layout == .nspawn ? "/machine.slice/machine-\(Self.unitNameEscaped(id)).scope" : "/lxc.payload.\(id)"
            runtime = try runc(root: directory.appendingPathComponent("state").path)
            bundle = directory.appendingPathComponent("bundles/\(id)").path
        }
        let (named, imaged): (String, String) = switch layout {
        case .runcPlain, .crunPlain: (id, image)
        case .nspawn, .lxc: (id, rootfs)
        default: (name, image)
        }
        var written = [bundle + "/config.json"]
        switch layout {
        case .dockerCgroupfs, .dockerSystemd:
            written += ["/var/lib/docker/containers/\(id)/config.v2.json", "/var/lib/docker/containers/\(id)/hostconfig.json"]
        case .podman: written.append(Self.podmanListing)
        case .nspawn: written.append("/run/systemd/machines/\(id)")
        case .lxc: written.append("/var/lib/lxc/\(id)/config")
        default: break
        }
        let container = TestContainer(layout: layout, id: id, name: named, image: imaged, pod: pod, cgroupPath: cgroupPath,
                                      runtimeName: id, metadata: written)
        let record = Record(container: container, runtime: runtime, bundle: bundle, grants: grants,
                            spec: bundleSpec(container, grants: grants), created: Date())
        try admit(record)
        try writeMetadata(record)
        if layout == .podman { try listInPodmanStorage(record) }
        return container
    }

    /// A plain runc container whose cgroup is a child of `outer`'s
    /// (`outer.cgroupPath + "/nested-<name>"`).
    func makeNested(in outer: TestContainer, name: String) throws -> TestContainer {
        let id = "auditq-\(tag)-\(Self.safeName(name, limit: 16))-\(Self.randomHex(bytes: 3))"
        let bundle = directory.appendingPathComponent("bundles/\(id)").path
        let container = TestContainer(layout: .runcPlain, id: id, name: id, image: "", pod: nil,
                                      cgroupPath: outer.cgroupPath + "/nested-\(Self.safeName(name, limit: 16))",
                                      runtimeName: id, metadata: [bundle + "/config.json"])
        let record = Record(container: container, runtime: try runc(root: "/run/runc"), bundle: bundle, grants: Grants(),
                            spec: bundleSpec(container, grants: Grants()), created: Date())
        try admit(record)
        try writeMetadata(record)
        return container
    }

    // MARK: - Running

    /// Runs `script` (busybox sh -c) in the container to its end, in the
    /// foreground; returns its exit status, stdout and stderr (the
    /// runtime's own complaints land in stderr too). Past `timeout` the
    /// runtime kills and deletes it, and this throws.
    func run(_ c: TestContainer, script: String, timeout: TimeInterval = 30) throws -> (status: Int32, out: String, err: String) {
        var record = try self.record(c)
        record.script = script
        record.running = true
        try writeMetadata(record)
        launched.append(c.runtimeName)
        let command = record.runtime.command(["run", "--bundle", record.bundle, c.runtimeName])
        let result = try Self.execute(command, timeout: timeout) {
            _ = try? Self.execute(record.runtime.command(["kill", c.runtimeName, "KILL"]), timeout: 10)
            _ = try? Self.execute(record.runtime.command(["delete", "-f", c.runtimeName]), timeout: 10)
        }
        record.running = false
        record.exitCode = result.status
        try writeMetadata(record)
        if result.timedOut { throw Failure.timedOut(command: command.joined(separator: " "), after: timeout, out: result.out) }
        return (result.status, result.out, result.err)
    }

    /// Starts the container detached running `script` (its stdio goes to a
    /// log file in the harness's directory); returns its init pid as the
    /// runtime reports it.
    @discardableResult
    func start(_ c: TestContainer, script: String) throws -> Int32 {
        var record = try self.record(c)
        record.script = script
        try writeMetadata(record)
        let log = directory.appendingPathComponent("\(c.runtimeName).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileHandle(forWritingTo: log)
        defer { try? output.close() }
        launched.append(c.runtimeName)
        let command = record.runtime.command(["run", "-d", "--bundle", record.bundle, c.runtimeName])
        let started = try Self.execute(command, timeout: 30, output: output) {}
        guard started.status == 0, !started.timedOut else {
            let said = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw Failure.runtime(command: command.joined(separator: " "), status: started.status, stderr: said)
        }
        guard let pid = try initPid(record) else {
            throw Failure.setup("\(record.runtime.name) state \(c.runtimeName) names no pid")
        }
        record.pid = pid
        record.running = true
        try writeMetadata(record)
        return pid
    }

    /// Creates `path` (an absolute path inside the container) from within
    /// the running container, through the runtime's exec.
    func touch(_ c: TestContainer, _ path: String) throws {
        let record = try self.record(c)
        let command = record.runtime.command(["exec", c.runtimeName, "/bin/busybox", "touch", path])
        let result = try Self.execute(command, timeout: 30) {}
        guard result.status == 0, !result.timedOut else {
            throw Failure.runtime(command: command.joined(separator: " "), status: result.status, stderr: result.err)
        }
    }

    /// Kills and deletes the container through its runtime; returns once
    /// the runtime no longer knows it and its init has ended (at most 20 s each).
    func stop(_ c: TestContainer) {
        guard var record = records[c.runtimeName] else { return }
        if record.runtime.knows(c.runtimeName) {
            _ = try? Self.execute(record.runtime.command(["kill", c.runtimeName, "KILL"]), timeout: 10)
            _ = try? Self.execute(record.runtime.command(["delete", "-f", c.runtimeName]), timeout: 10)
            TestSupport.wait(timeout: 20) {
                if !record.runtime.knows(c.runtimeName) { return true }
                _ = try? Self.execute(record.runtime.command(["delete", "-f", c.runtimeName]), timeout: 10)
                return false
            }
        }
        // An orphaned init stays a zombie on a host whose pid 1 does not
        // reap (this VM's): it has ended all the same.
        if let pid = record.pid {
            TestSupport.wait(timeout: 20) { kill(pid, 0) != 0 || Self.isZombie(pid) }
        }
        if record.running || record.pid != nil {
            record.running = false
            record.pid = nil
            record.exitCode = 137
            try? writeMetadata(record)
        }
    }

    /// Stops every container it ran, then removes what it made: cgroup
    /// directories in every hierarchy (deepest first, and the parents no
    /// one had before), the metadata files and the directories it created
    /// for them, and its own directory. Safe to call more than once.
    func cleanUp() {
        for name in launched.reversed() {
            if let record = records[name] { stop(record.container) }
        }
        launched.removeAll()
        let mounts = Cgroups.mounts()
        for path in cgroupPaths.sorted(by: { $0.count > $1.count }) {
            for mount in mounts { Cgroups.removeTree(mount + path) }
        }
        for directory in cgroupAncestors.sorted(by: { Self.depth($0) > Self.depth($1) }) {
            rmdir(directory)   // fails, harmlessly, when someone else's cgroup is in it
        }
        cgroupPaths.removeAll()
        cgroupAncestors.removeAll()
        for (listing, created) in podmanListings {
            try? Self.editPodmanListing(listing) { entries in
                entries.removeAll { entry in (entry["id"] as? String).map { self.records[$0] != nil } ?? false }
                return created && entries.isEmpty
            }
        }
        podmanListings.removeAll()
        files.removeAll()
        records.removeAll()
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: - Records

    private struct Record {
        var container: TestContainer
        var runtime: Runtime
        var bundle: String
        var grants: Grants
        var spec: [String: Any]
        var created: Date
        /// Stands in for what the runtime would derive once: the image's digest, machined's ID.
        let digest = ContainerHarness.randomHex(bytes: 32)
        var script = ""
        var pid: Int32?
        var running = false
        var exitCode: Int32 = 0
    }

    private func record(_ c: TestContainer) throws -> Record {
        guard let record = records[c.runtimeName] else { throw Failure.setup("\(c.runtimeName) was not made by this harness") }
        return record
    }

    /// Remembers the container and which of its cgroup's ancestors no
    /// hierarchy had yet: those the cleanup may remove.
    private func admit(_ record: Record) throws {
        let c = record.container
        guard records[c.runtimeName] == nil, !cgroupPaths.contains(c.cgroupPath) else {
            throw Failure.setup("\(c.layout) \(c.name) made twice")
        }
        records[c.runtimeName] = record
        cgroupPaths.append(c.cgroupPath)
        var ancestor = ""
        for component in c.cgroupPath.split(separator: "/").dropLast() {
            ancestor += "/" + component
            for mount in Cgroups.mounts() where !FileManager.default.fileExists(atPath: mount + ancestor) {
                cgroupAncestors.insert(mount + ancestor)
            }
        }
    }

    // MARK: - Runtimes

    /// runc or crun with a state root; crun on a hybrid host whose v2
    /// hierarchy has controllers runs in a private mount namespace that
    /// hides them (see `Cgroups.crunNeedsControllersHidden`).
    private struct Runtime {
        var name: String
        var executable: String
        var root: String
        var wrapped: Bool

        func command(_ arguments: [String]) -> [String] {
            let plain = [executable, "--root", root] + arguments
            guard wrapped else { return plain }
            return [TestSupport.which("unshare")!, "--mount", "--propagation", "private", "/bin/sh", "-c",
                    #"mount --bind /dev/null /sys/fs/cgroup/unified/cgroup.controllers && exec "$0" "$@""#] + plain
        }

        /// Whether its state root still holds the container.
        func knows(_ id: String) -> Bool {
            FileManager.default.fileExists(atPath: root + "/" + id)
        }
    }

    private func runc(root: String) throws -> Runtime {
        try files.makeDirectory(root)
        return Runtime(name: "runc", executable: TestSupport.which("runc")!, root: root, wrapped: false)
    }

    private func crun(root: String) throws -> Runtime {
        try files.makeDirectory(root)
        return Runtime(name: "crun", executable: TestSupport.which("crun")!, root: root, wrapped: crunWrapped)
    }

    private func initPid(_ record: Record) throws -> Int32? {
        let state = try Self.execute(record.runtime.command(["state", record.container.runtimeName]), timeout: 10)
        guard state.status == 0, let object = try? JSONSerialization.jsonObject(with: Data(state.out.utf8)) as? [String: Any],
              let pid = (object["pid"] as? NSNumber)?.int32Value, pid > 0 else { return nil }
        return pid
    }

    private static func isZombie(_ pid: Int32) -> Bool {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        // "pid (comm) S …": the state follows the last ")".
        return stat.split(separator: ")").last?.dropFirst().first == "Z"
    }

    private struct Outcome {
        var status: Int32
        var out: String
        var err: String
        var timedOut: Bool
    }

    /// Runs `command` to its end with stdin from /dev/null; stdout and
    /// stderr to `output` if given, else captured. Past `timeout`,
    /// `onTimeout` runs (the runtime's kill), then the process is given
    /// 10 s before SIGKILL by its pid.
    private static func execute(_ command: [String], timeout: TimeInterval, output: FileHandle? = nil,
                                onTimeout: () -> Void = {}) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.standardInput = FileHandle.nullDevice
        let out = output == nil ? Captured() : nil, err = output == nil ? Captured() : nil
        process.standardOutput = out?.pipe ?? output
        process.standardError = err?.pipe ?? output
        try process.run()
        let finished = TestSupport.wait(timeout: timeout) { !process.isRunning }
        if !finished {
            onTimeout()
            if !TestSupport.wait(timeout: 10, until: { !process.isRunning }) {
                kill(process.processIdentifier, SIGKILL)
            }
        }
        process.waitUntilExit()
        // A process the container left behind (no pid namespace) may hold
        // the pipe open: what came before its end is what there is.
        TestSupport.wait(timeout: 2) { (out?.ended ?? true) && (err?.ended ?? true) }
        return Outcome(status: process.terminationStatus, out: out?.text ?? "", err: err?.text ?? "", timedOut: !finished)
    }

    /// A pipe read as it fills, so a reader never blocks past the process.
    private final class Captured: @unchecked Sendable {
        let pipe = Pipe()
        private let lock = NSLock()
        private var data = Data()
        private var eof = false

        init() {
            pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let chunk = handle.availableData
                guard let self else { return }
                self.lock.lock(); defer { self.lock.unlock() }
                if chunk.isEmpty { self.eof = true; handle.readabilityHandler = nil } else { self.data.append(chunk) }
            }
        }

        var ended: Bool { lock.lock(); defer { lock.unlock() }; return eof }
        var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }

        deinit { pipe.fileHandleForReading.readabilityHandler = nil }
    }

    // MARK: - The OCI bundle

    /// docker's default capability set (moby's oci/caps/defaults.go), which
    /// podman and the CRI runtimes start from too.
    private static let defaultCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    /// Capability numbers 0…40 by name (linux/capability.h).
    private static let everyCapability = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// Every capability this process may pass on: its own bounding set.
    /// A privileged container asks for all of them, and the runtime fails
    /// ("unable to apply caps") on one the host withholds (this VM has no
    /// CAP_SYS_RESOURCE).
    private static var heldCapabilities: [String] {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("CapBnd:") }
        guard let mask = line.flatMap({ UInt64($0.dropFirst("CapBnd:".count).trimmingCharacters(in: .whitespaces), radix: 16) }) else {
            return defaultCapabilities
        }
        return everyCapability.enumerated().filter { mask & (1 << UInt64($0.offset)) != 0 }.map(\.element)
    }

    static func capabilityName(_ given: String) -> String {
        let upper = given.uppercased()
        return upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
    }

    /// The default filter: every syscall but those docker's profile denies
    /// that matter for an escape. A real allow-list would also have to
    /// allow what runc itself calls after installing it.
    private static var seccompProfile: [String: Any] { [
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [[
            "names": ["add_key", "bpf", "delete_module", "finit_module", "init_module", "kexec_file_load", "kexec_load",
                      "keyctl", "mount", "open_by_handle_at", "perf_event_open", "request_key", "setns", "umount2", "unshare"],
            "action": "SCMP_ACT_ERRNO",
            "errnoRet": 1,
        ]],
    ] }

    /// `runc spec`'s config.json made into this container's: busybox sh,
    /// no terminal, the shared rootfs, the layout's cgroup path, docker's
    /// defaults (capabilities, seccomp) unless `grants` says otherwise, and
    /// the layout's annotations.
    private func bundleSpec(_ c: TestContainer, grants: Grants) -> [String: Any] {
        var spec = specTemplate
        var process = spec["process"] as? [String: Any] ?? [:]
        process["terminal"] = false
        process["args"] = ["/bin/busybox", "sh"]
        process["env"] = ["PATH=/bin"]
        process["cwd"] = "/"
        process["noNewPrivileges"] = false   // docker's default
        var capabilities = grants.capabilities ?? (grants.privileged ? Self.heldCapabilities : Self.defaultCapabilities)
        for added in grants.capAdd.map(Self.capabilityName) where !capabilities.contains(added) { capabilities.append(added) }
        process["capabilities"] = ["bounding": capabilities, "effective": capabilities, "permitted": capabilities]
        spec["process"] = process
        spec["root"] = ["path": rootfs, "readonly": false]
        spec["hostname"] = String((c.id.count == 64 ? String(c.id.prefix(12)) : c.id).prefix(63))

        var mounts = spec["mounts"] as? [[String: Any]] ?? []
        if let (source, destination) = grants.hostMount {
            mounts.append(["destination": destination, "type": "bind", "source": source, "options": ["rbind", "rprivate"]])
        }
        spec["mounts"] = mounts

        var linux = spec["linux"] as? [String: Any] ?? [:]
        linux["cgroupsPath"] = c.cgroupPath
        if grants.hostPID {
            let namespaces = linux["namespaces"] as? [[String: Any]] ?? []
            linux["namespaces"] = namespaces.filter { $0["type"] as? String != "pid" }
        }
        if grants.privileged {
            linux["maskedPaths"] = [String]()
            linux["readonlyPaths"] = [String]()
            linux["resources"] = ["devices": [["allow": true, "access": "rwm"]]]
        } else if let seccomp = grants.seccomp {
            linux["seccomp"] = seccomp
        } else if !grants.seccompUnconfined {
            linux["seccomp"] = Self.seccompProfile
        }
        spec["linux"] = linux

        let annotations = self.annotations(c, grants: grants)
        if !annotations.isEmpty { spec["annotations"] = annotations }
        return spec
    }

    private func annotations(_ c: TestContainer, grants: Grants) -> [String: String] {
        switch c.layout {
        case .containerdCRI:
            guard let pod = c.pod else { return [:] }
            return [
                "io.kubernetes.cri.container-type": "container",
                "io.kubernetes.cri.container-name": c.name,
                "io.kubernetes.cri.image-name": c.image,
                "io.kubernetes.cri.sandbox-id": Self.randomHex(bytes: 32),
                "io.kubernetes.cri.sandbox-name": pod.name,
                "io.kubernetes.cri.sandbox-namespace": pod.namespace,
                "io.kubernetes.cri.sandbox-uid": pod.uid,
            ]
        case .crio:
            guard let pod = c.pod else { return [:] }
            let labels = [
                "io.kubernetes.container.name": c.name,
                "io.kubernetes.pod.name": pod.name,
                "io.kubernetes.pod.namespace": pod.namespace,
                "io.kubernetes.pod.uid": pod.uid,
            ]
            let sandbox = Self.randomHex(bytes: 32)
            return [
                "io.kubernetes.cri-o.ContainerID": c.id,
                "io.kubernetes.cri-o.ContainerName": "k8s_\(c.name)_\(pod.name)_\(pod.namespace)_\(pod.uid)_0",
                "io.kubernetes.cri-o.ContainerType": "container",
                "io.kubernetes.cri-o.Created": Self.timestamp(Date()),
                "io.kubernetes.cri-o.ImageName": c.image,
                "io.kubernetes.cri-o.Labels": Self.json(labels),
                "io.kubernetes.cri-o.Metadata": Self.json(["name": c.name]),
                "io.kubernetes.cri-o.Name": "k8s_\(c.name)_\(pod.name)_\(pod.namespace)_\(pod.uid)_0",
                "io.kubernetes.cri-o.SandboxID": sandbox,
                "io.kubernetes.cri-o.SandboxName": "k8s_\(pod.name)_\(pod.namespace)_\(pod.uid)_0",
                "io.kubernetes.cri-o.TTY": "false",
                "io.kubernetes.container.name": c.name,
                "io.kubernetes.pod.name": pod.name,
                "io.kubernetes.pod.namespace": pod.namespace,
                "io.kubernetes.pod.uid": pod.uid,
            ]
        case .podman:
            return [
                "io.container.manager": "libpod",
                "io.podman.annotations.autoremove": "FALSE",
                "io.podman.annotations.init": "FALSE",
                "io.podman.annotations.privileged": grants.privileged ? "TRUE" : "FALSE",
                "io.podman.annotations.publish-all": "FALSE",
                "org.opencontainers.image.stopSignal": "15",
            ]
        default:
            return [:]
        }
    }

    // MARK: - The runtimes' own files

    /// (Re)writes the bundle's config.json with the current script, and the
    /// runtime's own files with the current state.
    private func writeMetadata(_ record: Record) throws {
        var spec = record.spec
        var process = spec["process"] as? [String: Any] ?? [:]
        process["args"] = ["/bin/busybox", "sh", "-c", record.script]
        spec["process"] = process
        try files.write(Self.json(spec), to: record.bundle + "/config.json")
        records[record.container.runtimeName] = record

        let c = record.container
        switch c.layout {
        case .dockerCgroupfs, .dockerSystemd:
            let directory = "/var/lib/docker/containers/\(c.id)"
            try files.write(Self.json(dockerConfig(record)), to: directory + "/config.v2.json")
            try files.write(Self.json(Self.dockerHostConfig(record.grants)), to: directory + "/hostconfig.json")
        case .nspawn:
            // machined's record; LEADER once the leader is known.
            var lines = ["# This is private data. Do not parse.", "NAME=\(c.id)", "SCOPE=machine-\(Self.unitNameEscaped(c.id)).scope",
                         "SERVICE=systemd-nspawn", "ROOT=\(rootfs)", "ID=\(record.digest.prefix(32))"]
            if let pid = record.pid { lines.append("LEADER=\(pid)") }
            lines += ["CLASS=container", "REALTIME=\(Int64(record.created.timeIntervalSince1970 * 1_000_000))"]
            try files.write(lines.joined(separator: "\n") + "\n", to: "/run/systemd/machines/\(c.id)")
        case .lxc:
            var lines = ["# Distribution configuration", "lxc.include = /usr/share/lxc/config/common.conf", "lxc.arch = linux64",
                         "", "# Container specific configuration", "lxc.rootfs.path = \(rootfs)", "lxc.uts.name = \(c.id)"]
            if let (source, destination) = record.grants.hostMount {
                lines.append("lxc.mount.entry = \(source) \(destination.drop(while: { $0 == "/" })) none bind,create=dir 0 0")
            }
            if !record.grants.capAdd.isEmpty {
                lines.append("lxc.cap.keep = " + record.grants.capAdd.map { Self.capabilityName($0).dropFirst(4).lowercased() }.joined(separator: " "))
            }
            lines += ["", "# Network configuration", "lxc.net.0.type = empty"]
            try files.write(lines.joined(separator: "\n") + "\n", to: "/var/lib/lxc/\(c.id)/config")
        default:
            break
        }
    }

    private func dockerConfig(_ record: Record) -> [String: Any] {
        let c = record.container
        return [
            "ID": c.id,
            "Name": "/" + c.name,
            "Created": Self.timestamp(record.created),
            "Path": "/bin/busybox",
            "Args": ["sh", "-c", record.script],
            "Config": [
                "Hostname": String(c.id.prefix(12)),
                "User": "",
                "Env": ["PATH=/bin"],
                "Cmd": ["/bin/busybox", "sh", "-c", record.script],
                "Image": c.image,
                "Labels": [String: String](),
            ] as [String: Any],
            "Image": "sha256:" + record.digest,
            "Driver": "overlay2",
            "State": [
                "Running": record.running,
                "Pid": record.running ? Int(record.pid ?? 0) : 0,
                "ExitCode": Int(record.exitCode),
                "StartedAt": Self.timestamp(record.created),
            ] as [String: Any],
        ]
    }

    private static func dockerHostConfig(_ grants: Grants) -> [String: Any] {
        func orNull(_ list: [String]) -> Any { list.isEmpty ? NSNull() : list }
        return [
            "Privileged": grants.privileged,
            "CapAdd": orNull(grants.capAdd.map(capabilityName)),
            "CapDrop": NSNull(),
            "PidMode": grants.hostPID ? "host" : "",
            "NetworkMode": "default",
            "IpcMode": "private",
            "UTSMode": "",
            "UsernsMode": "",
            "CgroupnsMode": "host",
            "Binds": orNull(grants.hostMount.map { ["\($0.0):\($0.1)"] } ?? []),
            "SecurityOpt": orNull(grants.seccompUnconfined ? ["seccomp=unconfined"] : []),
        ]
    }

    /// c/storage's list of containers in podman's graph root: where podman
    /// keeps a container's names and image (its bundle has neither).
    private static let podmanListing = "/var/lib/containers/storage/overlay-containers/containers.json"

    private func listInPodmanStorage(_ record: Record) throws {
        try files.makeDirectory((Self.podmanListing as NSString).deletingLastPathComponent)
        let c = record.container
        let metadata = Self.json(["image-name": c.image, "image-id": Self.randomHex(bytes: 32), "name": c.name,
                                  "created-at": Int(record.created.timeIntervalSince1970), "mountlabel": ""] as [String: Any])
        let entry: [String: Any] = ["id": c.id, "names": [c.name], "image": Self.randomHex(bytes: 32), "layer": Self.randomHex(bytes: 32),
                                    "metadata": metadata, "created": Self.timestamp(record.created)]
        let created = try Self.editPodmanListing(Self.podmanListing) { entries in
            entries.append(entry)
            return false
        }
        podmanListings[Self.podmanListing] = podmanListings[Self.podmanListing] ?? created
    }

    /// Edits containers.json under an exclusive flock (other harnesses may
    /// be listing theirs); `edit` returns true to delete the file instead.
    /// Returns whether this call created the file.
    @discardableResult
    private static func editPodmanListing(_ path: String, _ edit: (inout [[String: Any]]) -> Bool) throws -> Bool {
        var fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0o600)
        let created = fd >= 0
        if fd < 0 { fd = open(path, O_RDWR) }
        guard fd >= 0 else { throw Failure.setup("opening \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        flock(fd, LOCK_EX)
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
        let data = handle.readDataToEndOfFile()
        var entries = (try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]) ?? []
        if edit(&entries) {
            unlink(path)
        } else {
            ftruncate(fd, 0)
            lseek(fd, 0, SEEK_SET)
            handle.write(Data(json(entries).utf8))
        }
        return created
    }

    // MARK: - Names

    private static func pod(for name: String) -> (name: String, namespace: String, uid: String) {
        ("\(safeName(name, limit: 16).lowercased())-\(randomHex(bytes: 3))", "auditq-test", UUID().uuidString.lowercased())
    }

    /// Letters, digits, "_", "." and "-" (what runc takes in an id), at most `limit`.
    private static func safeName(_ name: String, limit: Int) -> String {
        let kept = name.unicodeScalars.map { scalar -> Character in
            let character = Character(scalar)
            return scalar.isASCII && (character.isLetter || character.isNumber || "_.-".contains(character)) ? character : "-"
        }
        let safe = String(kept.prefix(limit))
        return safe.isEmpty ? "x" : safe
    }

    /// systemd's unit_name_escape: "/" becomes "-"; what is not a letter,
    /// digit, ":", "_" or "." (or is a leading ".") becomes "\xNN", so
    /// machine "my-box" has the scope "machine-my\x2dbox.scope".
    static func unitNameEscaped(_ name: String) -> String {
        var escaped = ""
        for (i, byte) in name.utf8.enumerated() {
            let c = Character(Unicode.Scalar(byte))
            if byte == UInt8(ascii: "/") {
                escaped.append("-")
            } else if byte < 0x80, c.isLetter || c.isNumber || c == ":" || c == "_" || (c == "." && i > 0) {
                escaped.append(c)
            } else {
                escaped += String(format: "\\x%02x", byte)
            }
        }
        return escaped
    }

    fileprivate static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    private static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// Compact, keys sorted, "/" unescaped: as Go's encoding/json writes it.
    private static func json(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    private static func depth(_ path: String) -> Int { path.split(separator: "/").count }
}

extension ContainerHarness {
    /// The files and directories the harness created outside its own
    /// directory, so the cleanup removes those and nothing else.
    fileprivate struct WrittenFiles {
        private var files: [String] = []
        private var directories: [String] = []

        /// mkdir -p, remembering each directory that did not exist.
        mutating func makeDirectory(_ path: String) throws {
            var current = ""
            for component in path.split(separator: "/") {
                current += "/" + component
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: current, isDirectory: &isDirectory) {
                    guard isDirectory.boolValue else { throw ContainerHarness.Failure.setup("\(current) is not a directory") }
                    continue
                }
                guard mkdir(current, 0o755) == 0 || errno == EEXIST else {
                    throw ContainerHarness.Failure.setup("mkdir \(current): \(String(cString: strerror(errno)))")
                }
                directories.append(current)
            }
        }

        mutating func write(_ text: String, to path: String) throws {
            try makeDirectory((path as NSString).deletingLastPathComponent)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            if !files.contains(path) { files.append(path) }
        }

        /// The files, then the directories deepest first; a directory someone
        /// else has put something in stays.
        mutating func removeAll() {
            for file in files { unlink(file) }
            for directory in directories.sorted(by: { $0.split(separator: "/").count > $1.split(separator: "/").count }) {
                rmdir(directory)
            }
            files.removeAll()
            directories.removeAll()
        }
    }

    /// The cgroup hierarchies: every v1 controller's and the v2 one.
    fileprivate enum Cgroups {
        /// Where each cgroup hierarchy is mounted (v1 controllers and v2).
        static func mounts() -> [String] {
            guard let table = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) else { return [] }
            return table.split(separator: "\n").compactMap { line in
                let fields = line.split(separator: " ")
                guard fields.count > 2, fields[2] == "cgroup" || fields[2] == "cgroup2" else { return nil }
                return String(fields[1])
            }
        }

        /// crun refuses a hybrid host whose v2 hierarchy has any controller
        /// (here hugetlb, which no v1 hierarchy took), even with
        /// --cgroup-manager=disabled. In a private mount namespace with
        /// /dev/null over that cgroup.controllers it sees none, and then places
        /// the container in every hierarchy as runc does; the host's mounts
        /// are untouched.
        static var crunNeedsControllersHidden: Bool {
            let controllers = (try? String(contentsOfFile: "/sys/fs/cgroup/unified/cgroup.controllers", encoding: .utf8)) ?? ""
            return !controllers.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        }

        /// rmdir of `path` and every cgroup below it, deepest first. A cgroup
        /// still busy (its processes being reaped) is retried for up to 10 s;
        /// past that, processes still in it are the container's own and are
        /// killed by pid.
        static func removeTree(_ path: String) {
            guard FileManager.default.fileExists(atPath: path) else { return }
            let directories = [path] + below(path)
            for directory in directories.reversed() {
                if rmdir(directory) == 0 || errno == ENOENT { continue }
                let gone = TestSupport.wait(timeout: 10) { rmdir(directory) == 0 || errno == ENOENT }
                if !gone {
                    for pid in processes(in: directory) { kill(pid, SIGKILL) }
                    TestSupport.wait(timeout: 5) { rmdir(directory) == 0 || errno == ENOENT }
                }
            }
        }

        private static func below(_ path: String) -> [String] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            return names.sorted().flatMap { name -> [String] in
                let child = path + "/" + name
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: child, isDirectory: &isDirectory), isDirectory.boolValue else { return [] }
                return [child] + below(child)
            }
        }

        private static func processes(in directory: String) -> [Int32] {
            let listed = (try? String(contentsOfFile: directory + "/cgroup.procs", encoding: .utf8)) ?? ""
            return listed.split(separator: "\n").compactMap { Int32($0) }
        }
    }
}
