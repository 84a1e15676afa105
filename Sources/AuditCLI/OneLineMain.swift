import ArgumentParser
import Foundation

extension ParsableCommand {
    /// Like ArgumentParser's main, but a usage error is one line on stderr,
    /// "TOOL: message (see 'TOOL --help')" (the commands print their own
    /// one-line failures and throw ExitCode).
    public static func mainWithOneLineErrors() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Self.exit(withError: code)
        } catch {
            let code = exitCode(for: error)
            guard code != .success else { Self.exit(withError: error) }
            let tool = configuration.commandName ?? ProcessInfo.processInfo.processName
            let message = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            let trimmed = message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message
            FileHandle.standardError.write(Data("\(tool): \(trimmed) (see '\(tool) --help')\n".utf8))
            Self.exit(withError: ExitCode(code.rawValue))
        }
    }
}
