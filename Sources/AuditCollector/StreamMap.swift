/// Maps offsets in the parser's input (every line handed on, in order,
/// counted from the run's start) back to the file and byte each came from:
/// one run per stretch read contiguously from one file. A rotation, a line
/// passed over, or a newline added to a rotated file's unterminated last
/// line starts a new run.
struct StreamMap {
    private struct Run {
        var start: Int64
        var length: Int64
        var file: FollowedFile
        var fileOffset: Int64
    }

    private var runs: [Run] = []
    /// Input bytes handed on so far.
    private(set) var end: Int64 = 0

    /// `count` bytes handed on, read from `file` at `fileOffset`.
    mutating func append(count: Int, file: FollowedFile, fileOffset: Int64) {
        if var last = runs.last, last.file === file, last.fileOffset + last.length == fileOffset {
            last.length += Int64(count)
            runs[runs.count - 1] = last
        } else {
            runs.append(Run(start: end, length: Int64(count), file: file, fileOffset: fileOffset))
        }
        end += Int64(count)
    }

    /// Where input offset `offset` (at most `end`) was read from; runs
    /// wholly before it are let go (they are not asked for again).
    mutating func position(of offset: Int64) -> (file: FollowedFile, offset: Int64)? {
        guard let i = runs.lastIndex(where: { $0.start <= offset }) else { return nil }
        if i > 0 { runs.removeFirst(i) }
        let run = runs[0]
        return (run.file, run.fileOffset + min(offset - run.start, run.length))
    }
}
