import AuditKernel
import Crypto
import Foundation

/// One or more rule files in auditctl syntax, parsed into the kernel
/// requests they make (every rule built as the `audit_rule_data` libaudit
/// would send), with nothing sent yet.
public struct RuleSet: Sendable {
    /// The files read, in load order.
    public let files: [String]
    /// The files' contents concatenated, each preceded by "## <path>\n".
    public let text: String
    let lines: [RuleLine]

    /// Hex SHA-256 of `text`: which rules were asked for, for the store.
    public var sha256: String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Every distinct key the rules carry, in order of first use.
    public var keys: [String] {
        var seen = Set<String>()
        return addedRules.flatMap { $0.image.keys }.filter { seen.insert($0).inserted }
    }

    /// The set locks the audit configuration until reboot (its last `-e` is 2).
    public var immutable: Bool {
        if case .enabled(let value)? = settings.last(where: { if case .enabled = $0 { true } else { false } }) { return value == 2 }
        return false
    }

    /// The backlog limit the set asks for (its last `-b`), if it sets one.
    public var backlogLimit: UInt32? {
        if case .backlogLimit(let value)? = settings.last(where: { if case .backlogLimit = $0 { true } else { false } }) { return value }
        return nil
    }

    private var settings: [AuditSetting] {
        lines.flatMap(\.commands).compactMap { if case .setting(let s) = $0 { return s } else { return nil } }
    }

    /// How many rules the set adds (-a, -A, -w).
    public var ruleCount: Int { addedRules.count }

    var addedRules: [RuleData] {
        lines.flatMap(\.commands).compactMap { if case .add(let rule) = $0 { return rule } else { return nil } }
    }

    /// Reads rule files; a directory stands for its `*.rules` files sorted by
    /// name (augenrules' order). A line auditctl would refuse throws, naming
    /// FILE:LINE, unless an earlier `-i` or `-c` says to pass over bad lines
    /// (as in augenrules' concatenated file, they hold for the files after).
    public static func read(_ paths: [String]) throws -> RuleSet {
        let files = try expand(paths)
        return try parse(files.map { ($0, try contents(of: $0)) })
    }

    /// Rules given as text, as though read from a file called `name`.
    public static func parse(_ text: String, name: String) throws -> RuleSet {
        try parse([(name, text)])
    }

    private static func parse(_ sources: [(name: String, text: String)]) throws -> RuleSet {
        RuleLineParser.libauditLock.lock()
        defer { RuleLineParser.libauditLock.unlock() }
        var policy = ErrorPolicy.stop
        var lines: [RuleLine] = []
        var text = ""
        for (name, content) in sources {
            lines += try parseFile(content, name: name, policy: &policy)
            text += "## \(name)\n" + content
            if !content.isEmpty && !content.hasSuffix("\n") { text += "\n" }
        }
        return RuleSet(files: sources.map(\.name), text: text, lines: lines)
    }

    private static func parseFile(_ content: String, name: String, policy: inout ErrorPolicy) throws -> [RuleLine] {
        var lines: [RuleLine] = []
        for (index, line) in content.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            guard let first = words.first, !first.hasPrefix("#") else { continue }
            let location = RuleLocation(file: name, line: index + 1)
            let parsed: RuleLineParser.Parsed
            do {
                parsed = try RuleLineParser.parse(words)
            } catch let refusal as RuleLineParser.Refusal {
                let error = RuleError.syntax(location, refusal.reason)
                guard policy != .stop else { throw error }
                lines.append(RuleLine(location: location, commands: [], onError: policy, skipped: error))
                continue
            } catch let error as RuleError {
                throw error.located(at: location)
            }
            switch (parsed.policy, policy) {
            case (.ignore?, .continueThenFail): break  // -c's failing exit outlives a later -i
            case (let new?, _): policy = new
            case (nil, _): break
            }
            lines.append(RuleLine(location: location, commands: parsed.commands, onError: policy, skipped: nil))
        }
        return lines
    }

    // MARK: Files

    private static func expand(_ paths: [String]) throws -> [String] {
        var files: [String] = []
        for path in paths {
            switch try kind(of: path) {
            case S_IFDIR:
                let names: [String]
                do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
                    throw RuleError(.missingFile, "\(path): cannot list the directory (\(error.localizedDescription))")
                }
                let base = path.hasSuffix("/") ? path : path + "/"
                files += try names.filter { $0.hasSuffix(".rules") }.sorted()
                    .map { base + $0 }.filter { try kind(of: $0) == S_IFREG }
            case S_IFREG:
                files.append(path)
            default:
                throw RuleError(.missingFile, "\(path): not a regular file or directory")
            }
        }
        return files
    }

    /// S_IFDIR, S_IFREG, … of `path` (following links).
    private static func kind(of path: String) throws -> mode_t {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { throw RuleError(.missingFile, "\(path): No such file or directory", errno: ENOENT) }
            throw RuleError.call("stat", errno: errno, path)
        }
        return info.st_mode & S_IFMT
    }

    private static func contents(of path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw RuleError(.missingFile, "\(path): No such file or directory", errno: ENOENT) }
            throw RuleError.call("open", errno: errno, path)
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do {
            return String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        } catch {
            throw RuleError.call("read", errno: EIO, path)
        }
    }
}
