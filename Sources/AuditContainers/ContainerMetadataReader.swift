import Foundation

/// Reads what a runtime left on disk about one container: its name, image,
/// pod, labels and the grants in its configuration. No runtime API is
/// called, so this works on a host whose daemons are down, and reads only
/// files the runtimes write for themselves.
///
/// Nothing here throws: a missing or malformed file adds a one-line note to
/// the container and the rest is still read.
public struct ContainerMetadataReader: Sendable {
    /// Prepended to every absolute path read ("/" in production, a temp
    /// directory standing in for "/" in tests). Paths in `sources` and
    /// `notes` are the host's, without it.
    public let fileRoot: String

    public init(fileRoot: String = "/") {
        self.fileRoot = fileRoot
    }

    /// The container `identity` names, with whatever its runtime's files
    /// say. `state` is the runc/crun state entry for a container those run
    /// directly (`RuntimeState.entry(forCgroup:)`); the other runtimes do
    /// not need it.
    public func read(_ identity: CgroupIdentity, state: RuntimeState.Entry?) -> Container {
        var container = Container(id: identity.id, runtime: identity.runtime,
                                  pod: identity.podUID.map { Container.Pod(uid: $0) })
        switch identity.runtime {
        case .docker: readDocker(into: &container)
        case .containerd: readKubepodsContainer(into: &container)
        case .crio: readCRIO(into: &container)
        case .podman: readPodman(into: &container, rootless: identity.rootless)
        case .runc, .crun: readPlainOCI(into: &container, state: state)
        case .nspawn: readMachine(into: &container)
        case .lxc: readLXC(into: &container, rootless: identity.rootless)
        }
        return container
    }

    // MARK: - docker

    private func readDocker(into container: inout Container) {
        let directory = "/var/lib/docker/containers/\(container.id)"
        let config = decode(DockerContainerConfig.self, from: directory + "/config.v2.json", into: &container)
        container.name = config?.containerName
        container.image = config?.config?.image
        container.labels = nonEmpty(config?.config?.labels)
        if let host = decode(DockerHostConfig.self, from: directory + "/hostconfig.json", into: &container) {
            container.grants = host.grants(runsAsRoot: config?.runsAsRoot)
        } else if let bundle = decode(OCIBundle.self, from: "/run/containerd/io.containerd.runtime.v2.task/moby/\(container.id)/config.json",
                                      into: &container) {
            // The spec docker handed to runc: the same grants, in the spec's terms.
            container.grants = bundle.grants
        }
    }

    // MARK: - Kubernetes (CRI)

    /// A container the path names as containerd's. With the cgroupfs driver
    /// the kubepods path is the same for cri-dockerd, so when containerd
    /// has no bundle for the id, CRI-O's and docker's files are tried and
    /// the runtime corrected to whichever has the container.
    private func readKubepodsContainer(into container: inout Container) {
        if let bundle = containerdBundle(container.id) {
            readContainerdBundle(bundle, into: &container)
        } else if crioBundles(container.id).contains(where: exists) {
            container.runtime = .crio
            readCRIO(into: &container)
        } else if exists("/var/lib/docker/containers/\(container.id)/config.v2.json") {
            container.runtime = .docker
            readDocker(into: &container)
        } else {
            note("no bundle config.json under \(containerdTasks)/<namespace>/\(container.id)/ (nor CRI-O's or docker's files)", in: &container)
        }
    }

    /// containerd's shim keeps each task's bundle under its namespace:
    /// "k8s.io" for the CRI plugin, "moby" for docker, "default" for ctr.
    private let containerdTasks = "/run/containerd/io.containerd.runtime.v2.task"

    private func containerdBundle(_ id: String) -> String? {
        let namespaces = ["k8s.io"] + subdirectories(of: containerdTasks).filter { $0 != "k8s.io" }
        return namespaces.map { "\(containerdTasks)/\($0)/\(id)/config.json" }.first(where: exists)
    }

    private func readContainerdBundle(_ path: String, into container: inout Container) {
        guard let bundle = decode(OCIBundle.self, from: path, into: &container) else { return }
        container.grants = bundle.grants
        let annotations = bundle.annotations ?? [:]
        guard annotations.keys.contains(where: { $0.hasPrefix("io.kubernetes.cri.") }) else {
            note("\(path): no io.kubernetes.cri annotations (not made by the CRI plugin)", in: &container)
            return
        }
        // The sandbox is the pod's pause container: kubelet calls it "POD".
        let isSandbox = annotations["io.kubernetes.cri.container-type"] == "sandbox"
        container.name = annotations["io.kubernetes.cri.container-name"] ?? (isSandbox ? "POD" : nil)
        container.image = annotations["io.kubernetes.cri.image-name"]
        container.pod = pod(name: annotations["io.kubernetes.cri.sandbox-name"],
                            namespace: annotations["io.kubernetes.cri.sandbox-namespace"],
                            uid: annotations["io.kubernetes.cri.sandbox-uid"], pathUID: container.pod?.uid)
    }

