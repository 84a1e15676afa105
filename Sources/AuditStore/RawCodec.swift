import CZstd
import Foundation

/// Zstandard for blocks of raw record text: audit text is repetitive, so a
/// block of consecutive events compresses far below the log's own size.
public enum RawCodec {
    public static let name = "zstd"
    static let level: Int32 = 3

    public static func compress(_ input: [UInt8]) -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var out = [UInt8](repeating: 0, count: bound)
        let n = input.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                ZSTD_compress(dst.baseAddress, bound, src.baseAddress, src.count, level)
            }
        }
        precondition(ZSTD_isError(n) == 0, "ZSTD_compress: \(String(cString: ZSTD_getErrorName(n)))")
        out.removeLast(bound - n)
        return out
    }

    public static func decompress(_ data: UnsafeRawBufferPointer, rawSize: Int, block: Int64) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: rawSize)
        let n = out.withUnsafeMutableBytes { dst in
            ZSTD_decompress(dst.baseAddress, rawSize, data.baseAddress, data.count)
        }
        if ZSTD_isError(n) != 0 {
            throw StoreError.corruptBlock(block: block, reason: String(cString: ZSTD_getErrorName(n)))
        }
        guard n == rawSize else {
            throw StoreError.corruptBlock(block: block, reason: "decompressed to \(n) bytes, expected \(rawSize)")
        }
        return out
    }
}
