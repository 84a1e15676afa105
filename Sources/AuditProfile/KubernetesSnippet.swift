/// A container-level `securityContext:` granting only what the workload
/// used, to paste under a container of a pod spec.
public enum KubernetesSnippet {
    /// `localhostProfile` is the seccomp file's path relative to the
    /// kubelet's seccomp directory ("profiles/web.json").
    public static func render(_ p: UsageProfile, localhostProfile: String) -> String {
        let caps = CapabilityNames.ordered(p.capabilitiesUsed.map(\.capability)).map(CapabilityNames.withoutPrefix)
        var lines = [
            // A Localhost profile is read from each node's disk, never from
            // the cluster: a node without the file refuses to start the pod.
            "# Copy the seccomp profile to /var/lib/kubelet/seccomp/\(localhostProfile) on every node that may run this pod.",
            "securityContext:",
            "  allowPrivilegeEscalation: false",
            "  capabilities:",
            "    drop: [\"ALL\"]",
        ]
        if !caps.isEmpty {
            lines.append("    add: [\(caps.map(quoted).joined(separator: ", "))]")
        }
        if p.wroteNothing {
            lines.append("  readOnlyRootFilesystem: true")
        }
        lines += [
            "  seccompProfile:",
            "    type: Localhost",
            "    localhostProfile: \(quoted(localhostProfile))",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// A YAML double-quoted scalar: no character of a path can change the
    /// snippet's structure.
    private static func quoted(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if c.value < 0x20 { out += "\\x" + String(c.value, radix: 16).leftPadded(2) } else { out.unicodeScalars.append(c) }
            }
        }
        return out + "\""
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