    /// CRI-O's bundle is in its run root; the graph root keeps a copy.
    private func crioBundles(_ id: String) -> [String] {
        ["/run/containers/storage", "/var/lib/containers/storage"].map { "\($0)/overlay-containers/\(id)/userdata/config.json" }
    }

    private func readCRIO(into container: inout Container) {
        let candidates = crioBundles(container.id)
        guard let path = candidates.first(where: exists) else {
            note("no bundle config.json at \(candidates.joined(separator: " or "))", in: &container)
            return
        }
        guard let bundle = decode(OCIBundle.self, from: path, into: &container) else { return }
        container.grants = bundle.grants
        let annotations = bundle.annotations ?? [:]
        // kubelet's labels, as one JSON object in a string; CRI-O also
        // copies each of them to an annotation of its own.
        var labels: [String: String] = [:]
        if let encoded = annotations["io.kubernetes.cri-o.Labels"] {
            if let decoded = try? JSONDecoder().decode([String: String].self, from: Data(encoded.utf8)) {
                labels = decoded
            } else {
                note("\(path): io.kubernetes.cri-o.Labels is not a JSON object of strings", in: &container)
            }
        }
        container.labels = nonEmpty(labels)
        func kubelet(_ key: String) -> String? { annotations[key] ?? labels[key] }
        // io.kubernetes.cri-o.ContainerName is the long docker-style
        // "k8s_<container>_<pod>_<namespace>_<uid>_<attempt>": the last resort.
        container.name = annotations["io.kubernetes.cri-o.ContainerType"] == "sandbox"
            ? "POD" : kubelet("io.kubernetes.container.name") ?? annotations["io.kubernetes.cri-o.ContainerName"]
        container.image = annotations["io.kubernetes.cri-o.ImageName"]
        container.pod = pod(name: kubelet("io.kubernetes.pod.name"), namespace: kubelet("io.kubernetes.pod.namespace"),
                            uid: kubelet("io.kubernetes.pod.uid"), pathUID: container.pod?.uid)
    }

    private func pod(name: String?, namespace: String?, uid: String?, pathUID: String?) -> Container.Pod? {
        let pod = Container.Pod(name: name, namespace: namespace, uid: uid ?? pathUID)
        return pod == Container.Pod() ? nil : pod
    }

    // MARK: - podman

    /// c/storage's graph root (podman's bundle, containers.json) and run root.
    private struct Storage {
        var graphRoot: String
        var runRoot: String?
    }

    private func readPodman(into container: inout Container, rootless: Bool) {
        let rootful = Storage(graphRoot: "/var/lib/containers/storage", runRoot: "/run/containers/storage")
        let perUser = homeDirectories().map { Storage(graphRoot: $0 + "/.local/share/containers/storage", runRoot: nil) }
        let candidates = rootless ? perUser + [rootful] : [rootful] + perUser
        var found: (storage: Storage, path: String)?
        for storage in candidates where found == nil {
            found = [storage.graphRoot, storage.runRoot].compactMap { $0 }
                .map { "\($0)/overlay-containers/\(container.id)/userdata/config.json" }
                .first(where: exists).map { (storage, $0) }
        }
        guard let (storage, path) = found else {
            note("no bundle config.json under overlay-containers/\(container.id)/userdata/ in /var/lib/containers/storage, "
                 + "/run/containers/storage or any home's .local/share/containers/storage", in: &container)
            return
        }
        if let bundle = decode(OCIBundle.self, from: path, into: &container) {
            var grants = bundle.grants
            grants.privileged = grants.privileged || bundle.annotations?["io.podman.annotations.privileged"] == "TRUE"
            container.grants = grants
        }
        // podman's bundle carries neither name nor image; c/storage's own
        // container list does, in podman's metadata string.
        if let listed = storageListing(in: storage, into: &container) {
            container.name = listed.names?.first
            container.image = listed.podmanMetadata?.imageName
            if container.name == nil { container.name = listed.podmanMetadata?.name }
        }
        if container.name == nil {
            note("name and image are in its database, which auditq does not read", in: &container)
        }
    }

