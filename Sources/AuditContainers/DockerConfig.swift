import Foundation

/// docker's config.v2.json (/var/lib/docker/containers/<id>/): what the
/// container is. Its "Config" is the image's config merged with the run
/// flags, so "User" is the user the container really starts as.
struct DockerContainerConfig: Decodable {
    /// "/web": docker keeps names as paths in its old link graph.
    var name: String?
    var config: Config?
    enum CodingKeys: String, CodingKey {
        case name = "Name", config = "Config"
    }

    struct Config: Decodable {
        /// The image as asked for ("nginx:1.25"); the top-level "Image" is
        /// only its sha256 id.
        var image: String?
        var labels: [String: String]?
        var user: String?
        enum CodingKeys: String, CodingKey {
            case image = "Image", labels = "Labels", user = "User"
        }
    }

    var containerName: String? {
        name.map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// "" (the image set no USER), "root", "0", or those with a group.
    var runsAsRoot: Bool? {
        guard let config else { return nil }
        let user = (config.user ?? "").split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        return user.isEmpty || user == "root" || user == "0"
    }
}

/// docker's hostconfig.json: the `docker run` flags that decide what the
/// host lets the container do.
struct DockerHostConfig: Decodable {
    var privileged: Bool?
    var capAdd: [String]?
    var capDrop: [String]?
    var pidMode: String?
    var networkMode: String?
    var ipcMode: String?
    var utsMode: String?
    var usernsMode: String?
    var binds: [String]?
    var mounts: [Mount]?
    var securityOpt: [String]?
    enum CodingKeys: String, CodingKey {
        case privileged = "Privileged", capAdd = "CapAdd", capDrop = "CapDrop", pidMode = "PidMode"
        case networkMode = "NetworkMode", ipcMode = "IpcMode", utsMode = "UTSMode", usernsMode = "UsernsMode"
        case binds = "Binds", mounts = "Mounts", securityOpt = "SecurityOpt"
    }

    /// `--mount` entries.
    struct Mount: Decodable {
        var type: String?
        var source: String?
        var target: String?
        var readOnly: Bool?
        enum CodingKeys: String, CodingKey {
            case type = "Type", source = "Source", target = "Target", readOnly = "ReadOnly"
        }
    }

    func grants(runsAsRoot: Bool?) -> Container.Grants {
        let privileged = privileged ?? false
        return Container.Grants(
            privileged: privileged,
            hostNamespaces: hostNamespaces,
            addedCapabilities: addedCapabilities(privileged: privileged),
            hostMounts: hostMounts,
            // moby applies no seccomp profile to a privileged container.
            seccompOff: privileged || (securityOpt ?? []).contains { $0 == "seccomp=unconfined" || $0 == "seccomp:unconfined" },
            runsAsRoot: runsAsRoot,
            capabilities: capabilities(privileged: privileged))
    }

    /// CgroupnsMode is left out: "host" is docker's default on cgroup v1
    /// hosts, and a bundle without a cgroup namespace is not flagged either.
    private var hostNamespaces: [String] {
        [("pid", pidMode), ("net", networkMode), ("ipc", ipcMode), ("uts", utsMode), ("user", usernsMode)]
            .compactMap { name, mode in mode == "host" ? name : nil }
    }

    /// What docker ends up adding to its default set (moby's
    /// TweakCapabilities): a privileged container gets every capability;
    /// `--cap-add ALL` every one but the dropped; otherwise the added ones,
    /// which win over the same capability dropped.
    private func addedCapabilities(privileged: Bool) -> [String] {
        let added = Set((capAdd ?? []).map(DefaultContainer.capabilityName))
        let dropped = Set((capDrop ?? []).map(DefaultContainer.capabilityName))
        let granted: Set<String>
        if privileged {
            granted = Set(DefaultContainer.allCapabilities)
        } else if added.contains("CAP_ALL") {
            granted = Set(DefaultContainer.allCapabilities).subtracting(dropped)
        } else {
            granted = added
        }
        return granted.subtracting(DefaultContainer.capabilities).sorted()
    }

    /// The whole set docker grants: its default 14 with the added ones and
    /// without the dropped ones (`--cap-drop ALL` drops the defaults).
    private func capabilities(privileged: Bool) -> [String] {
        let added = Set((capAdd ?? []).map(DefaultContainer.capabilityName))
        let dropped = Set((capDrop ?? []).map(DefaultContainer.capabilityName))
        if privileged || added.contains("CAP_ALL") {
            return Set(DefaultContainer.allCapabilities).subtracting(privileged ? [] : dropped).sorted()
        }
        let base = dropped.contains("CAP_ALL") ? Set<String>() : DefaultContainer.capabilities.subtracting(dropped)
        return base.union(added).sorted()
    }

    /// `-v /src:/dst[:opts]` binds (a source without a leading "/" is a
    /// named volume, not a host path) and `--mount type=bind` mounts.
    private var hostMounts: [String] {
        let fromBinds: [String] = (binds ?? []).compactMap { bind in
            let parts = bind.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 2, DefaultContainer.isHostPath(parts[0]) else { return nil }
            let readOnly = parts.count > 2 && parts[2].split(separator: ",").contains("ro")
            return DefaultContainer.hostMount(source: parts[0], destination: parts[1], readOnly: readOnly)
        }
        let fromMounts: [String] = (mounts ?? []).compactMap { mount in
            guard mount.type == "bind", let source = mount.source, let target = mount.target,
                  DefaultContainer.isHostPath(source) else { return nil }
            return DefaultContainer.hostMount(source: source, destination: target, readOnly: mount.readOnly ?? false)
        }
        return fromBinds + fromMounts
    }
}
