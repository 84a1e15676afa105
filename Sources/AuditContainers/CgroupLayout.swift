import Foundation

/// The cgroup paths container runtimes create, as one table of rules: given
/// a process's cgroup v2 path, which runtime's container (or monitor) it is.
///
/// Each rule looks at one path component and its ancestors. Components are
/// tried from the deepest up, so a container nested in another container's
/// cgroup (`/docker/<A>/docker/<B>`) is the inner one, and a sub-cgroup a
/// runtime makes inside its scope (`libpod-<id>.scope/container`, nspawn's
/// `payload`) still names the scope's container.
public enum CgroupLayout {
    /// Who the cgroup at `path` belongs to, or nil for a host cgroup (and for
    /// runc/crun with a plain `cgroupsPath`, which no path rule can tell
    /// apart: `RuntimeState` names those).
    ///
    /// - Parameter path: a cgroup v2 path relative to the hierarchy root,
    ///   starting with "/", as in the `0::` line of /proc/PID/cgroup.
    public static func identify(_ path: String) -> CgroupIdentity? {
        let components = path.split(separator: "/").map(String.init)
        for index in components.indices.reversed() {
            let ancestors = components[..<index]
            for rule in rules {
                guard let id = rule.match(components[index], ancestors) else { continue }
                return CgroupIdentity(runtime: rule.runtime, id: id, role: rule.role,
                                      rootless: isRootless(ancestors), podUID: podUID(in: ancestors))
            }
        }
        return nil
    }

    /// One layout: the component it matches and what that component names.
    struct Rule: Sendable {
        /// Which runtime and cgroup driver write this shape (for tests and readers).
        let layout: String
        let runtime: ContainerRuntime
        let role: CgroupIdentity.Role
        /// The id the component names, given the components above it; nil when it does not match.
        let match: @Sendable (_ component: String, _ ancestors: ArraySlice<String>) -> String?
    }

    /// Every layout auditq recognises. Ids are kept whole (64 hex, or the
    /// name): truncating them would make two containers look alike.
    static let rules: [Rule] = [
        // docker's systemd driver asks for "system.slice:docker:<id>" (see
        // `RuntimeState.cgroupPath(fromCgroupsPath:)` for how such a triple
        // becomes a path); its cgroupfs driver uses "/docker/<id>", below
        // any --cgroup-parent.
        Rule(layout: "docker, systemd driver", runtime: .docker, role: .container,
             match: unit(prefix: "docker-", suffix: ".scope")),
        Rule(layout: "docker, cgroupfs driver", runtime: .docker, role: .container,
             match: { component, ancestors in ancestors.last == "docker" && isContainerID(component) ? component : nil }),

        // containerd's CRI plugin under kubelet. With the cgroupfs driver the
        // container cgroup is the bare id below the pod's; cri-dockerd writes
        // the same shape, so the path alone reports containerd and the
        // metadata reader corrects it from what is on disk. CRI-O does not
        // look like this: its cgroupfs manager writes "crio-<id>" (below).
        Rule(layout: "containerd CRI, systemd driver", runtime: .containerd, role: .container,
             match: unit(prefix: "cri-containerd-", suffix: ".scope")),
        Rule(layout: "kubepods, cgroupfs driver", runtime: .containerd, role: .container,
             match: { component, ancestors in
                 guard isContainerID(component), let parent = ancestors.last, parent.hasPrefix("pod"),
                       isPodUID(parent.dropFirst(3)), ancestors.contains(where: { $0.hasPrefix("kubepods") })
                 else { return nil }
                 return component
             }),

        // CRI-O: the container, and conmon (its per-container monitor, a
        // host process that is not in the container) beside it.
        Rule(layout: "CRI-O, systemd manager", runtime: .crio, role: .container,
             match: unit(prefix: "crio-", suffix: ".scope")),
        Rule(layout: "CRI-O, cgroupfs manager", runtime: .crio, role: .container,
             match: unit(prefix: "crio-", suffix: "")),
        Rule(layout: "CRI-O conmon, systemd manager", runtime: .crio, role: .monitor,
             match: unit(prefix: "crio-conmon-", suffix: ".scope")),
        Rule(layout: "CRI-O conmon, cgroupfs manager", runtime: .crio, role: .monitor,
             match: unit(prefix: "crio-conmon-", suffix: "")),

        // podman: rootful under machine.slice, rootless under the user's
        // manager (user@UID.service); conmon gets its own scope. With
        // cgroupfs the container is "/libpod_parent/libpod-<id>" (conmon
        // shares one "conmon" cgroup for all containers, so it names none).
        Rule(layout: "podman, systemd manager", runtime: .podman, role: .container,
             match: unit(prefix: "libpod-", suffix: ".scope")),
        Rule(layout: "podman conmon, systemd manager", runtime: .podman, role: .monitor,
             match: unit(prefix: "libpod-conmon-", suffix: ".scope")),
        Rule(layout: "podman, cgroupfs manager", runtime: .podman, role: .container,
             match: unit(prefix: "libpod-", suffix: "")),

        // systemd-nspawn registers with machined, which names the scope
        // after the machine; `machinectl start` runs it as
        // systemd-nspawn@NAME.service instead. Inside either, nspawn itself
        // sits in "supervisor" and the container in "payload".
        Rule(layout: "systemd-nspawn, machined scope", runtime: .nspawn, role: .container,
             match: { component, _ in nspawnMachine(component) }),
        Rule(layout: "systemd-nspawn, template service", runtime: .nspawn, role: .container,
             match: { component, _ in nspawnService(component) }),
        Rule(layout: "systemd-nspawn supervisor", runtime: .nspawn, role: .monitor,
             match: { component, ancestors in
                 guard component == "supervisor", let parent = ancestors.last else { return nil }
                 return nspawnMachine(parent) ?? nspawnService(parent)
             }),

        // LXC 4 and later: "lxc.payload.NAME" and "lxc.monitor.NAME" (the
        // monitor is lxc-start's own process); older LXC: "/lxc/NAME".
        Rule(layout: "LXC payload", runtime: .lxc, role: .container,
             match: { component, _ in name(after: "lxc.payload.", in: component) }),
        Rule(layout: "LXC monitor", runtime: .lxc, role: .monitor,
             match: { component, _ in name(after: "lxc.monitor.", in: component) }),
        Rule(layout: "LXC, old lxc/NAME pattern", runtime: .lxc, role: .container,
             match: { component, ancestors in ancestors.last == "lxc" ? component : nil }),
    ]

