/// An AppArmor profile to start from: the capabilities, socket families,
/// programs run and paths written that auditq saw. A skeleton, not a
/// profile to load as is: file reads are not recorded.
public enum AppArmorSkeleton {
    public static func render(_ p: UsageProfile) -> String {
        var out = [
            "# AppArmor skeleton learned by auditq for \(p.subject.reportLabel).",
            "#include <tunables/global>",
            "",
            // attach_disconnected: a container's paths are outside the host's
            // namespace, and mediation would otherwise fail on them.
            "profile auditq-\(p.subject.profileName) flags=(attach_disconnected) {",
            "  #include <abstractions/base>",
        ]
        var sections: [[String]] = []
        sections.append(CapabilityNames.ordered(p.capabilitiesUsed.map(\.capability)).map {
            "  capability \(CapabilityNames.withoutPrefix($0).lowercased()),"
        })
        sections.append(Set(p.networkFamilies.map { $0.lowercased() }).sorted().map { "  network \($0)," })
        sections.append(Set(p.execs).sorted().map { path in
            // Inherit: a program it runs stays under this profile.
            path.hasPrefix("/") ? "  \(rulePath(path)) ix," : "  # ran \(path) (not an absolute path: add its rule)"
        })
        let directories = Set(p.directoriesWritten.map(trimmed)).sorted()
        let files = Set(p.filesWritten).sorted().filter { file in
            !directories.contains { file.hasPrefix($0 == "/" ? "/" : $0 + "/") }
        }
        sections.append(files.map { "  \(rulePath($0)) w," }
            + directories.map { "  \(rulePath($0 == "/" ? "" : $0, suffix: "/**")) w," })
        for section in sections where !section.isEmpty {
            out.append("")
            out += section
        }
        out += ["", "  # reads were not recorded: add them", "}"]
        return out.joined(separator: "\n") + "\n"
    }

    private static func trimmed(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }

    /// A literal path in a rule: AppArmor globs (`*`, `?`, `[`, `{`, …) are
    /// escaped, and a path with blanks or quotes is quoted. `suffix` is
    /// added unescaped (a glob of ours).
    private static func rulePath(_ path: String, suffix: String = "") -> String {
        var escaped = ""
        for c in path {
            if "\\*?[]{}^\"".contains(c) { escaped.append("\\") }
            escaped.append(c)
        }
        let body = escaped + suffix
        return path.contains(where: { $0 == " " || $0 == "\t" || $0 == "\"" }) ? "\"\(body)\"" : body
    }
}
