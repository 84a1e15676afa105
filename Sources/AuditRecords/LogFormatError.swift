/// Input that is not a well-formed audit log, located by file and line.
public struct LogFormatError: Error, CustomStringConvertible, Equatable {
    public let source: String
    public let line: Int
    public let reason: String

    public init(source: String, line: Int, reason: String) {
        self.source = source; self.line = line; self.reason = reason
    }

    public var description: String { "\(source):\(line): \(reason)" }
}