    // MARK: - Component shapes

    /// A rule for "<prefix><64 hex><suffix>", the shape of every unit a
    /// runtime names after the container id.
    private static func unit(prefix: String, suffix: String) -> @Sendable (String, ArraySlice<String>) -> String? {
        { component, _ in
            guard component.hasPrefix(prefix), component.hasSuffix(suffix),
                  component.count == prefix.count + 64 + suffix.count else { return nil }
            let id = String(component.dropFirst(prefix.count).dropLast(suffix.count))
            return isContainerID(id) ? id : nil
        }
    }

    /// docker, containerd, CRI-O and podman ids: 64 lowercase hex digits.
    static func isContainerID<S: StringProtocol>(_ text: S) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    private static func name(after prefix: String, in component: String) -> String? {
        guard component.hasPrefix(prefix), component.count > prefix.count else { return nil }
        return String(component.dropFirst(prefix.count))
    }

    /// "machine-NAME.scope", NAME systemd-escaped. libvirt's VMs use the
    /// same scope ("machine-qemu\x2d1\x2dvm.scope"); they are VMs, not
    /// containers, so they are left out.
    private static func nspawnMachine(_ component: String) -> String? {
        guard component.hasPrefix("machine-"), component.hasSuffix(".scope") else { return nil }
        let name = unescapeUnitName(String(component.dropFirst("machine-".count).dropLast(".scope".count)))
        guard let name, !name.isEmpty, !name.hasPrefix("qemu-") else { return nil }
        return name
    }

    /// "systemd-nspawn@NAME.service", NAME systemd-escaped.
    private static func nspawnService(_ component: String) -> String? {
        let prefix = "systemd-nspawn@", suffix = ".service"
        guard component.hasPrefix(prefix), component.hasSuffix(suffix),
              component.count > prefix.count + suffix.count else { return nil }
        return unescapeUnitName(String(component.dropFirst(prefix.count).dropLast(suffix.count)))
    }

    /// Undoes systemd's unit-name escaping (`systemd-escape`): "\xNN" is the
    /// byte NN, so "my\x2dbox" is "my-box". Nil when the bytes are not UTF-8.
    static func unescapeUnitName(_ escaped: String) -> String? {
        var bytes: [UInt8] = []
        var rest = Substring(escaped).utf8[...]
        while let byte = rest.first {
            if byte == UInt8(ascii: "\\"), rest.count >= 4, rest.dropFirst().first == UInt8(ascii: "x"),
               let value = UInt8(String(decoding: rest.dropFirst(2).prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                rest = rest.dropFirst(4)
            } else {
                bytes.append(byte)
                rest = rest.dropFirst()
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    // MARK: - What the ancestors say

    /// Under a non-root user's systemd manager (user@UID.service), where
    /// rootless podman, docker and LXC put their containers. Root's own user
    /// manager is not rootless.
    private static func isRootless(_ ancestors: ArraySlice<String>) -> Bool {
        ancestors.contains { component in
            guard component.hasPrefix("user@"), component.hasSuffix(".service") else { return false }
            let uid = component.dropFirst("user@".count).dropLast(".service".count)
            return UInt32(uid).map { $0 != 0 } ?? false
        }
    }

    /// The pod uid kubelet wrote into the path: "pod<uid>" with cgroupfs,
    /// "kubepods[-<qos>]-pod<uid>.slice" with systemd, where the uid's dashes
    /// are underscores (a dash would start a new slice level). Given back
    /// with dashes, as the API server spells it.
    private static func podUID(in ancestors: ArraySlice<String>) -> String? {
        guard let kubepods = ancestors.firstIndex(where: { $0.hasPrefix("kubepods") || $0.hasPrefix("kubelet-kubepods") })
        else { return nil }
        for component in ancestors[kubepods...].reversed() {
            if component.hasSuffix(".slice"), let pod = component.range(of: "-pod", options: .backwards) {
                let uid = component[pod.upperBound...].dropLast(".slice".count).replacingOccurrences(of: "_", with: "-")
                if isPodUID(uid[...]) { return uid }
            } else if component.hasPrefix("pod"), isPodUID(component.dropFirst(3)) {
                return String(component.dropFirst(3))
            }
        }
        return nil
    }

    /// A pod uid: a UUID, or for static pods kubelet's 32-hex hash.
    private static func isPodUID(_ text: Substring) -> Bool {
        let hexDigits = text.utf8.filter { (48...57).contains($0) || (97...102).contains($0) }.count
        let dashes = text.utf8.filter { $0 == UInt8(ascii: "-") }.count
        return hexDigits == 32 && hexDigits + dashes == text.utf8.count && (dashes == 0 || dashes == 4)
    }
}