    /// One entry of c/storage's containers.json.
    private struct StorageContainer: Decodable {
        var id: String?
        var names: [String]?
        /// JSON in a string, written by the storage's user (podman's
        /// RuntimeContainerMetadata).
        var metadata: String?

        struct PodmanMetadata: Decodable {
            var imageName: String?
            var name: String?
            enum CodingKeys: String, CodingKey {
                case imageName = "image-name", name
            }
        }

        var podmanMetadata: PodmanMetadata? {
            metadata.flatMap { try? JSONDecoder().decode(PodmanMetadata.self, from: Data($0.utf8)) }
        }
    }

    /// The container's entry in c/storage's lists (containers.json in the
    /// graph root; volatile-containers.json for containers kept off disk).
    private func storageListing(in storage: Storage, into container: inout Container) -> StorageContainer? {
        let lists = [storage.graphRoot + "/overlay-containers/containers.json",
                     storage.graphRoot + "/overlay-containers/volatile-containers.json"]
            + (storage.runRoot.map { [$0 + "/overlay-containers/volatile-containers.json"] } ?? [])
        let id = container.id
        for list in lists where exists(list) {
            if let entry = decode([StorageContainer].self, from: list, into: &container)?.first(where: { $0.id == id }) {
                return entry
            }
        }
        return nil
    }

    // MARK: - runc, crun

    private func readPlainOCI(into container: inout Container, state: RuntimeState.Entry?) {
        container.name = container.id
        guard let state else {
            note("no state file for \(container.id) in the runtime's state directories", in: &container)
            return
        }
        // crun keeps a copy of the spec beside its status, for when the
        // bundle directory has gone.
        var candidates = state.bundle.map { [$0 + "/config.json"] } ?? []
        if state.runtime == .crun { candidates.append((state.stateFile as NSString).deletingLastPathComponent + "/config.json") }
        guard let path = candidates.first(where: exists) ?? candidates.first else {
            note("\(state.stateFile): names no bundle", in: &container)
            return
        }
        guard let bundle = decode(OCIBundle.self, from: path, into: &container) else { return }
        container.grants = bundle.grants
        container.labels = nonEmpty(bundle.annotations)
    }

    // MARK: - systemd-nspawn

    private func readMachine(into container: inout Container) {
        // machined's record of a registered machine: KEY=VALUE lines.
        guard let fields = keyValues(from: "/run/systemd/machines/\(container.id)", separator: "=", into: &container) else { return }
        container.name = fields["NAME"]?.last ?? container.id
        // ROOT is the directory (or image file) the machine was started
        // from: the closest thing nspawn has to an image.
        container.image = fields["ROOT"]?.last
    }

    // MARK: - LXC

    private func readLXC(into container: inout Container, rootless: Bool) {
        let system = "/var/lib/lxc/\(container.id)/config"
        let perUser = homeDirectories().map { "\($0)/.local/share/lxc/\(container.id)/config" }
        let candidates = rootless ? perUser + [system] : [system] + perUser
        container.name = container.id
        guard let path = candidates.first(where: exists) else {
            note("no config at \(system) or any home's .local/share/lxc/\(container.id)/config", in: &container)
            return
        }
        guard let config = keyValues(from: path, separator: "=", into: &container) else { return }
        container.image = (config["lxc.rootfs.path"] ?? config["lxc.rootfs"])?.last
        // Only what the file says outright: the effective set also depends
        // on the lxc.include files (common.conf), which are not followed.
        let kept = (config["lxc.cap.keep"] ?? []).flatMap { $0.split(separator: " ") }.map { DefaultContainer.capabilityName(String($0)) }
        let binds: [String] = (config["lxc.mount.entry"] ?? []).compactMap { entry in
            let fields = entry.split(separator: " ").map(String.init)
            guard fields.count >= 4, fields[3].split(separator: ",").contains(where: { $0 == "bind" || $0 == "rbind" }),
                  DefaultContainer.isHostPath(fields[0]) else { return nil }
            let readOnly = fields[3].split(separator: ",").contains("ro")
            // The target is relative to the container's rootfs.
            let target = fields[1].hasPrefix("/") ? fields[1] : "/" + fields[1]
            return DefaultContainer.hostMount(source: fields[0], destination: target, readOnly: readOnly)
        }
        if !kept.isEmpty || !binds.isEmpty {
            container.grants = Container.Grants(addedCapabilities: Set(kept).subtracting(DefaultContainer.capabilities).sorted(),
                                                hostMounts: binds)
        }
    }

    // MARK: - Files

