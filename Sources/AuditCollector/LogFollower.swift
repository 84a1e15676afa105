import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Reads a growing audit.log as the writer writes it, across rotations:
/// the open descriptor stays with the file being read; once the log's name
/// points at another file (auditd renamed it to `NAME.1` and started a new
/// one) or the file shrank (truncated), it reads the old one to its end and
/// goes on with the next generation: the rotated file just newer than it
/// (`NAME.k-1` when it is now `NAME.k`, after rotations while lagging or
/// stopped), else the log itself from its start. Whole lines go out; a last
/// line still being written waits for its newline.
final class LogFollower {
    /// What the follower says about where it started or what it could not read.
    enum Note {
        case resumed(file: String, offset: Int64)
        case started(file: String)
        case waiting(file: String)
        /// Log text that cannot be read (the cursor's file is gone, a truncation).
        case gap(String)
        case switched(from: String, to: String)
    }

    let path: String
    private(set) var current: FollowedFile?
    private var assembler = LineAssembler()
    private let buffer: UnsafeMutableRawBufferPointer
    /// How many rotated names (`NAME.1` …) are looked at, at most.
    static let rotatedLimit = 1000

    /// Opens where `cursor` says, else the log from its start (or waits for it to appear).
    init(path: String, resumeFrom cursor: FollowCursor?, note: (Note) -> Void) throws {
        self.path = path
        buffer = .allocate(byteCount: 1 << 20, alignment: 16)
        if let cursor {
            if let file = try? FollowedFile(path: path, offset: cursor.offset), file.matches(cursor) {
                current = file
                note(.resumed(file: path, offset: cursor.offset))
                return
            }
            for k in 1...Self.rotatedLimit {
                let name = "\(path).\(k)"
                guard access(name, F_OK) == 0 else { break }
                if let file = try? FollowedFile(path: name, offset: cursor.offset), file.matches(cursor) {
                    current = file
                    note(.resumed(file: name, offset: cursor.offset))
                    return
                }
            }
            note(.gap("the file the cursor names (\(cursor.file), inode \(cursor.inode), byte \(cursor.offset)) is gone, replaced or truncated; what it held after that byte, and any rotated file between it and \(path), was not read"))
        }
        if access(path, F_OK) == 0 {
            current = try FollowedFile(path: path)
            note(.started(file: path))
        } else {
            note(.waiting(file: path))
        }
    }

    deinit { buffer.deallocate() }

    /// The first byte not yet handed on: where reading would resume.
    var position: (file: FollowedFile, offset: Int64)? {
        current.map { ($0, $0.readOffset - Int64(assembler.partial.count)) }
    }

    /// Reads what is there, up to `budget` bytes: `emit` gets runs of whole
    /// lines with the file and offset they start at, `skip` the lines passed
    /// over. Returns true when more may be waiting (the budget ran out).
    func read(budget: Int, emit: (UnsafeRawBufferPointer, FollowedFile, Int64) throws -> Void,
              skip: (FollowedFile, LineAssembler.Skipped) throws -> Void, note: (Note) -> Void) throws -> Bool {
        if current == nil {
            guard access(path, F_OK) == 0, let file = try? FollowedFile(path: path) else { return false }
            current = file
            note(.started(file: path))
        }
        var spent = 0
        while let file = current {
            if spent >= budget { return true }
            let n = try file.read(into: buffer)
            if n > 0 {
                spent += n
                try assembler.add(UnsafeRawBufferPointer(rebasing: buffer[..<n]), at: file.readOffset - Int64(n),
                                  emit: { try emit($0, file, $1) }, skip: { try skip(file, $0) })
                continue
            }
            // At the end of this file: done with it only when a newer generation exists.
            guard let next = successor(of: file, note: note) else { return false }
            // Whatever the writer appended before the switch was read above (read returned 0 after it).
            try assembler.finishInput(at: file.readOffset, emit: { try emit($0, file, $1) }, skip: { try skip(file, $0) })
            note(.switched(from: file.name, to: next.name))
            current = next
        }
        return false
    }

    /// The generation after `file` once `file` is finished, or nil while it
    /// is still the live log (or its successor has not appeared yet).
    private func successor(of file: FollowedFile, note: (Note) -> Void) -> FollowedFile? {
        let live = FollowedFile.identity(of: path)
        if let live, file.isSameFile(device: live.device, inode: live.inode) {
            // Still the live log; shorter than what was read means truncated in place.
            guard file.size < file.readOffset else { return nil }
            note(.gap("\(path) was truncated at \(file.size) bytes after \(file.readOffset) had been read; anything written between the last read and the truncation was not read"))
            return try? FollowedFile(path: path)
        }
        // Renamed: where is it now? The rotated name just below it is the next generation.
        var k = 1
        while k <= Self.rotatedLimit, let id = FollowedFile.identity(of: "\(path).\(k)") {
            if file.isSameFile(device: id.device, inode: id.inode) { break }
            k += 1
        }
        if k >= 2, FollowedFile.identity(of: "\(path).\(k)").map({ file.isSameFile(device: $0.device, inode: $0.inode) }) == true {
            return try? FollowedFile(path: "\(path).\(k - 1)")
        }
        guard live != nil else { return nil }  // rotated, the new log not created yet
        return try? FollowedFile(path: path)
    }
}
