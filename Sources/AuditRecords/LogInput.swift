import CZlib
#if canImport(Glibc)
import Glibc
#endif

/// Errors reading an input file (not its content).
public struct LogInputError: Error, CustomStringConvertible {
    public let source: String
    public let message: String
    public var description: String { "\(source): \(message)" }

    public init(source: String, message: String) {
        self.source = source
        self.message = message
    }
}

/// One audit log to read: a file (plain or gzip-compressed, told apart by
/// zlib itself) or standard input. Owns its `gzFile`.
public final class LogInput {
    public let name: String
    /// Size on disk, for progress; nil for pipes.
    public let byteSize: Int64?
    private let file: gzFile

    public init(path: String) throws {
        let isStdin = path == "-"
        name = isStdin ? "<stdin>" : path
        let fd = isStdin ? dup(0) : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LogInputError(source: path, message: String(cString: strerror(errno))) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno; close(fd)
            throw LogInputError(source: path, message: String(cString: strerror(e)))
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw LogInputError(source: path, message: "is a directory")
        }
        byteSize = (st.st_mode & S_IFMT) == S_IFREG ? Int64(st.st_size) : nil
        guard let gz = gzdopen(fd, "rb") else {
            close(fd)
            throw LogInputError(source: path, message: "cannot open for reading")
        }
        _ = gzbuffer(gz, 1 << 20)
        file = gz
    }

    deinit { gzclose(file) }

    /// Reads up to `count` bytes of (decompressed) log text; 0 at the end.
    public func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        let n = gzread(file, buffer, UInt32(count))
        var errnum: Int32 = 0
        let message = gzerror(file, &errnum).map { String(cString: $0) } ?? "read error"
        if n < 0 || (errnum != Z_OK && errnum != Z_BUF_ERROR) {
            throw LogInputError(source: name, message: errnum == Z_ERRNO ? String(cString: strerror(errno)) : message)
        }
        if n == 0 && errnum == Z_BUF_ERROR {
            throw LogInputError(source: name, message: "compressed data ends early (truncated gzip file)")
        }
        return Int(n)
    }

    /// Bytes consumed from the underlying file so far (compressed offset for gzip).
    public var consumedBytes: Int64 { Int64(gzoffset(file)) }
}
