/// A `[Service]` drop-in hardening a host program (`--exe`) to what it
/// used: capabilities, syscalls, writable paths, socket families.
public enum SystemdSnippet {
    /// systemd merges repeated SystemCallFilter= and ReadWritePaths= lines,
    /// so long lists wrap over several at this width.
    static let lineWidth = 80

    public static func render(_ p: UsageProfile) -> String {
        var lines = ["[Service]"]

        // An empty value is systemd's "no capabilities at all", which is
        // right for a program that used none.
        let caps = CapabilityNames.ordered(p.capabilitiesUsed.map(\.capability))
        lines.append("CapabilityBoundingSet=" + caps.joined(separator: " "))
        lines.append("NoNewPrivileges=yes")

        let allowed = p.allowedSyscalls
        let arches = Set(allowed.keys).union([.x86_64]).sorted()
        // "native" alone refuses every 32-bit (and x32) call: exactly what a
        // program seen only on x86_64 needs.
        lines.append("SystemCallArchitectures=" + arches.map(systemdName).joined(separator: " "))
        // systemd resolves the names for each architecture listed, so the
        // filter is the union over the ABIs the program used (the native
        // one alone when it used only that).
        let names = Set(allowed.values.joined().map(SyscallNames.seccompName)).sorted()
        if names.isEmpty {
            // An empty SystemCallFilter= would reset the filter, allowing all.
            lines.append("# no syscalls were recorded: no SystemCallFilter= written")
        } else {
            lines += wrapped("SystemCallFilter=", names)
            lines.append("SystemCallErrorNumber=EPERM")
        }

        // A write the kernel saw but no audit rule named leaves no path to
        // allow: a read-only system would break the program, so it is left
        // to the operator. Likewise sockets whose families no event shows.
        let directories = writableDirectories(p)
        if p.wroteFiles && directories.isEmpty {
            lines.append("# Files were opened for writing, but no audit rule named them: add ProtectSystem=strict")
            lines.append("# with ReadWritePaths= for them once known (an audit watch on the program shows them).")
        } else {
            lines.append("ProtectSystem=strict")
            lines += wrapped("ReadWritePaths=", directories.map(pathWord))
        }

        let families = Set(p.networkFamilies.map(addressFamily)).sorted()
        let madeSockets = p.syscalls.values.contains { $0.contains("socket") || $0.contains("socketcall") || $0.contains("socketpair") }
        if families.isEmpty && madeSockets {
            lines.append("# It made sockets, but no event shows their families: add RestrictAddressFamilies= once known.")
        } else {
            lines.append("RestrictAddressFamilies=" + (families.isEmpty ? "none" : families.joined(separator: " ")))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func systemdName(_ arch: UsageProfile.Arch) -> String {
        switch arch {
        case .x86_64: "native"
        case .i386: "x86"
        case .x32: "x32"
        }
    }

    /// `key` + words, as many lines as keep each within `lineWidth`.
    static func wrapped(_ key: String, _ words: [String]) -> [String] {
        var lines: [String] = []
        var line = key
        for word in words {
            if line != key && line.count + 1 + word.count > lineWidth {
                lines.append(line)
                line = key
            }
            line += (line == key ? "" : " ") + word
        }
        if line != key { lines.append(line) }
        return lines
    }

    /// The directories written into: each written file's parent and each
    /// written directory, without those inside another one listed.
    /// /dev, /proc and /sys stay writable under ProtectSystem=strict.
    static func writableDirectories(_ p: UsageProfile) -> [String] {
        let all = Set(p.filesWritten.map(parent) + p.directoriesWritten.map(trimmed))
            .filter { dir in !["/dev", "/proc", "/sys"].contains { dir == $0 || dir.hasPrefix($0 + "/") } }
        return all.filter { dir in
            !all.contains { other in other != dir && (other == "/" || dir.hasPrefix(other + "/")) }
        }.sorted()
    }

    private static func trimmed(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }

    private static func parent(_ path: String) -> String {
        let p = trimmed(path)
        guard let slash = p.lastIndex(of: "/") else { return "/" }
        return slash == p.startIndex ? "/" : String(p[..<slash])
    }

    /// "-": a directory the program made and later removed is skipped
    /// instead of failing the unit's start. systemd expands "%" specifiers
    /// and splits on spaces, so those are escaped.
    private static func pathWord(_ path: String) -> String {
        let escaped = path.replacing("%", with: "%%")
        let needsQuotes = escaped.contains { $0 == " " || $0 == "\t" || $0 == "\"" || $0 == "\\" || $0 == "'" }
        guard needsQuotes else { return "-" + escaped }
        return "\"-" + escaped.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
    }

    /// UsageProfile's family names to systemd's (the kernel's AF_ names).
    private static func addressFamily(_ family: String) -> String {
        switch family.lowercased() {
        case "unix", "local": "AF_UNIX"
        case "inet": "AF_INET"
        case "inet6": "AF_INET6"
        case "netlink": "AF_NETLINK"
        case "packet": "AF_PACKET"
        default: "AF_" + family.uppercased()
        }
    }
}
