/// How the kernel's rules differ from a rule set: the set's rules are built
/// as the `audit_rule_data` libaudit would send (nothing is sent) and
/// compared field by field with the kernel's; both sides are printed as
/// `auditctl -l` prints them. Order is not compared.
public struct RuleDiff: Sendable {
    /// In the files, not loaded.
    public let missing: [String]
    /// Loaded, not in the files.
    public let unexpected: [String]

    public var isEmpty: Bool { missing.isEmpty && unexpected.isEmpty }

    /// "+ RULE" for each missing rule, then "- RULE" for each unexpected one.
    public var lines: [String] { missing.map { "+ " + $0 } + unexpected.map { "- " + $0 } }

    init(expected: [RuleImage], loaded: [RuleImage]) {
        var unmatched = Array(loaded.indices)
        var missingIndices: [Int] = []
        for (index, rule) in expected.enumerated() {
            if let found = unmatched.firstIndex(where: { loaded[$0] == rule }) {
                unmatched.remove(at: found)
            } else {
                missingIndices.append(index)
            }
        }
        let expectedLines = RuleListing.lines(expected)
        let loadedLines = RuleListing.lines(loaded)
        missing = missingIndices.map { expectedLines[$0] }
        unexpected = unmatched.map { loadedLines[$0] }
    }
}

extension RuleSet {
    /// The rules the kernel would hold after loading this set into a kernel
    /// without rules: adds, less what later -d, -W and -D lines delete, less
    /// duplicates (which the kernel refuses).
    var expectedRules: [RuleImage] {
        var rules: [RuleImage] = []
        for command in lines.flatMap(\.commands) {
            switch command {
            case .add(let rule):
                let image = rule.image
                if !rules.contains(image) { rules.append(image) }
            case .delete(let rule):
                let image = rule.image
                rules.removeAll { $0 == image }
            case .deleteAll(let key):
                rules.removeAll { rule in key.map { rule.key?.contains($0) == true } ?? true }
            default:
                break
            }
        }
        return rules
    }
}

extension RuleLoader {
    /// Compares the set with the kernel's rules.
    public func diff(_ set: RuleSet) throws -> RuleDiff {
        RuleDiff(expected: set.expectedRules, loaded: try loadedRules())
    }
}
