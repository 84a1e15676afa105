/// The `docker run` (and `podman run`) options that grant a container only
/// what it used: one line to paste before the image name.
public enum DockerFlags {
    /// `--cap-drop=ALL --cap-add=… --security-opt seccomp=PATH
    /// --security-opt no-new-privileges [--read-only]`.
    public static func render(_ p: UsageProfile, seccompPath: String) -> String {
        // Dropping ALL first: --cap-add alone would keep docker's 14 defaults.
        var words = ["--cap-drop=ALL"]
        words += CapabilityNames.ordered(p.capabilitiesUsed.map(\.capability)).map { "--cap-add=\($0)" }
        words.append("--security-opt seccomp=\(ShellWord.quote(seccompPath))")
        // Nothing the container runs may gain privileges through setuid or
        // file capabilities: the profile did not see it need any.
        words.append("--security-opt no-new-privileges")
        if p.wroteNothing { words.append("--read-only") }
        return words.joined(separator: " ")
    }
}

/// A word a POSIX shell reads back unchanged.
enum ShellWord {
    static func quote(_ s: String) -> String {
        let plain = !s.isEmpty && s.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || "/._-+:=,@%".unicodeScalars.contains($0))
        }
        if plain { return s }
        return "'" + s.split(separator: "'", omittingEmptySubsequences: false).joined(separator: #"'\''"#) + "'"
    }
}