    /// Bigger than any runtime's metadata file: past this it is not theirs.
    private static let largestFile = 16 << 20

    private func onDisk(_ path: String) -> String {
        fileRoot == "/" ? path : (fileRoot.hasSuffix("/") ? String(fileRoot.dropLast()) : fileRoot) + path
    }

    private func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: onDisk(path))
    }

    private func subdirectories(of path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: onDisk(path))) ?? []).sorted().filter { name in
            var directory: ObjCBool = false
            return FileManager.default.fileExists(atPath: onDisk(path + "/" + name), isDirectory: &directory) && directory.boolValue
        }
    }

    /// The file's bytes, listed in `sources`; nil with a note when it cannot be read.
    private func contents(of path: String, into container: inout Container) -> Data? {
        let size = (try? FileManager.default.attributesOfItem(atPath: onDisk(path)))?[.size] as? Int ?? 0
        guard size <= Self.largestFile else {
            note("\(path): \(size) bytes, too large for a metadata file", in: &container)
            return nil
        }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: onDisk(path)))
            container.sources.append(path)
            return data
        } catch {
            note("\(path): \(Self.reason(error))", in: &container)
            return nil
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, from path: String, into container: inout Container) -> T? {
        guard let data = contents(of: path, into: &container) else { return nil }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            container.sources.removeAll { $0 == path }
            note("\(path): \(Self.reason(decoding: error, data: data))", in: &container)
            return nil
        }
    }

    /// "KEY=VALUE" (machined) or "key = value" (LXC) lines; a key may repeat.
    private func keyValues(from path: String, separator: Character, into container: inout Container) -> [String: [String]]? {
        guard let data = contents(of: path, into: &container) else { return nil }
        var fields: [String: [String]] = [:]
        for line in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let line = line.trimmingCharacters(in: .whitespaces)
            guard !line.hasPrefix("#"), let equals = line.firstIndex(of: separator) else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            fields[key, default: []].append(line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces))
        }
        return fields
    }

    /// Homes where rootless podman and LXC keep their containers: those in
    /// /etc/passwd, and any directory under /home.
    private func homeDirectories() -> [String] {
        let passwd = (try? String(contentsOfFile: onDisk("/etc/passwd"), encoding: .utf8)) ?? ""
        let listed = passwd.split(whereSeparator: \.isNewline).compactMap { line -> String? in
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 6, fields[5].count > 1 else { return nil }
            return String(fields[5])
        }
        var homes: [String] = []
        for home in ["/root"] + listed + subdirectories(of: "/home").map({ "/home/" + $0 }) where !homes.contains(home) {
            homes.append(home)
        }
        return homes
    }

    private func note(_ text: String, in container: inout Container) {
        container.notes.append("\(container.runtime.rawValue): \(text)")
    }

    private func nonEmpty(_ labels: [String: String]?) -> [String: String]? {
        labels?.isEmpty == false ? labels : nil
    }

    /// Foundation's wording ("The operation could not be completed…") in
    /// the kernel's short form.
    private static func reason(_ error: any Error) -> String {
        switch (error as? CocoaError)?.code {
        case .fileReadNoSuchFile?, .fileNoSuchFile?: return "no such file"
        case .fileReadNoPermission?: return "permission denied"
        default: break
        }
        if let posix = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code))).lowercased()
        }
        return error.localizedDescription
    }

    /// Where a JSON file went wrong, in one line.
    private static func reason(decoding error: any Error, data: Data) -> String {
        guard let error = error as? DecodingError else { return error.localizedDescription }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            // JSONDecoder says only that it is not JSON; JSONSerialization says where.
            do {
                _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
                return "not valid JSON"
            } catch {
                let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
                return "not valid JSON" + (detail.map { ": " + sentence($0) } ?? "")
            }
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
             .dataCorrupted(let context):
            return "\(codingPath(context.codingPath)): \(sentence(context.debugDescription))"
        @unknown default:
            return "not the expected JSON"
        }
    }

    private static func codingPath(_ path: [any CodingKey]) -> String {
        if path.isEmpty { return "top level" }
        return path.map { key in key.intValue.map { "[\($0)]" } ?? "." + key.stringValue }.joined().trimmingCharacters(in: ["."])
    }

    /// "Invalid value around character 9." as "invalid value around character 9".
    private static func sentence(_ text: String) -> String {
        var text = text.hasSuffix(".") ? String(text.dropLast()) : text
        if let first = text.first { text.replaceSubrange(...text.startIndex, with: first.lowercased()) }
        return text
    }
}
