import AuditRecords
#if canImport(Glibc)
import Glibc
#endif

/// Cuts a byte stream (a followed file, auditd's plugin pipe) into whole
/// record lines for the parser. A line split across reads waits for its
/// newline. A line the log checker rejects (binary data, a line over 64 KiB,
/// an unbalanced record) is passed over and reported instead of reaching
/// the parser, which stops at the first bad line: a collector cannot stop
/// on input it will meet again at every restart.
struct LineAssembler {
    struct Skipped {
        /// Offset of the line's first byte in the input.
        var offset: Int64
        var length: Int
        var reason: String
    }

    /// The bytes of the line still waiting for its newline.
    private(set) var partial: [UInt8] = []
    /// Inside a line already reported as too long: bytes are dropped up to its newline.
    private var discarding = false

    /// `bytes` are the input from `offset` on (the byte after the last one
    /// added). `emit` gets each run of good whole lines and the offset of
    /// its first byte; `skip` each line passed over.
    mutating func add(_ bytes: UnsafeRawBufferPointer, at offset: Int64,
                      emit: (UnsafeRawBufferPointer, Int64) throws -> Void,
                      skip: (Skipped) throws -> Void) throws {
        var input = UnsafeRawBufferPointer(rebasing: bytes[...])
        var inputOffset = offset
        if discarding {
            guard let nl = input.firstIndex(of: 0x0A) else { return }
            discarding = false
            input = UnsafeRawBufferPointer(rebasing: input[(nl + 1)...])
            inputOffset += Int64(nl + 1)
        }
        guard !input.isEmpty else { return }
        if partial.isEmpty {
            let used = try scan(input.bindMemory(to: UInt8.self), at: inputOffset, emit: emit, skip: skip)
            partial.append(contentsOf: input[used...])
        } else {
            let start = inputOffset - Int64(partial.count)
            partial.append(contentsOf: input)
            let joined = partial
            let used = try joined.withUnsafeBufferPointer { try scan($0, at: start, emit: emit, skip: skip) }
            partial.removeFirst(used)
        }
        if partial.count > LogLineChecker.maxLineLength {
            try skip(Skipped(offset: inputOffset + Int64(input.count - partial.count), length: partial.count,
                             reason: "line is longer than 64 KiB"))
            partial.removeAll()
            discarding = true
        }
    }

    /// End of this input (a rotated file read to its end, a closed pipe):
    /// a last line without a newline is checked as the importer checks one
    /// and handed on with its newline added. `end` is the input's length.
    mutating func finishInput(at end: Int64, emit: (UnsafeRawBufferPointer, Int64) throws -> Void,
                              skip: (Skipped) throws -> Void) throws {
        defer { partial.removeAll(); discarding = false }
        guard !partial.isEmpty else { return }
        let start = end - Int64(partial.count)
        let verdict = partial.withUnsafeBufferPointer { LogLineChecker.check($0, terminated: false) }
        if case .bad(let reason) = verdict {
            try skip(Skipped(offset: start, length: partial.count, reason: reason))
            return
        }
        let line = partial + [0x0A]
        try line.withUnsafeBytes { try emit($0, start) }
    }

    /// Hands on the good whole lines of `buf` in runs; returns the bytes used
    /// (up to the last newline).
    private func scan(_ buf: UnsafeBufferPointer<UInt8>, at offset: Int64,
                      emit: (UnsafeRawBufferPointer, Int64) throws -> Void,
                      skip: (Skipped) throws -> Void) throws -> Int {
        guard let base = buf.baseAddress else { return 0 }
        var lineStart = 0
        var runStart = 0
        func flushRun(to end: Int) throws {
            if end > runStart {
                try emit(UnsafeRawBufferPointer(start: base + runStart, count: end - runStart), offset + Int64(runStart))
            }
        }
        while lineStart < buf.count {
            guard let nl = memchr(base + lineStart, 0x0A, buf.count - lineStart) else { break }
            let lineEnd = UnsafePointer(nl.assumingMemoryBound(to: UInt8.self)) - base
            let line = UnsafeBufferPointer(start: base + lineStart, count: lineEnd - lineStart)
            if case .bad(let reason) = LogLineChecker.check(line, terminated: true) {
                try flushRun(to: lineStart)
                try skip(Skipped(offset: offset + Int64(lineStart), length: lineEnd + 1 - lineStart, reason: reason))
                runStart = lineEnd + 1
            }
            lineStart = lineEnd + 1
        }
        try flushRun(to: lineStart)
        return lineStart
    }
}
